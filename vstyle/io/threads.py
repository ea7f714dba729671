"""Decode and encode on their own threads, so both overlap stylization.

Two small tools over one bounded :class:`queue.Queue` each: :func:`prefetch` runs
a frame iterator ahead on a thread, :class:`BackgroundSink` writes behind on one.
The bound keeps memory flat however long the clip: a fast decoder waits for the
stylizer instead of filling RAM. PyAV releases the GIL inside its FFmpeg calls (decode,
scale, encode), so the three threads do run in parallel.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")
QUEUE_FRAMES = 8  # frames waiting on each side; a 1080p RGB frame is 6 MB
JOIN_SECONDS = 5.0  # a decoder blocked on a stalled pipe is left behind after this
_DONE = object()  # end-of-stream marker


class _Failure:
    """An exception raised on a worker thread, carried to the consumer."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def _put(q: queue.Queue, item: Any, stop: threading.Event) -> bool:
    """Put unless ``stop`` is set; wakes up regularly so a stop is never missed."""
    while not stop.is_set():
        try:
            q.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def prefetch(items: Iterable[T], maxsize: int = QUEUE_FRAMES, name: str = "decode") -> Iterator[T]:
    """Iterate ``items`` on a thread, up to ``maxsize`` ahead of the consumer.

    An exception in ``items`` is raised here after the items before it. Closing
    this generator (or an exception in the consumer) stops and joins the thread.
    """
    q: queue.Queue = queue.Queue(maxsize=maxsize)
    stop = threading.Event()

    def work() -> None:
        iterator = iter(items)
        try:
            for item in iterator:
                if not _put(q, item, stop):
                    break
            _put(q, _DONE, stop)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            _put(q, _Failure(exc), stop)
        finally:
            getattr(iterator, "close", lambda: None)()

    thread = threading.Thread(target=work, name=f"vstyle-{name}", daemon=True)
    thread.start()
    try:
        while (item := q.get()) is not _DONE:
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stop.set()
        thread.join(JOIN_SECONDS)  # daemon: a reader stuck on a silent pipe dies with us


class BackgroundSink:
    """Wraps a sink so that ``write`` only queues the frame; a thread encodes it.

    ``close`` writes what is queued, closes the inner sink on the worker thread and
    re-raises any error the worker met. A worker error also surfaces on the next
    ``write``, so the pipeline stops soon after a disk fills up.

    Attributes:
        waited: seconds the caller spent blocked in ``write`` (queue full) and ``close``:
            the encoder's cost to the caller, its time in the background excluded.
    """

    def __init__(self, sink: Any, maxsize: int = QUEUE_FRAMES) -> None:
        self.sink = sink
        self._queue: queue.Queue = queue.Queue(maxsize=maxsize)
        self._stop = threading.Event()  # set when the worker has died
        self._error: BaseException | None = None
        self.waited = 0.0
        self._thread = threading.Thread(target=self._work, name="vstyle-encode", daemon=True)
        self._thread.start()

    def write(self, frame: Any) -> None:
        start = time.perf_counter()
        put = _put(self._queue, frame, self._stop)
        self.waited += time.perf_counter() - start
        if not put:
            self._raise()

    def close(self) -> None:
        start = time.perf_counter()
        if self._thread.is_alive():
            _put(self._queue, _DONE, self._stop)
            self._thread.join()
        self.waited += time.perf_counter() - start
        self._raise()

    def __getattr__(self, name: str) -> Any:  # written, end, ... of the inner sink
        return getattr(self.sink, name)

    def __enter__(self) -> BackgroundSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _work(self) -> None:
        try:
            while (frame := self._queue.get()) is not _DONE:
                self.sink.write(frame)
        except BaseException as exc:  # noqa: BLE001 - re-raised on the caller's thread
            self._error = exc
            self._stop.set()
        try:
            self.sink.close()
        except BaseException as exc:  # noqa: BLE001
            self._error = self._error or exc
        self._stop.set()

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error
