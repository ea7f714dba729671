"""The decode-ahead and encode-behind threads: order, bounds, errors, stopping."""

from __future__ import annotations

import threading
import time

import pytest

from vstyle.io.threads import BackgroundSink, prefetch


def test_prefetch_keeps_order_and_raises_after_the_good_items():
    def items():
        yield from range(5)
        raise ValueError("broken at 5")

    got = []
    with pytest.raises(ValueError, match="broken at 5"):
        for item in prefetch(items(), maxsize=2):
            got.append(item)
    assert got == [0, 1, 2, 3, 4]


def test_prefetch_runs_at_most_maxsize_ahead_and_stops_when_closed():
    made = []
    closed = threading.Event()

    def items():
        try:
            for i in range(1000):
                made.append(i)
                yield i
        finally:
            closed.set()

    frames = prefetch(items(), maxsize=3)
    assert next(frames) == 0
    time.sleep(0.2)
    assert len(made) <= 1 + 3 + 1  # taken, queued, one waiting to be queued
    frames.close()
    assert closed.wait(2)  # the producer's generator was closed on its thread


class ListSink:
    def __init__(self, fail_at: int | None = None) -> None:
        self.items, self.closed, self.fail_at = [], False, fail_at

    def write(self, item: int) -> None:
        if item == self.fail_at:
            raise OSError("disk full")
        time.sleep(0.001)
        self.items.append(item)

    def close(self) -> None:
        self.closed = True


def test_background_sink_writes_everything_before_close_returns():
    inner = ListSink()
    with BackgroundSink(inner, maxsize=2) as sink:
        for i in range(20):
            sink.write(i)
    assert inner.items == list(range(20)) and inner.closed


def test_background_sink_error_reaches_the_writer():
    inner = ListSink(fail_at=3)
    sink = BackgroundSink(inner, maxsize=1)
    with pytest.raises(OSError, match="disk full"):
        for i in range(100):
            sink.write(i)
        sink.close()
    assert inner.closed and inner.items == [0, 1, 2]
