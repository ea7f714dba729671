"""``--stabilize``: blend each output with the previous output warped onto it.

A feed-forward net sees each frame alone, so small changes of the input (noise,
a few pixels of motion) can flip its brush strokes from frame to frame: flicker.
Where the optical flow from this frame back to the previous one is reliable
(Ruder et al.'s consistency check: no disocclusion, no motion boundary, inside the
frame), the output becomes ``(1 - s) * out + s * warp(prev_out, flow)``; elsewhere
(newly visible areas, cuts) it stays the net's own. The result is what gets warped
forward next time, so the blend is a recursive filter along motion paths.

The flow is computed on the input frames ahead on a thread
(:func:`vstyle.flow.background_map`; OpenCV releases the GIL), so it overlaps the
network.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import torch

from ..flow import background_map, flow_pair, make_flow, reliability, warp
from ..frames import Frame, to_tensor

Motion = tuple[torch.Tensor, torch.Tensor] | None  # (backward flow, reliability) or None


class Stabilizer:
    """Recursive, flow-guided blending of consecutive outputs.

    Args:
        flow: estimator name (``--flow``).
        strength: ``s`` in [0, 1]: 0 leaves outputs as they are, 1 keeps the warped
            previous output wherever the flow is reliable.
        device: where the flows and outputs live.
    """

    def __init__(self, flow: str, strength: float, device: torch.device | str = "cpu") -> None:
        self.flow_name, self.strength, self.device = flow, strength, torch.device(device)
        self.previous: torch.Tensor | None = None

    def start(self) -> Stabilizer:
        """A fresh stabilizer with the same settings (one per stream)."""
        return Stabilizer(self.flow_name, self.strength, self.device)

    def motions(self, frames: Iterable[Frame], depth: int = 2) -> Iterator[tuple[Frame, Motion]]:
        """Each frame with its motion from the previous frame (None for the first), ahead."""
        flow = make_flow(self.flow_name, self.device)  # auto: RAFT on CUDA, else DIS

        def with_previous() -> Iterator[tuple[Frame, Frame | None]]:
            previous = None
            for frame in frames:
                yield frame, previous
                previous = frame

        def motion(item: tuple[Frame, Frame | None]) -> tuple[Frame, Motion]:
            frame, previous = item
            if previous is None:
                return frame, None
            a, b = to_tensor(previous.rgb, self.device), to_tensor(frame.rgb, self.device)
            forward, backward = flow_pair(flow, a, b)
            c = reliability(forward, backward)
            return frame, (backward.to(self.device), c.to(self.device))

        return background_map(motion, with_previous(), depth)

    def blend(self, output: torch.Tensor, motion: Motion) -> torch.Tensor:
        """The stabilized output of one frame; frames must come in order.

        Args:
            output: (1, 3, H, W) the net's output for this frame.
            motion: (backward flow (1, 2, H, W), reliability (1, 1, H, W)) from
                :meth:`motions`, or None for the first frame (or after a cut).
        """
        if motion is not None and self.previous is not None and self.strength > 0:
            backward, c = motion
            warped = warp(self.previous, backward)
            weight = self.strength * c
            output = (1 - weight) * output + weight * warped
        self.previous = output
        return output
