"""The parts of live mode on their own: the latest-frame slot, an output that drops
when slow, the virtual camera through a fake pyvirtualcam, and source checks."""

from __future__ import annotations

import sys
import time
import types
from pathlib import Path

import numpy as np
import pytest

from vstyle.errors import InputError, OutputError
from vstyle.frames import Frame
from vstyle.live import capture
from vstyle.live.buffer import LatestSlot
from vstyle.live.sinks import DroppingSink, VirtualCamera
from vstyle.options import LiveOptions


def frame(i: int) -> Frame:
    return Frame(i, np.full((48, 64, 3), i, np.uint8), i * 1000, None)


def test_slot_keeps_the_newest_and_counts_the_rest() -> None:
    slot: LatestSlot[int] = LatestSlot()
    for i in range(5):
        slot.put(i)
    assert slot.take() == 4
    assert slot.dropped == 4
    assert slot.take(timeout=0.01) is None  # taken: nothing waits
    slot.put(9)
    slot.close()
    assert slot.take() == 9  # what was left, then the end
    assert slot.take() is None


class SlowSink:
    def __init__(self, delay: float) -> None:
        self.delay, self.frames, self.closed = delay, [], False

    def write(self, f: Frame) -> None:
        time.sleep(self.delay)
        self.frames.append(f.index)

    def close(self) -> None:
        self.closed = True


def test_a_slow_output_drops_and_never_blocks_the_writer() -> None:
    inner = SlowSink(0.05)
    sink = DroppingSink(inner, "slow")
    waits = []
    for i in range(20):
        start = time.perf_counter()
        sink.write(frame(i))
        waits.append(time.perf_counter() - start)
        time.sleep(0.005)
    sink.close()
    assert inner.closed
    assert max(waits) < 0.04  # a blocking write would wait out the 50 ms sink
    assert sink.dropped > 0
    assert sink.written + sink.dropped == 20
    assert inner.frames == sorted(inner.frames) and inner.frames[-1] == 19  # newest kept


def test_an_output_error_surfaces_on_the_main_thread() -> None:
    class Broken(SlowSink):
        def write(self, f: Frame) -> None:
            raise OutputError("disk full")

    sink = DroppingSink(Broken(0), "record")
    sink.write(frame(0))
    with pytest.raises(OutputError, match="disk full"):
        for i in range(1, 50):
            sink.write(frame(i))
            time.sleep(0.01)


def fake_pyvirtualcam(fail: str | None = None) -> types.ModuleType:
    module = types.ModuleType("pyvirtualcam")
    module.PixelFormat = types.SimpleNamespace(RGB="rgb")
    module.opened = []

    class Camera:
        def __init__(self, width: int, height: int, fps: float, *, fmt: str) -> None:
            if fail:
                raise RuntimeError(fail)
            self.size, self.fps, self.fmt, self.sent, self.device = (
                (width, height),
                fps,
                fmt,
                [],
                "/dev/video9",
            )
            self.closed = False
            module.opened.append(self)

        def send(self, rgb: np.ndarray) -> None:
            self.sent.append(rgb.shape)

        def close(self) -> None:
            self.closed = True

    module.Camera = Camera
    return module


def test_virtual_camera_sends_rgb_frames_of_its_size(monkeypatch) -> None:
    fake = fake_pyvirtualcam()
    monkeypatch.setitem(sys.modules, "pyvirtualcam", fake)
    camera = VirtualCamera((64, 48), 30.0)
    camera.write(frame(0))
    camera.close()
    (opened,) = fake.opened
    assert (opened.size, opened.fps, opened.fmt) == ((64, 48), 30.0, "rgb")
    assert opened.sent == [(48, 64, 3)] and opened.closed


def test_virtual_camera_without_the_extra_names_it(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pyvirtualcam", None)  # import fails
    with pytest.raises(OutputError, match=r"vstyle\[live\]"):
        VirtualCamera((64, 48), 30.0)


def test_virtual_camera_without_a_device_says_what_to_load(monkeypatch) -> None:
    fake = fake_pyvirtualcam("'v4l2loopback' backend: No v4l2 loopback device found")
    monkeypatch.setitem(sys.modules, "pyvirtualcam", fake)
    with pytest.raises(OutputError, match="modprobe v4l2loopback") as err:
        VirtualCamera((64, 48), 30.0)
    assert "\n" not in str(err.value)


def test_a_device_node_is_not_called_empty(tmp_path: Path) -> None:
    assert Path("/dev/null").stat().st_size == 0  # as /dev/video0 reports
    assert capture.check_source("/dev/null") is False  # not a regular file: no "empty"
    (tmp_path / "empty.mp4").touch()
    with pytest.raises(InputError, match=r"empty \(0 bytes\)"):
        capture.check_source(str(tmp_path / "empty.mp4"))
    with pytest.raises(InputError, match="does not exist"):
        capture.check_source(str(tmp_path / "missing.mp4"))
    assert capture.check_source("rtsp://camera.local/stream") is False  # left to OpenCV


def test_missing_camera_lists_the_indexes_that_open(monkeypatch) -> None:
    class FakeCapture:
        def __init__(self, index: int) -> None:
            self.index = index

        def isOpened(self) -> bool:  # noqa: N802 - OpenCV's name
            return self.index in (1, 3)

        def release(self) -> None:
            pass

    monkeypatch.setattr(capture.cv2, "VideoCapture", FakeCapture)
    monkeypatch.setattr(capture, "_camera_node", lambda index: None)
    with pytest.raises(InputError, match="no camera at that index; cameras that open: 1, 3"):
        capture.Capture(LiveOptions(camera=0))
    monkeypatch.setattr(FakeCapture, "isOpened", lambda self: False)
    with pytest.raises(InputError, match="none of 0-9 opens.*--source"):
        capture.Capture(LiveOptions(camera=2))


@pytest.mark.parametrize(
    ("readable", "words"),
    [(False, "permission denied on .*video7.*group"), (True, "video7 is busy or not a capture")],
)
def test_camera_node_that_will_not_open_says_why(readable, words, monkeypatch, tmp_path):
    node = tmp_path / "video7"
    node.touch()

    class ClosedCapture:
        def __init__(self, index: int) -> None:
            pass

        def isOpened(self) -> bool:  # noqa: N802 - OpenCV's name
            return False

        def release(self) -> None:
            pass

    monkeypatch.setattr(capture.cv2, "VideoCapture", ClosedCapture)
    monkeypatch.setattr(capture, "_camera_node", lambda index: node)
    # As root every node is readable, so the check of the node's mode is stood in for.
    monkeypatch.setattr(capture.os, "access", lambda path, mode: readable)
    with pytest.raises(InputError, match=words):
        capture.Capture(LiveOptions(camera=7))
