"""The rich progress bar of ``vstyle train``, for the CLI only (the loop never draws):
steps done, it/s, the loss terms of the last step, elapsed time and ETA."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from rich.progress import TaskID

from ..progress import stderr_bar
from .loop import OnTrainStep, TrainStep


def describe_terms(step: TrainStep) -> str:
    """``loss 2.31 (content 0.52 style 1.7 ...)``: the step's total and weighted terms."""
    terms = " ".join(f"{k} {v:.3g}" for k, v in step.terms.items())
    return f"loss {step.loss:.4g} ({terms})"


@contextlib.contextmanager
def train_progress(steps: int, quiet: bool = False) -> Iterator[OnTrainStep | None]:
    """An ``on_step`` callback drawing a bar on stderr up to step ``steps``, or None
    when ``quiet``."""
    if quiet:
        yield None
        return
    bar = stderr_bar()
    task: list[TaskID] = []  # the bar appears with the first step: errors come alone

    def on_step(step: TrainStep) -> None:
        if not task:  # it/s counts from the first step run here (a resumed run starts late)
            bar.start()
            task.append(bar.add_task("train", total=steps, completed=step.step - 1, rate="",
                                     extra=""))  # fmt: skip
        speed = bar.tasks[0].speed or 0.0
        bar.update(task[0], completed=step.step, rate=f"{speed:.2f} it/s",
                   extra=describe_terms(step))  # fmt: skip

    try:
        yield on_step
    finally:
        if task:
            bar.stop()
