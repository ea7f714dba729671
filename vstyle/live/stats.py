"""What a live run measured: frames shown and dropped, latency, frame rate."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Summary:
    """Figures of one live run, filled as it goes.

    Attributes:
        shown: frames painted and handed to every output (window, sinks, the caller).
        dropped: frames the capture replaced before the painter took them.
        latencies: seconds from capture to output, one per frame shown.
        seconds: wall time from the first frame captured to the end.
        sink_drops: frames each output (by name) dropped because it was still busy.
        stopped_by: what ended the run (``frames``, ``duration``, ``q``, ``end``, ...).
    """

    shown: int = 0
    dropped: int = 0
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    sink_drops: dict[str, int] = field(default_factory=dict)
    stopped_by: str = "end"

    def add(self, latency: float) -> None:
        self.shown += 1
        self.latencies.append(latency)

    @property
    def mean_ms(self) -> float:
        return 1000 * float(np.mean(self.latencies)) if self.latencies else 0.0

    @property
    def p95_ms(self) -> float:
        return 1000 * float(np.percentile(self.latencies, 95)) if self.latencies else 0.0

    @property
    def fps(self) -> float:
        return self.shown / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        """The summary line printed at exit."""
        text = (
            f"live: {self.shown} frame(s) shown, {self.dropped} dropped, latency mean "
            f"{self.mean_ms:.0f} ms, p95 {self.p95_ms:.0f} ms, {self.fps:.1f} fps "
            f"(stopped by {self.stopped_by})"
        )
        drops = [f"{name} dropped {n}" for name, n in self.sink_drops.items() if n]
        return text + ("; " + ", ".join(drops) if drops else "")

    def as_dict(self) -> dict[str, object]:
        return {
            "shown": self.shown,
            "dropped": self.dropped,
            "latency_mean_ms": round(self.mean_ms, 2),
            "latency_p95_ms": round(self.p95_ms, 2),
            "fps": round(self.fps, 2),
            "seconds": round(self.seconds, 3),
            "sink_drops": dict(self.sink_drops),
            "stopped_by": self.stopped_by,
        }
