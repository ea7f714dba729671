"""One training run from options to model file: the trainer chosen, steps run with
their checkpoints, the ``.vsm`` written.

Apart from :mod:`.loop` so that the trainers built on :class:`.loop.Trainer` (the
inverse net's, :mod:`.arbitrary`) import the loop without the loop importing them.
"""

from __future__ import annotations

import time

from ..device import Runtime, out_of_memory_hint
from ..models import style_fields
from ..nets.modelfile import ModelInfo, save_model
from ..options import TrainOptions
from . import checkpoint
from .arbitrary import InverseTrainer
from .loop import OnTrainStep, Trainer, TrainResult, check_out, run_steps


def make_trainer(options: TrainOptions, runtime: Runtime) -> Trainer:
    """The trainer of the run: a fast net for one style, or ``--arbitrary``'s inverse net."""
    if options.arbitrary:
        return InverseTrainer(options, runtime)
    return Trainer(options, runtime)


def model_info(options: TrainOptions, runtime: Runtime, steps_done: int) -> ModelInfo:
    """The ``.vsm`` metadata of a trained net: every option that shaped it, the steps
    done, where it ran, and the style picture's name, hash and thumbnail."""
    how = {k: v for k, v in options.record().items() if k not in ("resume", "overwrite")}
    how.update(steps_done=steps_done, ran_on=f"{runtime.device} {runtime.precision}")
    if options.arbitrary:  # any style: no style picture to name
        return ModelInfo(
            layout="inverse", width=options.width, origin={"trained": how}, kind="inverse",
            op=options.op,
        )  # fmt: skip
    return ModelInfo(
        layout="vstyle", width=options.width, origin={"trained": how},
        **style_fields(options.style),
    )  # fmt: skip


def train(options: TrainOptions, on_step: OnTrainStep | None = None) -> TrainResult:
    """Train a net for ``options.style`` on ``options.data`` and write ``options.out``
    (with ``--arbitrary``, an inverse net for any style: :mod:`vstyle.train.arbitrary`).

    Checkpoints (and a preview picture) go to ``checkpoint_dir(out)`` every
    ``checkpoint_every`` steps and at the last step; ``resume`` continues from the
    latest one, ``overwrite`` deletes the old ones first.

    Raises:
        InputError, OutputError, OptionError: before any step, in one line each.
        Interrupted: SIGINT/SIGTERM; the step under way is finished and checkpointed.
    """
    check_out(options)
    runtime = Runtime.from_options(options.device, options.precision, training=True)
    folder = checkpoint.checkpoint_dir(options.out)
    with out_of_memory_hint():
        trainer = make_trainer(options, runtime)
        if options.resume:
            first = checkpoint.restore(folder, trainer.state, options)
        else:
            checkpoint.clear(folder)
            first = 0
        start = time.perf_counter()
        losses = run_steps(trainer, first, folder, on_step)
    info = model_info(options, runtime, max(first, options.steps))
    save_model(options.out, trainer.state.net, info, overwrite=True)  # checked up front
    seconds = time.perf_counter() - start
    return TrainResult(options.out, first, options.steps, losses, folder, seconds)
