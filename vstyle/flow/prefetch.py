"""Flow computed ahead of the optimizer, on a background thread.

OpenCV releases the GIL while it computes flow, so estimating the flows for
frame ``i+1`` overlaps the optimization of frame ``i`` and costs little wall time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import torch

from ..frames import Frame, to_tensor
from ..io.threads import prefetch
from .memory import FlowPair, FlowWindow

T = TypeVar("T")
U = TypeVar("U")


def background_map(fn: Callable[[T], U], items: Iterable[T], depth: int = 2) -> Iterator[U]:
    """``map(fn, items)`` computed up to ``depth`` items ahead on a worker thread.

    Order is kept. An exception in ``items`` or ``fn`` is raised here, at the item
    where it happened. Closing the generator early stops the worker.
    """
    if depth < 1:
        raise ValueError(f"depth {depth} must be at least 1")
    return prefetch((fn(item) for item in items), maxsize=depth, name="flow")


@dataclass(frozen=True)
class FlowItem:
    """A frame with what the temporal loss needs, as :func:`prefetch_flows` yields it.

    Attributes:
        frame: the frame as decoded.
        pairs: flow pairs to earlier frames by offset (see :class:`FlowWindow`), on the device.
    """

    frame: Frame
    pairs: dict[int, FlowPair]


def prefetch_flows(
    frames: Iterable[Frame],
    window: FlowWindow,
    device: torch.device | str = "cpu",
    depth: int = 2,
) -> Iterator[FlowItem]:
    """Frames with their flows, computed ``depth`` frames ahead on a thread.

    Args:
        frames: frames at processing size (the pipeline resizes before the stylizer).
        window: the flow window (offsets and estimator); used only by the worker.
        device: where the flow pairs go.
        depth: how many frames the worker may run ahead (bounds memory).
    """

    def one(frame: Frame) -> FlowItem:
        image = to_tensor(frame.rgb)  # on the CPU, where OpenCV computes the flow
        pairs = window(frame.index, image)
        return FlowItem(frame, {j: p.to(device) for j, p in pairs.items()})

    return background_map(one, frames, depth)
