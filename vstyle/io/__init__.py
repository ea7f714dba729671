"""Sources and sinks: where frames come from and where they go.

``open_source`` and ``open_sink`` pick the right kind from the path and options:
pictures (one-frame videos), videos in any container PyAV reads, image sequences
(``frames/%05d.png``) and ``-`` for stdin/stdout.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from ..errors import InputError, OutputError
from ..frames import Frame, VideoInfo
from ..options import Options
from .audio import SideFeed
from .formats import STDIO, is_sequence, output_kind
from .image import IMAGE_EXTENSIONS, ImageSink, ImageSource, is_image_path
from .sink import VideoSink
from .source import VideoSource

__all__ = ["open_source", "open_sink", "check_output", "IMAGE_EXTENSIONS", "Source", "Sink"]


class Source(Protocol):
    """Frames in: ``info`` before the first frame, ``side`` streams for the sink."""

    info: VideoInfo
    side: SideFeed | None

    def frames(self) -> Iterator[Frame]: ...
    def close(self) -> None: ...
    def __enter__(self) -> Source: ...
    def __exit__(self, *exc: object) -> None: ...


class Sink(Protocol):
    """Frames out: ``write`` each, ``close`` once (flushes and finishes the file)."""

    def write(self, frame: Frame) -> None: ...
    def close(self) -> None: ...
    def __enter__(self) -> Sink: ...
    def __exit__(self, *exc: object) -> None: ...


def open_source(options: Options) -> Source:
    """Open the input named in ``options`` as a frame source."""
    name = str(options.input)
    if name == STDIO or options.io.input_format or is_sequence(name):
        return VideoSource(name, options.io)
    path = Path(name)
    if not path.exists():
        raise InputError(f"input '{path}' does not exist")
    if path.is_dir():
        raise InputError(f"input '{path}' is a folder, not a picture or video")
    if is_image_path(path):
        return ImageSource(path)
    return VideoSource(name, options.io)


def open_sink(
    options: Options,
    info: VideoInfo,
    path: Path | str | None = None,
    side: SideFeed | None = None,
) -> Sink:
    """Open a sink for the output in ``options`` (or at ``path``, e.g. a temporary name).

    Args:
        side: the source's audio/subtitle feed to carry over (None: video only).
    """
    kind = output_kind(options.output, options.io.output_format)
    target = path if path is not None else options.output
    if kind.image:
        return ImageSink(target)
    return VideoSink(options.io, info, kind, target, side)


def sequence_files(pattern: str) -> list[Path]:
    """The first files a frame pattern would write (numbering starts at 0 or 1)."""
    return [Path(pattern % n) for n in (0, 1)]


def check_output(options: Options) -> None:
    """Refuse outputs that would lose data or cannot be written, before any work."""
    kind = output_kind(options.output, options.io.output_format)
    if kind.stdout:
        return
    out, inp = Path(str(options.output)), Path(str(options.input))
    if str(options.input) != STDIO:
        linked = inp.exists() and out.exists() and os.path.samefile(inp, out)
        if linked or out.resolve() == inp.resolve():
            raise OutputError(f"output '{out}' is the input; choose another name")
    if out.is_dir():
        raise OutputError(f"output '{out}' is a folder; give a file name")
    existing = [p for p in sequence_files(str(out)) if p.exists()] if kind.sequence else [out]
    if any(p.exists() for p in existing) and not options.overwrite:
        raise OutputError(f"output '{existing[0]}' exists; pass --overwrite to replace it")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"output folder '{folder}' does not exist; create it first")
    if not os.access(folder, os.W_OK):
        raise OutputError(f"output folder '{folder}' is not writable; choose another folder")
