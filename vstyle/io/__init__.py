"""Sources and sinks: where frames come from and where they go.

``open_source`` and ``open_sink`` pick the right kind from the path and options:
pictures (one-frame videos), videos in any container PyAV reads, image sequences
(``frames/%05d.png``) and ``-`` for stdin/stdout.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from ..errors import InputError, OutputError
from ..frames import Frame, VideoInfo
from ..options import IOOptions
from .audio import SideFeed
from .formats import STDIO, OutputKind, is_sequence
from .image import IMAGE_EXTENSIONS, ImageSink, ImageSource, is_image_path
from .sink import VideoSink
from .source import VideoSource
from .staging import is_stream_file

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


def open_source(name: str, io: IOOptions, stop: threading.Event | None = None) -> Source:
    """Open the input ``name`` (a picture, a video, a pattern or ``-``) as a frame source.

    Args:
        stop: set by a signal; reading a pipe then ends at once.
    """
    if name == STDIO or io.input_format or is_sequence(name):
        return VideoSource(name, io, stop)
    path = Path(name)
    if not path.exists():
        raise InputError(f"input '{path}' does not exist")
    if path.is_dir():
        raise InputError(f"input '{path}' is a folder, not a picture or video")
    if is_image_path(path):
        return ImageSource(path)
    return VideoSource(name, io, stop)


def open_sink(
    output: Path | str,
    io: IOOptions,
    kind: OutputKind,
    info: VideoInfo,
    path: Path | str | None = None,
    side: SideFeed | None = None,
    overwrite: bool = False,
) -> Sink:
    """Open a sink for ``output`` (writing at ``path`` when given, e.g. a temporary name).

    Args:
        kind: what ``output`` asks for, from :func:`~vstyle.io.formats.output_kind`.
        side: the source's audio/subtitle feed to carry over (None: video only).
        overwrite: a frame pattern may replace existing pictures.
    """
    target = output if path is None else path
    if kind.image:
        return ImageSink(target, output)
    return VideoSink(io, info, kind, target, side, name=output, overwrite=overwrite)


def sequence_files(pattern: str) -> list[Path]:
    """The first files a frame pattern would write (numbering starts at 0 or 1)."""
    return [Path(pattern % n) for n in (0, 1)]


def check_output(input: Path | str, output: Path | str, kind: OutputKind, overwrite: bool) -> None:
    """Refuse outputs that would lose data or cannot be written, before any work.

    A dangling link counts as existing; a pattern's other pictures are checked as
    they are written (see :class:`~vstyle.io.sink.VideoSink`).
    """
    if kind.stdout:
        if sys.stdout is None:
            raise OutputError(
                "output '-' (stdout) is closed (was vstyle started with >&-?); "
                "redirect it to a file or a program, or name an output file"
            )
        return
    out, inp = Path(str(output)), Path(str(input))
    if str(input) != STDIO:
        linked = inp.exists() and out.exists() and os.path.samefile(inp, out)
        if linked or out.resolve() == inp.resolve():
            raise OutputError(f"output '{out}' is the input; choose another name")
    if out.is_dir():
        raise OutputError(f"output '{out}' is a folder; give a file name")
    if out.is_block_device():
        raise OutputError(f"output '{out}' is a disk device; give a file name")
    if is_stream_file(out):  # a FIFO or /dev/null is written into, nothing is replaced
        return
    names = sequence_files(str(out)) if kind.sequence else [out]
    existing = [p for p in names if os.path.lexists(p)]
    if existing and not overwrite:
        raise OutputError(f"output '{existing[0]}' exists; pass --overwrite to replace it")
    folder = out.parent if str(out.parent) else Path(".")
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"output folder '{folder}' is a file, not a folder")
    if not folder.is_dir():
        raise OutputError(f"output folder '{folder}' does not exist; create it first")
    if not os.access(folder, os.W_OK):
        raise OutputError(f"output folder '{folder}' is not writable; choose another folder")
