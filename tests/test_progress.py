"""The CLI's progress: frames counted for every engine, iterations only where there are any."""

from __future__ import annotations

import io

import numpy as np
from rich.console import Console
from rich.progress import MofNCompleteColumn, Progress, TextColumn

from vstyle.frames import Frame, VideoInfo
from vstyle.progress import ProgressHooks, progress_hooks
from vstyle.records import FrameRecord, IterationProgress

FRAME = Frame(0, np.zeros((2, 2, 3), np.uint8))


def drawn(width: int = 160) -> tuple[Progress, Console]:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    bar = Progress(
        TextColumn("{task.description}"),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TextColumn("{task.fields[extra]}"),
        console=console,
    )
    return bar, console


def text(bar: Progress, console: Console) -> str:
    console.print(bar.get_renderable())
    return console.file.getvalue()


def test_an_engine_without_iterations_gets_a_frame_count() -> None:
    bar, console = drawn()
    hooks = ProgressHooks(bar).hooks()
    hooks.on_start(VideoInfo(64, 48, frame_count=None), (32, 24))  # a pipe: length unknown
    for i in range(3):
        hooks.on_record(FrameRecord(i, 0.25, "copy"))
        hooks.on_frame(FRAME)
    out = text(bar, console)
    assert "frames 32x24" in out and "3/?" in out and "last 0.25s" in out
    assert "iterations" not in out
    assert len(bar.tasks) == 1


def test_iterations_restart_per_frame_and_name_the_scale() -> None:
    bar, console = drawn()
    hooks = ProgressHooks(bar).hooks()
    hooks.on_start(VideoInfo(64, 48, frame_count=2), (64, 48))
    for i in (1, 2, 3):
        hooks.on_iteration(IterationProgress(i, 3, loss=10.0 / i))
    hooks.on_frame(FRAME)
    assert bar.tasks[1].completed == 3
    hooks.on_iteration(IterationProgress(1, 5, loss=2.0, scale=1, scales=2))
    out = text(bar, console)
    assert "frames 64x48" in out and "1/2" in out
    assert "iterations 2/2" in out and "1/5" in out and "loss 2" in out
    assert bar.tasks[1].total == 5 and bar.tasks[1].completed == 1


def test_a_picture_shows_only_iterations() -> None:
    bar, console = drawn()
    hooks = ProgressHooks(bar).hooks()
    hooks.on_start(VideoInfo(64, 48, frame_count=1), (64, 48))
    hooks.on_iteration(IterationProgress(1, 4, loss=1.5))
    hooks.on_record(FrameRecord(0, 1.0, "optimize"))
    hooks.on_frame(FRAME)
    out = text(bar, console)
    assert (
        "frames" not in out
        and "1/4" in out
        and [t.description for t in bar.tasks] == ["iterations"]
    )


def test_quiet_draws_nothing() -> None:
    with progress_hooks(quiet=True) as hooks:
        assert hooks.on_start is None and hooks.on_iteration is None and hooks.on_frame is None
