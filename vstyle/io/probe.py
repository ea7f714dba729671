"""Opening an input and describing its video before the first frame is handed on.

Everything here runs once per input: open the container (file, pattern, stdin or
raw video), pick the video stream, and fill a :class:`~vstyle.frames.VideoInfo`
from the stream and its first decoded frame (rotation and colours live there).
"""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

import av

from ..errors import InputError, OptionError
from ..frames import VideoInfo
from ..options import IOOptions
from .convert import source_color
from .formats import STDIO, container_format, is_sequence


def open_container(name: str, io: IOOptions) -> av.container.InputContainer:
    """Open a file, pattern or stdin (``-``) for demuxing.

    Raises:
        InputError: empty, unreadable or not a media file.
        OptionError: an unknown ``--input-format`` or incomplete raw-video options.
    """
    fmt = container_format(io.input_format, "--input-format") if io.input_format else None
    options: dict[str, str] = {}
    if fmt == "rawvideo":
        if io.input_size is None:
            raise OptionError("--input-format rawvideo needs --input-size WxH (and --input-rate)")
        pix_fmt = io.input_pix_fmt or "yuv420p"
        try:
            av.VideoFormat(pix_fmt)
        except ValueError:
            raise OptionError(f"--input-pix-fmt '{pix_fmt}' is not a pixel format") from None
        options = {"video_size": "{}x{}".format(*io.input_size), "pixel_format": pix_fmt}
    if fmt == "rawvideo" or is_sequence(name):
        fmt = fmt or "image2"
        options["framerate"] = str(io.input_rate or 25)
    if name == STDIO:
        source = sys.stdin.buffer
        if hasattr(source, "peek") and not source.peek(1):
            raise InputError("input '-' (stdin) is empty: nothing was piped in")
        shown = "'-' (stdin)"
    else:
        source, shown = name, f"'{name}'"
        if not is_sequence(name) and Path(name).stat().st_size == 0:
            raise InputError(f"input {shown} is empty (0 bytes)")
    try:
        return av.open(source, format=fmt, options=options)
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
