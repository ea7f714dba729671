"""Where a live picture goes: a recording, stdout, a virtual camera. Each on its own thread.

Every output sits behind a :class:`DroppingSink`: ``write`` leaves the frame in a
one-slot buffer and returns at once; the output's thread takes the newest frame when
it is ready for one. An encoder or a virtual camera slower than the painter therefore
drops frames (counted) and never delays the picture. Recordings and streams keep each
frame's capture time, so they play at real speed whatever was dropped.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol

from ..errors import OutputError
from ..frames import Frame, VideoInfo
from ..io import check_output
from ..io.formats import PRESET_CODECS, choose_codec, output_kind
from ..io.sink import VideoSink
from ..options import IOOptions
from .buffer import TIME_BASE, LatestSlot

LIVE_EXTRA = "pip install 'vstyle[live]'"
LIVE_PRESETS = {"h264_nvenc": "p1", "hevc_nvenc": "p1"}  # x264/x265: ultrafast


class FrameSink(Protocol):
    def write(self, frame: Frame) -> None: ...
    def close(self) -> None: ...


class DroppingSink:
    """Runs ``sink.write`` on a thread fed by a one-slot buffer (a busy sink drops).

    An error on the thread is raised by the next :meth:`write` or by :meth:`close`.

    Attributes:
        name: what the summary calls this output.
        written: frames the sink took; ``dropped``: frames replaced before it could.
    """

    def __init__(self, sink: FrameSink, name: str) -> None:
        self.sink, self.name = sink, name
        self.slot: LatestSlot[Frame] = LatestSlot()
        self.written = 0
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name=f"vstyle-{name}", daemon=True)
        self._thread.start()

    @property
    def dropped(self) -> int:
        return self.slot.dropped

    def write(self, frame: Frame) -> None:
        self._raise()
        self.slot.put(frame)

    def close(self) -> None:
        """Write what waits in the slot, close the sink, raise any error it met."""
        self.slot.close()
        self._thread.join()
        self._raise()

    def _work(self) -> None:
        try:
            while (frame := self.slot.take()) is not None:
                self.sink.write(frame)
                self.written += 1
        except BaseException as exc:  # noqa: BLE001 - raised on the main thread
            self.error = exc
            self.slot.close()
        try:
            self.sink.close()
        except BaseException as exc:  # noqa: BLE001
            self.error = self.error or exc

    def _raise(self) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            raise error


class Rebased:
    """A video sink whose first frame is at time zero (capture times are since the start)."""

    def __init__(self, sink: VideoSink) -> None:
        self.sink = sink
        self.origin: int | None = None

    def write(self, frame: Frame) -> None:
        if self.origin is None:
            self.origin = frame.pts or 0
        self.sink.write(replace(frame, pts=(frame.pts or 0) - self.origin))

    def close(self) -> None:
        self.sink.close()


def stream_info(size: tuple[int, int], rate: float) -> VideoInfo:
    """The description a live stream gives an encoder: capture times in microseconds."""
    return VideoInfo(size[0], size[1], Fraction(rate).limit_denominator(1001), TIME_BASE)


def record_sink(path: Path, io: IOOptions, info: VideoInfo, overwrite: bool) -> Rebased:
    """``--record OUT``: encode what is shown, at its capture timestamps.

    Raises:
        OutputError: OUT exists (without ``--overwrite``), is not a video name, or
            cannot be created.
    """
    kind = output_kind(path, None)
    if kind.image or kind.sequence:
        raise OutputError(f"--record '{path}' must be a video file such as live.mp4 or live.mkv")
    check_output("", path, kind, overwrite)
    codec = choose_codec(kind, io.codec, path.suffix.lower())
    if io.preset is None and codec in PRESET_CODECS:
        io = replace(io, preset=LIVE_PRESETS.get(codec, "ultrafast"))  # keep up with the camera
    return Rebased(VideoSink(io, info, kind, path, name=path, overwrite=overwrite))


def stdout_sink(output_format: str, io: IOOptions, info: VideoInfo) -> Rebased:
    """``--output -``: stream to stdout (nut keeps the timestamps; y4m and raw a rate)."""
    kind = output_kind("-", output_format)
    check_output("", "-", kind, False)
    return Rebased(VideoSink(io, info, kind, "-"))


def import_pyvirtualcam() -> Any:
    """``pyvirtualcam``, or a one-line error naming the extra to install."""
    try:
        import pyvirtualcam
    except ImportError:
        raise OutputError(
            f"--virtual-camera needs pyvirtualcam, which is not installed: {LIVE_EXTRA}"
        ) from None
    return pyvirtualcam


class VirtualCamera:
    """``--virtual-camera``: frames to v4l2loopback (Linux) or OBS Virtual Camera.

    Raises:
        OutputError: pyvirtualcam is missing (names the extra) or no virtual camera
            device can be opened (names what to load or install).
    """

    def __init__(self, size: tuple[int, int], rate: float) -> None:
        pyvirtualcam = import_pyvirtualcam()
        try:
            self.camera = pyvirtualcam.Camera(
                size[0], size[1], rate, fmt=pyvirtualcam.PixelFormat.RGB
            )
        except (RuntimeError, OSError, ValueError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise OutputError(
                f"--virtual-camera cannot open a device ({first}); on Linux load one with "
                "'sudo modprobe v4l2loopback exclusive_caps=1', on Windows or macOS install "
                "OBS Studio and start its Virtual Camera once"
            ) from None
        self.device = getattr(self.camera, "device", "virtual camera")

    def write(self, frame: Frame) -> None:
        self.camera.send(frame.rgb)

    def close(self) -> None:
        self.camera.close()
