"""Video sinks: encode RGB frames into a container file, a frame pattern or stdout.

Encoding is PyAV's ``stream.encode(frame)`` per frame and ``stream.encode()`` to
flush. Each frame keeps its own timestamp (variable frame rate survives), except in
containers that store only a rate (avi, y4m, raw, gif, image sequences), where
frames are numbered at the stream's exact rate.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import sys
from fractions import Fraction
from pathlib import Path

import av

from ..errors import OptionError, OutputError
from ..frames import Frame, VideoInfo
from ..options import DEFAULT_RATE, IOOptions
from .audio import SideFeed, SideMuxer
from .convert import from_rgb, needs_even, pad_even, tag_encoder
from .formats import (
    CONSTANT_RATE,
    CRF_OPTION,
    PRESET_CODECS,
    OutputKind,
    choose_codec,
    choose_pix_fmt,
    parse_bitrate,
)
from .space import disk_full
from .staging import is_stream_file

log = logging.getLogger(__name__)

SEQUENCE_START = 1  # frame patterns are numbered from 1, as ffmpeg numbers them


class VideoSink:
    """Encodes frames; muxes the side streams (audio) in step with them.

    Args:
        io: encoder options.
        info: the source's description (rate, time base, colours, aspect).
        kind: the output container, from :func:`~vstyle.io.formats.output_kind`.
        target: file or pattern to write (ignored for stdout), e.g. a hidden temporary name.
        side: the source's audio/subtitle feed, or None.
        name: the output as the user named it, for messages (default: ``target``).
        overwrite: a frame pattern may replace existing pictures.
    """

    def __init__(
        self,
        io: IOOptions,
        info: VideoInfo,
        kind: OutputKind,
        target: Path | str,
        side: SideFeed | None = None,
        name: Path | str | None = None,
        overwrite: bool = False,
    ) -> None:
        self.kind, self.info, self.target, self.overwrite = kind, info, str(target), overwrite
        self.name = "'-' (stdout)" if kind.stdout else f"'{target if name is None else name}'"
        self.codec = choose_codec(kind, io.codec, Path(str(target)).suffix.lower())
        self.pix_fmt = choose_pix_fmt(self.codec, io.pix_fmt)
        self.pad = needs_even(self.codec, self.pix_fmt)
        self.written = 0
        self.end = Fraction(0)  # output seconds where the last written frame ends
        self._last_pts: int | None = None
        self.container = self._open()
        try:
            self.stream = self._add_video(io)
            self.side = SideMuxer(side, self.container, kind.format) if side else None
        except BaseException:
            self.container.close()
            raise

    def write(self, frame: Frame) -> None:
        """Encode one frame (the first one fixes the size)."""
        rgb = pad_even(frame.rgb) if self.pad else frame.rgb
        ctx = self.stream.codec_context
        if self.written == 0:
            ctx.height, ctx.width = rgb.shape[:2]
        elif (ctx.width, ctx.height) != (rgb.shape[1], rgb.shape[0]):
            raise OutputError(
                f"frame {frame.index} is {frame.size[0]}x{frame.size[1]} but the output is "
                f"{ctx.width}x{ctx.height}; every frame must have the same size"
            )
        out = from_rgb(rgb, self.pix_fmt, self.color)
        out.pts, out.time_base = self._timestamp(frame)
        picture = self._check_picture_name()
        try:
            for packet in self.stream.encode(out):
                self.container.mux(packet)
            if self.side is not None:
                self.side.mux_until(Fraction(out.pts) * out.time_base)
        except (av.FFmpegError, OSError) as exc:
            if picture is not None:  # a half-written picture is no frame
                with contextlib.suppress(OSError):
                    os.unlink(picture)
            raise self._failure(exc, f"{self.codec} failed at frame {frame.index}") from None
        self.written += 1

    def close(self) -> None:
        """Flush the encoder, finish the side streams and write the container's trailer."""
        if self.container is None:
            return
        try:
            if self.written:
                for packet in self.stream.encode():
                    self.container.mux(packet)
                if self.side is not None:
                    feed = self.side.feed
                    self.side.finish(feed.end if feed.finished.is_set() else self.end)
        except (av.FFmpegError, OSError) as exc:
            raise self._failure(exc, "could not be finished") from None
        finally:
            self._close_container()

    def __enter__(self) -> VideoSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _open(self) -> av.container.OutputContainer:
        """Open the output now, so a name that cannot be created fails before any frame."""
        if self.kind.stdout:
            if sys.stdout is None:
                raise OutputError(
                    "output '-' (stdout) is closed (was vstyle started with >&-?); "
                    "redirect it to a file or a program, or name an output file"
                )
            file = sys.stdout.buffer
        else:
            if not self.kind.sequence and not is_stream_file(Path(self.target)):
                try:  # FFmpeg opens the file only at the first packet, maybe the last frame
                    open(self.target, "wb").close()  # noqa: SIM115
                except OSError as exc:
                    reason = exc.strerror or type(exc).__name__
                    raise OutputError(f"output {self.name} cannot be created ({reason})") from None
            self._check_sequence_names()
            file = f"file:{self.target}"  # a colon in the name is not a protocol
        options = {"start_number": str(SEQUENCE_START)} if self.kind.sequence else {}
        try:
            return av.open(file, "w", format=self.kind.format, options=options)
        except (av.FFmpegError, OSError) as exc:
            raise self._failure(exc, "cannot be opened") from None

    def _close_container(self) -> None:
        try:
            self.container.close()
            if self.kind.stdout:
                sys.stdout.buffer.flush()
        except OSError as exc:  # the trailer or the last bytes did not fit
            raise self._failure(exc, "could not be finished") from None
        finally:
            self.container = None

    def _failure(self, exc: BaseException, doing: str) -> OutputError:
        """One line for a failed write: a full disk, a closed pipe, or FFmpeg's reason."""
        where = _stdout_fd() if self.kind.stdout else Path(self.target).parent
        full = disk_full(f"output {self.name}", where, exc)
        if full is not None:
            return full
        if getattr(exc, "errno", None) == errno.EPIPE:
            return OutputError(
                f"output {self.name}: the program reading it closed the pipe after "
                f"{self.written} frame(s)"
            )
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        return OutputError(f"output {self.name}: {doing} ({reason})")

    def _picture_name(self, number: int) -> Path:
        return Path(self.target % (SEQUENCE_START + number))

    def _check_sequence_names(self) -> None:
        """Refuse a pattern whose pictures exist, for every frame the source announces."""
        if self.kind.sequence and not self.overwrite:
            for number in range(self.info.frame_count or 1):
                self._refuse_existing(self._picture_name(number))

    def _check_picture_name(self) -> Path | None:
        """The picture this frame goes to in a pattern, checked to be free (None: no pattern)."""
        if not self.kind.sequence:
            return None
        path = self._picture_name(self.written)
        if not self.overwrite:
            self._refuse_existing(path)
        return path

    def _refuse_existing(self, path: Path) -> None:
        if os.path.lexists(path):
            raise OutputError(
                f"output '{path}' exists (a frame of {self.name}); pass --overwrite to replace it"
            )

    def _add_video(self, io: IOOptions) -> av.VideoStream:
        rate = self.info.rate or DEFAULT_RATE
        stream = self.container.add_stream(self.codec, rate=rate)
        ctx = stream.codec_context
        ctx.pix_fmt = self.pix_fmt
        ctx.thread_count = 0  # let the encoder pick (x264 and ffv1 use every core)
        constant = self.kind.format in CONSTANT_RATE or self.info.time_base is None
        ctx.time_base = stream.time_base = 1 / rate if constant else self.info.time_base
        if self.info.sample_aspect_ratio != 1:
            ctx.sample_aspect_ratio = self.info.sample_aspect_ratio
        self.color = tag_encoder(ctx, self.pix_fmt, self.info)
        ctx.options = self._encoder_options(io, ctx)
        return stream

    def _encoder_options(self, io: IOOptions, ctx: av.VideoCodecContext) -> dict[str, str]:
        options: dict[str, str] = {}
        if io.bitrate:
            ctx.bit_rate = parse_bitrate(io.bitrate)
        elif io.crf is not None and self.codec in CRF_OPTION:
            options[CRF_OPTION[self.codec]] = str(io.crf)
            if self.codec == "libvpx-vp9":
                ctx.bit_rate = 0  # constant quality: crf alone, no bitrate cap
        if io.preset:
            if self.codec not in PRESET_CODECS:
                raise OptionError(
                    f"--preset {io.preset}: {self.codec} has no presets "
                    f"(they are for {', '.join(PRESET_CODECS)})"
                )
            options["preset"] = io.preset
        if self.codec == "libvpx-vp9":
            options.update({"row-mt": "1", "cpu-used": "4", "deadline": "good"})
        if self.kind.format == "avi":
            options["bf"] = "0"  # avi has no presentation times to reorder B-frames by
        return options

    def _timestamp(self, frame: Frame) -> tuple[int, Fraction]:
        """The frame's own pts, or its number at the exact rate where only a rate is kept."""
        ctx = self.stream.codec_context
        rate = self.info.rate or DEFAULT_RATE
        if self.kind.format in CONSTANT_RATE or frame.pts is None or frame.time_base is None:
            pts, time_base = self.written, Fraction(ctx.time_base)
        else:
            pts, time_base = frame.pts, frame.time_base
        if self._last_pts is not None and pts <= self._last_pts:
            pts = self._last_pts + 1  # encoders need rising pts; broken inputs repeat them
        self._last_pts = pts
        self.end = pts * time_base + 1 / rate
        return pts, time_base


def _stdout_fd() -> int | None:
    """The descriptor under ``sys.stdout``, if it has one (not in an in-process test runner)."""
    try:
        return sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return None
