"""What a stylizer tells the outside world, whatever the engine.

A stylizer maps an iterator of frames to an iterator of frames. Beside the frames
it hands out two typed events through callbacks given when it is built:

* a :class:`FrameRecord` per finished frame (every engine), from which the
  :class:`Report` (the ``--report`` JSON) is built;
* an :class:`IterationProgress` per iteration, only from engines that iterate
  (the optimizer), for the progress bar's detail line.

An engine with its own figures subclasses :class:`FrameRecord` and returns them
from :meth:`FrameRecord.details`; consumers (the report, the CLI) never need to
know which engine ran. An engine that times the stages of the stream (the fast
one) returns them as :class:`Stages` from :meth:`FrameRecord.stages`; the report
adds them up with the time the pipeline waited on the encoder.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields

Detail = float | int | str | bool | None | Mapping[str, float]

# Short names for the summary line, in the order of the stream.
_SHORT = {
    "decode": "decode",
    "to_device": "to dev",
    "network": "net",
    "from_device": "from dev",
    "encode": "encode",
}


@dataclass(frozen=True)
class Stages:
    """Seconds spent in each stage of the stream, for one frame or a whole run.

    Every stage is time on the stylizing thread, so the stages never overlap one
    another and add up to at most the run's wall time; decoding and encoding run on
    their own threads and count only while the stylizer waits for them.

    Attributes:
        decode: waiting for the next input frame (decoding, the CPU resize, and with
            ``--stabilize`` the flow computed ahead).
        to_device: host to device: the frames into one batch, uint8 to float, and the
            resize where the device does it.
        network: the engine's call (and the ``--stabilize`` blend).
        from_device: device to host: float to uint8 and the copy back.
        encode: waiting for the encoder thread to take a frame (its queue full) and
            to finish at the end.
    """

    decode: float = 0.0
    to_device: float = 0.0
    network: float = 0.0
    from_device: float = 0.0
    encode: float = 0.0

    def __add__(self, other: Stages) -> Stages:
        return Stages(*(a + b for a, b in zip(self.values(), other.values(), strict=True)))

    def __truediv__(self, divisor: float) -> Stages:
        return Stages(*(v / divisor for v in self.values()))

    def values(self) -> tuple[float, ...]:
        return tuple(getattr(self, f.name) for f in fields(self))

    @property
    def total(self) -> float:
        return sum(self.values())

    def as_dict(self, digits: int = 4) -> dict[str, float]:
        return {k: round(v, digits) for k, v in asdict(self).items()}

    def summary(self, wall: float, most: int = 3) -> str:
        """The largest shares of ``wall``, e.g. ``net 62% · decode 20% · encode 12%``."""
        if wall <= 0:
            return ""
        ranked = sorted(asdict(self).items(), key=lambda kv: -kv[1])[:most]
        return " · ".join(f"{_SHORT[k]} {100 * v / wall:.0f}%" for k, v in ranked if v > 0)


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

    def stages(self) -> Stages | None:
        """This frame's share of each stage, for engines that time them; else None."""
        return None

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
        encode_wait: seconds the pipeline waited on the encoder thread.
    """

    frames: int = 0
    seconds: float = 0.0
    size: tuple[int, int] = (0, 0)
    records: list[FrameRecord] = field(default_factory=list)
    encode_wait: float = 0.0

    def add(self, record: FrameRecord) -> None:
        """Keep one frame's record (an ``on_record`` callback)."""
        self.records.append(record)

    @property
    def frame_reports(self) -> list[dict[str, object]]:
        """The records as JSON-ready dicts, in the order the engine finished them."""
        return [r.as_dict() for r in self.records]

    @property
    def stages(self) -> Stages | None:
        """Where the run's time went, when its engine times its stages (else None)."""
        timed = [s for r in self.records if (s := r.stages()) is not None]
        if not timed:
            return None
        return sum(timed, Stages(encode=self.encode_wait))

    def as_dict(self) -> dict:
        data = {
            "frames": self.frames,
            "seconds": round(self.seconds, 4),
            "fps": round(self.frames / self.seconds, 4) if self.seconds else None,
            "size": list(self.size),
        }
        if (stages := self.stages) is not None:
            data["stages"] = {
                "seconds": stages.as_dict(),
                "per_frame": (stages / max(self.frames, 1)).as_dict(6),
                "other": round(max(self.seconds - stages.total, 0.0), 4),
            }
        return {**data, "frame_reports": self.frame_reports}


def fan_out(*callbacks: OnRecord | None) -> OnRecord:
    """One ``on_record`` that calls each of ``callbacks`` that is set."""
    chosen = [c for c in callbacks if c is not None]

    def call(record: FrameRecord) -> None:
        for c in chosen:
            c(record)

    return call
