"""The sliding window of past frames that temporal losses need.

Two halves, because they live on two threads: :class:`FlowWindow` keeps past
*input* frames and computes flows (it runs ahead, in :func:`prefetch`'s thread);
:class:`TemporalMemory` keeps past *stylized results* and warps them onto the
current frame (it runs with the optimizer). Each holds at most ``max(offsets)``
frames, so memory does not grow with the clip.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import torch

from ..errors import OptionError
from ..losses.temporal import long_term_weights
from .consistency import reliability
from .estimators import FlowFn, flow_pair
from .files import FlowDir
from .warp import warp


def window_offsets(long_term: Iterable[int] = ()) -> tuple[int, ...]:
    """The frame offsets J, sorted, always including 1 (the short-term term)."""
    offsets = tuple(sorted({1, *long_term}))
    if offsets[0] < 1:
        raise OptionError(f"--long-term {tuple(long_term)} must be frame offsets of 1 or more")
    return offsets


@dataclass(frozen=True)
class FlowPair:
    """Flows between frame ``index - offset`` and frame ``index``.

    Attributes:
        offset: j.
        forward: (1, 2, H, W) flow from frame ``index - j`` to ``index``.
        backward: (1, 2, H, W) flow from frame ``index`` to ``index - j``; warps.
        reliability: (1, 1, H, W) c(i-j, i) in [0, 1] on frame ``index``'s grid.
    """

    offset: int
    forward: torch.Tensor
    backward: torch.Tensor
    reliability: torch.Tensor

    def to(self, device: torch.device | str) -> FlowPair:
        """The same pair with its tensors on ``device``."""
        f, b, c = (
            t.to(device, non_blocking=True) for t in (self.forward, self.backward, self.reliability)
        )
        return FlowPair(self.offset, f, b, c)


class FlowWindow:
    """Keeps the last ``max(offsets)`` input frames; returns flows to each new one.

    Args:
        flow: the estimator (see :func:`vstyle.flow.make_flow`), or a :class:`FlowDir`
            of precomputed flows, which are looked up by frame index instead.
        offsets: J, e.g. ``(1, 10, 20, 40)``; flow is computed directly between
            frames ``i - j`` and ``i``, as Ruder et al. do for long-term terms.
    """

    def __init__(self, flow: FlowFn | FlowDir, offsets: Iterable[int] = (1,)) -> None:
        self.flow = flow
        self.offsets = window_offsets(offsets)
        self._inputs: dict[int, torch.Tensor] = {}

    def __call__(self, index: int, image: torch.Tensor) -> dict[int, FlowPair]:
        """Record frame ``index`` ((1, 3, H, W) float in [0, 1]) and return its flow pairs.

        Offsets whose earlier frame is not (or no longer) held are left out.
        """
        pairs: dict[int, FlowPair] = {}
        for j in self.offsets:
            earlier = self._inputs.get(index - j)
            if earlier is None:
                continue
            if isinstance(self.flow, FlowDir):
                pairs[j] = FlowPair(j, *self.flow.pair(index - j, index, tuple(image.shape[-2:])))
            else:
                forward, backward = flow_pair(self.flow, earlier, image)
                pairs[j] = FlowPair(j, forward, backward, reliability(forward, backward))
        self._inputs[index] = image
        oldest = index + 1 - self.offsets[-1]  # the earliest frame the next one needs
        self._inputs = {k: v for k, v in self._inputs.items() if k >= oldest}
        return pairs


@dataclass(frozen=True)
class TemporalTarget:
    """One term of the long-term loss: an earlier result on this frame's grid.

    Attributes:
        offset: j.
        warped: (1, 3, H, W) result of frame ``i - j`` warped onto frame ``i``.
        weight: (1, 1, H, W) long-term weight c_long(i-j, i).
    """

    offset: int
    warped: torch.Tensor
    weight: torch.Tensor


class TemporalMemory:
    """Keeps the last ``max(offsets)`` stylized results and warps them forward.

    Use: for each frame ``i``, ``targets = memory.targets(i, pairs)``, optimize with
    :func:`vstyle.losses.temporal.long_term_loss`, then ``memory.remember(i, result)``.
    ``targets[0].warped`` (offset 1) is the "prev-warped" initialization.
    """

    def __init__(self, offsets: Iterable[int] = (1,)) -> None:
        self.offsets = window_offsets(offsets)
        self._results: dict[int, torch.Tensor] = {}

    def remember(self, index: int, result: torch.Tensor) -> None:
        """Store frame ``index``'s (1, 3, H, W) result; forget what no offset reaches."""
        self._results[index] = result.detach()
        oldest = index + 1 - self.offsets[-1]
        self._results = {k: v for k, v in self._results.items() if k >= oldest}

    def targets(self, index: int, pairs: Mapping[int, FlowPair]) -> list[TemporalTarget]:
        """Warped earlier results and long-term weights for frame ``index``, by offset."""
        usable = [j for j in self.offsets if j in pairs and index - j in self._results]
        weights = long_term_weights([pairs[j].reliability for j in usable])
        return [
            TemporalTarget(j, warp(self._results[index - j], pairs[j].backward), w)
            for j, w in zip(usable, weights, strict=True)
        ]

    def __len__(self) -> int:
        return len(self._results)
