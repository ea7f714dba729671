"""The one-slot "latest frame" buffer, and the capture thread that fills it.

A live picture wants the newest frame, not every frame: a queue in front of a slow
painter only grows the delay. The capture thread therefore overwrites the one slot;
a frame replaced before anyone took it is dropped and counted. The same slot sits in
front of each output (:mod:`vstyle.live.sinks`), so a slow output drops as well.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from fractions import Fraction
from typing import Generic, TypeVar

from ..frames import Frame
from .capture import Capture

T = TypeVar("T")
TIME_BASE = Fraction(1, 1_000_000)  # live frames carry capture time in microseconds


class LatestSlot(Generic[T]):
    """Holds at most one item; ``put`` replaces an untaken one and counts it dropped."""

    def __init__(self) -> None:
        self._item: T | None = None
        self._closed = False
        self._ready = threading.Condition()
        self.dropped = 0

    def put(self, item: T) -> None:
        with self._ready:
            if self._item is not None:
                self.dropped += 1
            self._item = item
            self._ready.notify()

    def take(self, timeout: float | None = None) -> T | None:
        """The newest item, waiting for one; None once closed and empty (or on timeout)."""
        with self._ready:
            self._ready.wait_for(lambda: self._item is not None or self._closed, timeout)
            item, self._item = self._item, None
            return item

    def close(self) -> None:
        """No more items: ``take`` returns what is left, then None."""
        with self._ready:
            self._closed = True
            self._ready.notify_all()


class CaptureThread:
    """Reads ``capture`` on a thread into a :class:`LatestSlot` of :class:`Frame`.

    Each frame's ``pts`` is its capture time in microseconds since ``start`` (the
    clock is ``time.perf_counter``), so latency and recording timestamps share it.

    Attributes:
        captured: frames read from the source.
        error: what stopped the thread early, re-raised by :meth:`frames`.
    """

    def __init__(self, capture: Capture, start: float | None = None) -> None:
        self.capture = capture
        self.start = time.perf_counter() if start is None else start
        self.slot: LatestSlot[Frame] = LatestSlot()
        self.captured = 0
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="vstyle-capture", daemon=True)
        self._thread.start()

    @property
    def dropped(self) -> int:
        return self.slot.dropped

    def captured_at(self, frame: Frame) -> float:
        """When ``frame`` was captured, on the ``time.perf_counter`` clock."""
        return self.start + float(frame.pts * TIME_BASE)

    def frames(self) -> Iterator[Frame]:
        """The newest frame each time one is asked for, until the source ends or stops."""
        while (frame := self.slot.take()) is not None:
            yield frame
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        self._stop.set()
        self.slot.close()
        self._thread.join(timeout=2.0)  # a camera read returns within a frame or two
        if not self._thread.is_alive():
            self.capture.close()

    def _work(self) -> None:
        try:
            while not self._stop.is_set():
                rgb = self.capture.read()
                if rgb is None:
                    break
                pts = round((time.perf_counter() - self.start) / TIME_BASE)
                self.slot.put(Frame(self.captured, rgb, pts, TIME_BASE))
                self.captured += 1
        except BaseException as exc:  # noqa: BLE001 - raised on the consumer's side
            self.error = exc
        finally:
            self.slot.close()
