"""Background prefetch: order, errors, early stop, bounded lookahead, overlap."""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest
import torch

from vstyle.flow import FlowWindow, background_map, make_flow, prefetch_flows
from vstyle.frames import Frame, to_tensor

from .synthetic import Clip


def test_keeps_order() -> None:
    assert list(background_map(lambda x: x * x, range(20), depth=3)) == [x * x for x in range(20)]


def test_errors_surface_in_the_consumer() -> None:
    def items():
        yield 1
        raise OSError("disk gone")

    out = background_map(lambda x: x, items())
    assert next(out) == 1
    with pytest.raises(OSError, match="disk gone"):
        next(out)


def flow_workers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "vstyle-flow" and t.is_alive()]


def test_lookahead_is_bounded_and_closing_stops_the_worker() -> None:
    produced = []
    before = len(flow_workers())
    out = background_map(produced.append, range(1000), depth=2)
    next(out)
    time.sleep(0.3)
    assert len(produced) <= 4  # one consumed, two queued, one blocked on put
    assert len(flow_workers()) == before + 1  # the worker is running, under its name
    out.close()
    assert len(flow_workers()) == before  # ... and joined by close()


def test_work_overlaps_the_consumer() -> None:
    def slow(x: int) -> int:
        time.sleep(0.05)
        return x

    start = time.perf_counter()
    for _ in background_map(slow, range(10)):
        time.sleep(0.05)  # the "optimizer"
    # Serial would be 1.0 s; overlapped about 0.55 s.
    assert time.perf_counter() - start < 0.85


def test_prefetch_flows_matches_direct_computation(clip: Clip) -> None:
    frames = (Frame(i, rgb) for i, rgb in enumerate(clip.frames))
    items = list(prefetch_flows(frames, FlowWindow(make_flow("dis"), (1, 2))))
    assert [sorted(item.pairs) for item in items] == [[], [1], [1, 2], [1, 2]]
    flow = make_flow("dis")
    a, b = to_tensor(clip.frames[1]), to_tensor(clip.frames[3])
    torch.testing.assert_close(items[3].pairs[2].backward, flow(b, a))
    assert items[3].frame.index == 3 and items[3].frame.rgb is clip.frames[3]


def test_prefetch_flows_moves_only_the_flows(clip: Clip, device: torch.device) -> None:
    frames = (Frame(i, rgb) for i, rgb in enumerate(clip.frames[:2]))
    items = list(prefetch_flows(frames, FlowWindow(make_flow("dis"), (1,)), device))
    pair = items[1].pairs[1]
    assert pair.backward.device.type == device.type
    assert pair.reliability.device.type == device.type
    assert [f.name for f in dataclasses.fields(items[1])] == ["frame", "pairs"]
