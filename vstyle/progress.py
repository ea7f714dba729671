"""Rich progress for the CLI: a frame bar for every engine (videos) and, for engines
that iterate, an iteration line under it.

The core never prints; it calls the :class:`~vstyle.pipeline.Hooks` built here.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from .frames import Frame, VideoInfo
from .pipeline import Hooks
from .records import FrameRecord, IterationProgress, Stages


def stderr_bar() -> Progress:
    """The CLI's one bar layout, on stderr: label, bar, count, rate, detail, elapsed, ETA.

    Tasks carry the fields ``rate`` and ``extra`` (the detail: losses, engine, ...).
    """
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TextColumn("{task.fields[extra]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=Console(file=sys.stderr),
    )


class ProgressHooks:
    """Draws the frame bar (every engine) and the iteration line (engines that iterate).

    For an engine that times its stages (the fast one) the detail is where the time
    has gone so far, the largest shares of the elapsed time (``net 62% · decode 20%``);
    else how long the last frame took.
    """

    def __init__(self, bar: Progress) -> None:
        self.bar = bar
        self.frames: TaskID | None = None
        self.iterations: TaskID | None = None
        self.spent: Stages | None = None  # the stages' seconds so far
        self.chunks: TaskID | None = None

    def hooks(self) -> Hooks:
        return Hooks(self.on_start, self.on_frame, self.on_record, self.on_iteration, self.on_chunk)

    def on_start(self, info: VideoInfo, size: tuple[int, int]) -> None:
        if info.frame_count == 1:  # a picture: "1/1" says nothing
            return
        # total None (length unknown, e.g. a pipe) draws a pulsing bar with a count.
        self.frames = self.bar.add_task(
            f"frames {size[0]}x{size[1]}", total=info.frame_count, rate="", extra=""
        )

    def on_frame(self, frame: Frame) -> None:
        if self.frames is None:
            return
        speed = self.bar.tasks[self.frames].speed or 0.0
        self.bar.update(self.frames, advance=1, rate=f"{speed:.2f} fps")

    def on_record(self, record: FrameRecord) -> None:
        if self.frames is None:
            return
        stages = record.stages()
        if stages is None:
            self.bar.update(self.frames, extra=f"{record.engine} last {record.seconds:.2f}s")
            return
        self.spent = stages if self.spent is None else self.spent + stages
        elapsed = self.bar.tasks[self.frames].elapsed or 0.0
        self.bar.update(self.frames, extra=f"{record.engine} {self.spent.summary(elapsed)}")

    def on_chunk(self, done: int, chunks: int, frames: int, total: int) -> None:
        """``--cluster``: frames in finished chunks across the workers, then assembly."""
        if self.chunks is None:
            self.chunks = self.bar.add_task("chunks", total=total, rate="", extra="")
        speed = self.bar.tasks[self.chunks].speed or 0.0
        self.bar.update(
            self.chunks,
            description=f"chunks {done}/{chunks}",
            completed=frames,
            rate=f"{speed:.2f} fps",
        )

    def on_iteration(self, event: IterationProgress) -> None:
        if self.iterations is None:
            self.iterations = self.bar.add_task("iterations", total=event.total, rate="", extra="")
        elif event.iteration <= 1:  # a new frame or scale starts the line again
            self.bar.reset(self.iterations, total=event.total, rate="", extra="")
        label = "iterations"
        if event.scales > 1:
            label = f"iterations {event.scale + 1}/{event.scales}"
        speed = self.bar.tasks[self.iterations].speed or 0.0
        self.bar.update(
            self.iterations,
            description=label,
            completed=event.iteration,
            total=event.total,
            rate=f"{speed:.1f} it/s",
            extra=f"loss {event.loss:.4g}",
        )


@contextlib.contextmanager
def progress_hooks(quiet: bool = False) -> Iterator[Hooks]:
    """Hooks that draw progress on stderr, or do nothing when ``quiet``."""
    if quiet:
        yield Hooks()
        return
    bar = stderr_bar()
    with bar:
        yield ProgressHooks(bar).hooks()
