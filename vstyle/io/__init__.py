"""Sources and sinks: where frames come from and where they go.

``open_source`` and ``open_sink`` pick the right kind from the path and options.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import InputError, OutputError
from ..frames import VideoInfo
from ..options import Options
from .image import IMAGE_EXTENSIONS, ImageSink, ImageSource, is_image_path

__all__ = ["open_source", "open_sink", "check_output", "IMAGE_EXTENSIONS"]


def open_source(options: Options) -> ImageSource:
    """Open the input named in ``options`` as a frame source."""
    path = Path(str(options.input))
    if not path.exists():
        raise InputError(f"input '{path}' does not exist")
    if path.is_dir():
        raise InputError(f"input '{path}' is a folder, not a picture or video")
    if is_image_path(path):
        return ImageSource(path)
    raise InputError(
        f"input '{path}': unsupported extension '{path.suffix}' "
        f"(pictures: {', '.join(IMAGE_EXTENSIONS)})"
    )


def open_sink(options: Options, info: VideoInfo, path: Path | str | None = None) -> ImageSink:
    """Open a sink for the output in ``options`` (or at ``path``, e.g. a temporary name)."""
    target = Path(str(path if path is not None else options.output))
    if is_image_path(options.output):
        return ImageSink(target)
    raise OutputError(
        f"output '{options.output}': unsupported extension '{Path(str(options.output)).suffix}' "
        f"(pictures: {', '.join(IMAGE_EXTENSIONS)})"
    )


def check_output(options: Options) -> None:
    """Refuse outputs that would lose data or cannot be written, before any work."""
    out = Path(str(options.output))
    inp = Path(str(options.input))
    if inp.exists() and out.exists() and os.path.samefile(inp, out):
        raise OutputError(f"output '{out}' is the input; choose another name")
    if out.resolve() == inp.resolve():
        raise OutputError(f"output '{out}' is the input; choose another name")
    if out.is_dir():
        raise OutputError(f"output '{out}' is a folder; give a file name")
    if out.exists() and not options.overwrite:
        raise OutputError(f"output '{out}' exists; pass --overwrite to replace it")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"output folder '{folder}' does not exist")
    if not os.access(folder, os.W_OK):
        raise OutputError(f"output folder '{folder}' is not writable")
