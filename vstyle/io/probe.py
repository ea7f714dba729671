"""Opening an input and describing its video before the first frame is handed on.

Everything here runs once per input: open the container (file, pattern, stdin or
raw video), pick the video stream, and fill a :class:`~vstyle.frames.VideoInfo`
from the stream and its first decoded frame (rotation and colours live there).
"""

from __future__ import annotations

import os
import select
import stat
import sys
import threading
from fractions import Fraction
from typing import BinaryIO

import av

from ..errors import InputError, OptionError
from ..frames import VideoInfo
from ..options import DEFAULT_PIX_FMT, DEFAULT_RATE, IOOptions
from .convert import source_color
from .formats import STDIO, container_format, is_sequence


class PipeReader:
    """A pipe (stdin, a FIFO, ``<(...)``) read for FFmpeg that gives up when ``stop`` is set.

    A blocking read of a stalled pipe cannot be interrupted, and a signal's exception
    raised inside PyAV's read callback is swallowed there; so reads wait in short
    ``select`` slices and return end-of-file once ``stop`` is set (by a signal, see
    ``pipeline.signals_interrupt``); the caller then sees ``stop`` and stops.
    """

    def __init__(self, fd: int, stop: threading.Event | None, owned: bool = False) -> None:
        self.fd, self.stop, self.owned = fd, stop or threading.Event(), owned
        self._first = b""

    def peek(self, size: int = 1) -> bytes:
        """The first bytes (kept for ``read``); empty if the pipe was closed at once."""
        self._first = self._first or self.read(65536)
        return self._first

    def read(self, size: int = 65536) -> bytes:
        size = size if size > 0 else 65536
        try:
            if self._first:  # never more than asked: PyAV copies it all into FFmpeg's buffer
                data, self._first = self._first[:size], self._first[size:]
                return data
            while not self.stop.is_set():
                if select.select([self.fd], [], [], 0.1)[0]:
                    return os.read(self.fd, size)
        except KeyboardInterrupt:  # PyAV would swallow it: make it a stop instead
            self.stop.set()
        return b""

    def close(self) -> None:
        if self.owned and self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def input_file(name: str, stop: threading.Event | None = None) -> str | PipeReader | BinaryIO:
    """What FFmpeg should open for the input ``name``.

    A file or pattern gets the ``file:`` prefix so that a colon in its name
    (``in:1.mp4``) is never read as a protocol; stdin and other pipes get a
    :class:`PipeReader` (a stream handed in without a descriptor, as in tests, is
    read as it is).

    Raises:
        InputError: stdin is closed, the file is missing, or empty.
    """
    if name == STDIO:
        if sys.stdin is None:
            raise InputError(
                "input '-' (stdin) is closed (was vstyle started with <&-?); "
                "pipe a video in or name an input file"
            )
        try:
            fd = sys.stdin.buffer.fileno()
            if not stat.S_ISREG(
                os.fstat(fd).st_mode
            ):  # a file (< in.mp4) may seek and never stalls
                return PipeReader(fd, stop)
        except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError
            pass
        return sys.stdin.buffer
    if is_sequence(name):
        return f"file:{name}"
    try:
        mode = os.stat(name).st_mode
    except FileNotFoundError:
        raise InputError(f"input '{name}' does not exist") from None
    if stat.S_ISREG(mode):
        if os.stat(name).st_size == 0:
            raise InputError(f"input '{name}' is empty (0 bytes)")
        return f"file:{name}"
    return PipeReader(os.open(name, os.O_RDONLY), stop, owned=True)


def open_container(
    name: str, io: IOOptions, file: str | PipeReader | BinaryIO
) -> av.container.InputContainer:
    """Open an input for demuxing.

    Args:
        name: the input as the user named it (for messages).
        file: what to open, from :func:`input_file`.

    Raises:
        InputError: empty, unreadable or not a media file.
        OptionError: an unknown ``--input-format`` or incomplete raw-video options.
    """
    fmt = container_format(io.input_format, "--input-format") if io.input_format else None
    options: dict[str, str] = {}
    if fmt == "rawvideo":
        if io.input_size is None:
            raise OptionError("--input-format rawvideo needs --input-size WxH (and --input-rate)")
        pix_fmt = io.input_pix_fmt or DEFAULT_PIX_FMT
        try:
            av.VideoFormat(pix_fmt)
        except ValueError:
            raise OptionError(f"--input-pix-fmt '{pix_fmt}' is not a pixel format") from None
        options = {"video_size": "{}x{}".format(*io.input_size), "pixel_format": pix_fmt}
    if fmt == "rawvideo" or is_sequence(name):
        fmt = fmt or "image2"
        options["framerate"] = str(io.input_rate or DEFAULT_RATE)
    shown = "'-' (stdin)" if name == STDIO else f"'{name}'"
    if hasattr(file, "peek") and not file.peek(1):
        if name == STDIO:
            raise InputError("input '-' (stdin) is empty: nothing was piped in")
        raise InputError(f"input {shown} is empty: the pipe was closed before any data")
    try:
        return av.open(file, format=fmt, options=options)
    except av.FFmpegError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InputError(f"input {shown} is not a video FFmpeg can read ({reason})") from None


def video_stream(container: av.container.InputContainer, name: str) -> av.VideoStream:
    """The first real video stream (cover art does not count)."""
    for stream in container.streams.video:
        if stream.disposition & av.stream.Disposition.attached_pic:
            continue
        if stream.codec_context is None:
            raise InputError(f"input '{name}': its video codec has no decoder in this FFmpeg")
        return stream
    kinds = ", ".join(s.type for s in container.streams) or "none"
    raise InputError(f"input '{name}' has no video stream (streams: {kinds})")


def describe(
    container: av.container.InputContainer,
    stream: av.VideoStream,
    first: av.VideoFrame,
    io: IOOptions,
    begin: Fraction,
) -> VideoInfo:
    """What the sink and the progress bar need, from the stream and its first frame.

    Args:
        begin: input seconds where the kept range starts (output time zero).
    """
    rate = stream.average_rate or stream.guessed_rate or io.input_rate
    rate = Fraction(rate) if rate else None
    turned = round(first.rotation / 90) % 2 == 1
    width, height = (first.height, first.width) if turned else (first.width, first.height)
    sar = Fraction(stream.sample_aspect_ratio or 1)
    duration = container.duration / 1e6 if container.duration else None
    if duration is not None:
        duration = max(0.0, duration - float(begin))
        duration = min(duration, io.duration) if io.duration else duration
    count = stream.frames or None
    if count and (io.start or io.duration) and rate and duration is not None:
        count = round(duration * rate)
    if io.frames is not None:
        count = min(count, io.frames) if count else io.frames
    return VideoInfo(
        width=width,
        height=height,
        rate=rate,
        time_base=Fraction(stream.time_base) if stream.time_base else None,
        frame_count=count,
        sample_aspect_ratio=1 / sar if turned and sar else sar,
        color=source_color(first),
    )


def declared_end(
    container: av.container.InputContainer, stream: av.VideoStream
) -> tuple[Fraction, Fraction] | None:
    """(seconds where the video should end, allowance), from the stream or the container.

    The container's length also covers other streams (audio may run on), so it
    comes with an allowance of a second when there are any.
    """
    if stream.duration and stream.time_base:
        end = ((stream.start_time or 0) + stream.duration) * Fraction(stream.time_base)
        return end, Fraction(0)
    if container.duration:
        end = Fraction((container.start_time or 0) + container.duration, 1_000_000)
        return end, Fraction(1) if len(container.streams) > 1 else Fraction(0)
    return None
