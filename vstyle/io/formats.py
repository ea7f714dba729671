"""Names of things: which container, codec and pixel format a path or option means.

Every table of defaults lives here so sources and sinks stay about moving frames.
Validation errors name the option, the value and the choices FFmpeg offers.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import av

from ..errors import OptionError, OutputError, did_you_mean
from ..options import CONTAINER_CODECS, DEFAULT_CODEC, DEFAULT_PIX_FMT, STDOUT_FORMATS
from .image import IMAGE_EXTENSIONS

STDIO = "-"
SEQUENCE = re.compile(r"%0?\d*d")
STDIN_FORMATS = ("y4m", "nut", "matroska", "mpegts", "rawvideo")
# Friendly names the CLI accepts for FFmpeg's own format names.
FORMAT_ALIASES = {"y4m": "yuv4mpegpipe", "mkv": "matroska", "ts": "mpegts"}
VIDEO_EXTENSIONS = {
    ".mp4": "mp4",
    ".m4v": "mp4",
    ".mkv": "matroska",
    ".mov": "mov",
    ".webm": "webm",
    ".avi": "avi",
    ".gif": "gif",
    ".nut": "nut",
    ".y4m": "yuv4mpegpipe",
}
# When the output container cannot take the input's audio codec as it is.
AUDIO_TRANSCODE = {"webm": "libopus", "matroska": "libopus", "avi": "libmp3lame", "nut": "libopus"}
# Containers that store a frame rate rather than per-frame timestamps.
CONSTANT_RATE = ("avi", "yuv4mpegpipe", "rawvideo", "image2", "gif")
# Encoders that cannot code an odd width or height with chroma subsampling.
EVEN_ONLY = ("libx264", "libx265", "h264_nvenc", "hevc_nvenc", "mpeg4")
CRF_OPTION = {"libx264": "crf", "libx265": "crf", "libvpx-vp9": "crf", "h264_nvenc": "cq"}
PRESET_CODECS = ("libx264", "libx265", "h264_nvenc", "hevc_nvenc")


@dataclass(frozen=True)
class OutputKind:
    """What the output name asks for: a container, and whether it is a pipe or a sequence."""

    format: str
    stdout: bool = False
    sequence: bool = False
    image: bool = False


def is_sequence(path: Path | str) -> bool:
    """True for printf-style frame patterns such as ``frames/%05d.png``."""
    text = str(path)
    return bool(SEQUENCE.search(Path(text).name)) and Path(text).suffix.lower() in IMAGE_EXTENSIONS


def container_format(name: str, what: str) -> str:
    """FFmpeg's name for a container given by the user, checked against this FFmpeg."""
    fmt = FORMAT_ALIASES.get(name, name)
    if fmt not in av.formats_available:
        known = sorted(set(STDIN_FORMATS + STDOUT_FORMATS) | set(av.formats_available))
        raise OptionError(
            f"{what} '{name}' is not a container FFmpeg knows{did_you_mean(name, known)}"
        )
    return fmt


def output_kind(output: Path | str, output_format: str | None) -> OutputKind:
    """Classify the output name (and ``--output-format``) into an :class:`OutputKind`."""
    text = str(output)
    if text == STDIO:
        fmt = container_format(output_format or STDOUT_FORMATS[0], "--output-format")
        return OutputKind(fmt, stdout=True)
    if output_format:
        return OutputKind(container_format(output_format, "--output-format"))
    suffix = Path(text).suffix.lower()
    if is_sequence(text):
        try:
            text % 1  # noqa: B018 - the pattern must number frames and nothing else
        except (TypeError, ValueError):
            raise OutputError(
                f"output '{text}': a frame pattern takes one number like %05d and no other %; "
                "write %% for a percent sign"
            ) from None
        return OutputKind("image2", sequence=True)
    if suffix in IMAGE_EXTENSIONS:
        return OutputKind("image2", image=True)
    if suffix in VIDEO_EXTENSIONS:
        return OutputKind(VIDEO_EXTENSIONS[suffix])
    known = ", ".join([*VIDEO_EXTENSIONS, *IMAGE_EXTENSIONS])
    raise OutputError(
        f"output '{text}': unsupported extension '{suffix or '(none)'}' "
        f"(videos and pictures: {known}; or a pattern like frames/%05d.png)"
    )


def choose_codec(kind: OutputKind, codec: str | None, suffix: str) -> str:
    """The video encoder: ``--codec`` if this FFmpeg has it, else the container's default."""
    if codec is None:
        if kind.format == "image2":
            return "mjpeg" if suffix in (".jpg", ".jpeg") else "png"
        return CONTAINER_CODECS.get(kind.format, DEFAULT_CODEC)
    if not _is_video_encoder(codec):
        encoders = sorted(c for c in av.codecs_available if _is_video_encoder(c))
        hint = did_you_mean(codec, encoders)
        raise OptionError(f"--codec '{codec}' is not a video encoder this FFmpeg has{hint}")
    return codec


def check_muxable(kind: OutputKind, codec: str) -> None:
    """Refuse a ``--codec`` the output container cannot store, before any work.

    Raises:
        OptionError: e.g. ``--codec gif`` into ``.mp4``.
    """
    if kind.format == "image2":
        return
    with av.open(io.BytesIO(), "w", format=kind.format) as probe:  # nothing is written
        try:
            probe.add_stream(codec)
        except ValueError as exc:  # PyAV asks FFmpeg's avformat_query_codec
            fix = CONTAINER_CODECS.get(kind.format, DEFAULT_CODEC)
            raise OptionError(
                f"--codec '{codec}' cannot be stored in a {kind.format} file ({exc}); "
                f"use --codec {fix} or an output name whose container takes {codec}"
            ) from None


def choose_pix_fmt(codec: str, pix_fmt: str | None) -> str:
    """``--pix-fmt`` checked against the encoder, or a default that suits it.

    ffv1 defaults to ``bgr0`` so that the RGB frames vstyle makes are stored exactly.
    """
    formats = [f.name for f in (av.Codec(codec, "w").video_formats or ())]
    if pix_fmt is None:
        preferred = {"ffv1": "bgr0", "gif": "rgb8", "png": "rgb24", "mjpeg": "yuvj420p"}
        pix_fmt = preferred.get(codec, DEFAULT_PIX_FMT)
        if formats and pix_fmt not in formats:
            pix_fmt = formats[0]
        return pix_fmt
    if formats and pix_fmt not in formats:
        raise OptionError(
            f"--pix-fmt '{pix_fmt}' is not supported by --codec {codec} "
            f"(supported: {', '.join(formats)}){did_you_mean(pix_fmt, formats)}"
        )
    return pix_fmt


def parse_bitrate(text: str) -> int:
    """``'2M'`` / ``'800k'`` / ``'1500000'`` to bits per second."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgG]?)\s*", text)
    if not match:
        raise OptionError(f"--bitrate '{text}' must be a number with an optional k/M/G, e.g. 4M")
    scale = {"": 1, "k": 1e3, "m": 1e6, "g": 1e9}[match.group(2).lower()]
    return int(float(match.group(1)) * scale)


def _is_video_encoder(name: str) -> bool:
    try:
        return av.Codec(name, "w").type == "video"
    except Exception:  # not an encoder at all
        return False
