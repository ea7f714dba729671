"""What a stylizer tells the outside world, whatever the engine.

A stylizer maps an iterator of frames to an iterator of frames. Beside the frames
it hands out two typed events through callbacks given when it is built:

* a :class:`FrameRecord` per finished frame (every engine), from which the
  :class:`Report` (the ``--report`` JSON) is built;
* an :class:`IterationProgress` per iteration, only from engines that iterate
  (the optimizer), for the progress bar's detail line.

An engine with its own figures subclasses :class:`FrameRecord` and returns them
from :meth:`FrameRecord.details`; consumers (the report, the CLI) never need to
know which engine ran.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

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


@dataclass
class Report:
    """What a run did, for ``--report`` and the Python API; fed by the frame records.

    Attributes:
        frames: frames written.
        seconds: wall time of the whole run.
        size: the processing size (width, height).
        records: one per frame stylized, in the order the engine finished them (with
            ``--passes`` a frame has one per pass; a resumed run only those it redid).
    """

    frames: int = 0
    seconds: float = 0.0
    size: tuple[int, int] = (0, 0)
    records: list[FrameRecord] = field(default_factory=list)

    def add(self, record: FrameRecord) -> None:
        """Keep one frame's record (an ``on_record`` callback)."""
        self.records.append(record)

    @property
    def frame_reports(self) -> list[dict[str, object]]:
        """The records as JSON-ready dicts, in the order the engine finished them."""
        return [r.as_dict() for r in self.records]

    def as_dict(self) -> dict:
        return {
            "frames": self.frames,
            "seconds": round(self.seconds, 4),
            "fps": round(self.frames / self.seconds, 4) if self.seconds else None,
            "size": list(self.size),
            "frame_reports": self.frame_reports,
        }


def fan_out(*callbacks: OnRecord | None) -> OnRecord:
    """One ``on_record`` that calls each of ``callbacks`` that is set."""
    chosen = [c for c in callbacks if c is not None]

    def call(record: FrameRecord) -> None:
        for c in chosen:
            c(record)

    return call
