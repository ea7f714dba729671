"""Rich progress for the CLI: a frame bar and, while optimizing, an iteration bar.

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
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from .frames import Frame, VideoInfo
from .pipeline import Hooks


@contextlib.contextmanager
def progress_hooks(quiet: bool = False) -> Iterator[Hooks]:
    """Hooks that draw progress on stderr, or do nothing when ``quiet``."""
    if quiet:
        yield Hooks()
        return
    console = Console(file=sys.stderr)
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TextColumn("{task.fields[extra]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )
    tasks: dict[str, int] = {}

    def on_start(info: VideoInfo, size: tuple[int, int]) -> None:
        total = info.frame_count
        if total != 1:
            tasks["frames"] = bar.add_task(
                f"frames {size[0]}x{size[1]}", total=total, rate="", extra=""
            )

    def on_frame(frame: Frame) -> None:
        if "frames" in tasks:
            task = bar.tasks[tasks["frames"]]
            speed = task.speed or 0.0
            bar.update(tasks["frames"], advance=1, rate=f"{speed:.2f} fps")

    def on_step(step: object) -> None:
        key = "iters"
        total = getattr(step, "total", None)
        done = getattr(step, "iteration", 0)
        if key not in tasks or done <= 1:
            if key in tasks:
                bar.reset(tasks[key], total=total, rate="", extra="")
            else:
                tasks[key] = bar.add_task("iterations", total=total, rate="", extra="")
        task = bar.tasks[tasks[key]]
        speed = task.speed or 0.0
        scales = getattr(step, "scales", 1)
        label = (
            f"iterations {getattr(step, 'scale', 0) + 1}/{scales}" if scales > 1 else "iterations"
        )
        bar.update(
            tasks[key],
            description=label,
            completed=done,
            total=total,
            rate=f"{speed:.1f} it/s",
            extra=f"loss {getattr(step, 'loss', float('nan')):.4g}",
        )

    with bar:
        yield Hooks(on_start=on_start, on_frame=on_frame, on_step=on_step)
