"""The whole job in a few lines: source -> resize -> stylizer -> sink.

A stylizer maps an iterator of frames to an iterator of frames; any temporal
state (previous frames, flow) lives inside it. The sink is written under a
temporary name beside the target and renamed only when the run succeeds.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .device import Runtime, out_of_memory_hint
from .frames import Frame, VideoInfo
from .io import check_output, open_sink, open_source
from .io.image import processing_size, resize
from .options import Options

log = logging.getLogger(__name__)

Stylizer = Callable[[Iterable[Frame]], Iterator[Frame]]


@dataclass
class Hooks:
    """Callbacks through which the core reports progress; the CLI draws them.

    Attributes:
        on_start: called once with the source's info and the processing size.
        on_frame: called after each frame is written.
        on_step: called after each optimizer iteration with a ``Step``.
    """

    on_start: Callable[[VideoInfo, tuple[int, int]], None] | None = None
    on_frame: Callable[[Frame], None] | None = None
    on_step: Callable[[object], None] | None = None


@dataclass
class Report:
    """What a run did, for ``--report`` and the Python API."""

    frames: int = 0
    seconds: float = 0.0
    size: tuple[int, int] = (0, 0)
    frame_reports: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "frames": self.frames,
            "seconds": round(self.seconds, 4),
            "fps": round(self.frames / self.seconds, 4) if self.seconds else None,
            "size": list(self.size),
            "frame_reports": self.frame_reports,
        }


def copy_stylizer(frames: Iterable[Frame]) -> Iterator[Frame]:
    """``--method copy``: frames pass through untouched."""
    yield from frames


def build_stylizer(options: Options, runtime: Runtime, hooks: Hooks, report: Report) -> Stylizer:
    """Pick the engine named by ``options.method``."""
    if options.method == "copy":
        return copy_stylizer
    from .optimize.stylizer import FrameOptimizer

    return FrameOptimizer(options, runtime, on_step=hooks.on_step, report=report)


def temporary_path(output: Path) -> Path:
    """A hidden name beside ``output`` with the same extension."""
    return output.with_name(f".{output.stem}.partial-{os.getpid()}{output.suffix}")


def run(options: Options, hooks: Hooks | None = None) -> Report:
    """Stylize ``options.input`` into ``options.output``.

    Raises:
        VstyleError: any problem with the inputs, outputs, device or options.
    """
    hooks = hooks or Hooks()
    check_output(options)
    runtime = Runtime.from_options(options.runtime.device, options.runtime.precision)
    report = Report()
    output = Path(str(options.output))
    start = time.perf_counter()
    with open_source(options) as source:
        info = source.info
        width, height = processing_size(info.width, info.height, options.size)
        report.size = (width, height)
        if hooks.on_start:
            hooks.on_start(info, (width, height))
        stylizer = build_stylizer(options, runtime, hooks, report)
        tmp = temporary_path(output)
        try:
            with open_sink(options, info, tmp) as sink, out_of_memory_hint():
                frames = (f.with_rgb(resize(f.rgb, width, height)) for f in source.frames())
                for frame in stylizer(frames):
                    if options.size.output_size == "source":
                        frame = frame.with_rgb(resize(frame.rgb, info.width, info.height))
                    sink.write(frame)
                    report.frames += 1
                    if hooks.on_frame:
                        hooks.on_frame(frame)
            os.replace(tmp, output)
        finally:
            if tmp.exists():
                tmp.unlink()
    report.seconds = time.perf_counter() - start
    log.info("wrote %s: %d frame(s) in %.2fs", output, report.frames, report.seconds)
    return report
