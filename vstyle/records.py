"""What a stylizer tells the outside world, whatever the engine.

A stylizer maps an iterator of frames to an iterator of frames. Beside the frames
it hands out two typed events through callbacks given when it is built:

* a :class:`FrameRecord` per finished frame (every engine), from which the
  ``--report`` JSON is built;
* an :class:`IterationProgress` per iteration, only from engines that iterate
  (the optimizer), for the progress bar's detail line.

An engine with its own figures subclasses :class:`FrameRecord` and returns them
from :meth:`FrameRecord.details`; consumers (the report, the CLI) never need to
know which engine ran.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

Detail = float | int | str | bool | None | Mapping[str, float]


@dataclass(frozen=True)
class FrameRecord:
    """One finished frame.

    Attributes:
        index: the frame's index in the stream (:attr:`vstyle.frames.Frame.index`).
        seconds: wall time the engine spent on it.
        engine: which engine made it (``copy``, ``optimize``, ...).
    """

    index: int
    seconds: float
    engine: str

    def details(self) -> Mapping[str, Detail]:
        """Engine-specific figures, JSON-ready; none for a plain record."""
        return {}

    def as_dict(self) -> dict[str, object]:
        """The record as one entry of the report's ``frame_reports``."""
        return {
            "frame": self.index,
            "engine": self.engine,
            "seconds": round(self.seconds, 4),
            **self.details(),
        }


@dataclass(frozen=True)
class IterationProgress:
    """One finished iteration of an iterating engine.

    Attributes:
        iteration: 1-based count within the current scale.
        total: iterations planned at this scale (the engine may stop early).
        loss: the objective after this iteration.
        scale, scales: 0-based scale and how many (coarse-to-fine), 0 and 1 when single.
    """

    iteration: int
    total: int
    loss: float
    scale: int = 0
    scales: int = 1


OnRecord = Callable[[FrameRecord], None]
OnIteration = Callable[[IterationProgress], None]
