"""The training loop: Adam on the feed-forward net, one batch of random crops a step.

``train(options, on_step)`` checks every path first, then trains, checkpoints every
``--checkpoint-every`` steps (and at the last) with a preview picture, and writes
the ``.vsm``. It never prints: progress goes to the typed ``on_step`` callback.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..device import Runtime
from ..errors import InputError, Interrupted, OutputError
from ..flow import make_flow
from ..frames import to_tensor
from ..io.image import read_image
from ..nets.modelfile import SUFFIX
from ..nets.transformer import TransformerNet, channels
from ..nets.vgg import VGGFeatures
from ..nets.weights import find_weights, load_state
from ..optimize.objective import style_grams
from ..options import TRAIN_STYLE_LAYERS, TrainOptions
from . import checkpoint
from .checkpoint import TrainState
from .data import TrainingData, fit
from .inputs import StepInputs, step_inputs
from .losses import TrainObjective, noise_stability_loss, temporal_loss
from .signals import stop_requests


@dataclass(frozen=True)
class TrainStep:
    """One finished step, for progress bars and logs.

    Attributes:
        step: 1-based step number (counting from the start of the run, resumed or not).
        steps: the step the run ends at.
        loss: total weighted loss of the step.
        terms: weighted terms by name (content, style, tv, noise, temporal).
    """

    step: int
    steps: int
    loss: float
    terms: Mapping[str, float]


OnTrainStep = Callable[[TrainStep], None]


@dataclass(frozen=True)
class TrainResult:
    """What a run did: the model written, the step range, the losses of each step."""

    model: Path
    first_step: int
    steps: int
    losses: list[float] = field(default_factory=list)
    checkpoints: Path = Path()
    seconds: float = 0.0


def check_out(options: TrainOptions) -> None:
    """Refuse an output that cannot be written, before any work.

    Raises:
        OutputError: wrong extension, exists without ``--overwrite`` (``--resume`` may
            replace the model it is finishing), a folder, or its folder is missing.
    """
    out = options.out
    if out.suffix != SUFFIX:
        raise OutputError(f"--out '{out}' must end in {SUFFIX}, e.g. '{out.stem}{SUFFIX}'")
    if out.is_dir():
        raise OutputError(f"--out '{out}' is a folder; give a file name ending in {SUFFIX}")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"--out folder '{folder}' does not exist; create it first")
    if not os.access(folder, os.W_OK):
        raise OutputError(f"--out folder '{folder}' is not writable; choose another folder")
    saved = checkpoint.steps_saved(checkpoint.checkpoint_dir(out))
    if options.resume and not saved:
        raise InputError(
            f"--resume: no checkpoint in '{checkpoint.checkpoint_dir(out)}'; "
            "run once without --resume"
        )
    if saved and not (options.resume or options.overwrite):
        raise OutputError(
            f"checkpoint folder '{checkpoint.checkpoint_dir(out)}' holds a run at step "
            f"{saved[-1]}; pass --resume to continue it or --overwrite to start afresh"
        )
    if out.exists() and not (options.overwrite or options.resume):
        raise OutputError(f"--out '{out}' exists; pass --overwrite to replace it")


class Trainer:
    """The net, its optimizer and the objective, ready to step.

    Args:
        options: the run's options (paths already checked by :func:`check_out`).
        runtime: device and precision; fp16 adds a grad scaler, bf16 needs none.
    """

    def __init__(self, options: TrainOptions, runtime: Runtime) -> None:
        self.options, self.runtime = options, runtime
        channels(options.width)  # a bad --width fails before the slow part
        style = read_image(options.style, "--style")
        self.data = TrainingData(options.data, options.size, options.batch)
        taps = (options.content_layer, *TRAIN_STYLE_LAYERS)
        vgg = runtime.prepare(VGGFeatures(load_state(find_weights(options.vgg_weights)), taps))
        grams = style_grams(vgg, runtime, [style], [1.0], TRAIN_STYLE_LAYERS, options.size)
        self.objective = TrainObjective(vgg, runtime, options, grams)
        if self.data.pairs and options.temporal_weight > 0:
            self.data.add_flows(make_flow(options.flow, runtime.device))
        with torch.random.fork_rng(devices=[]):  # seed the initial weights, not the caller
            torch.manual_seed(options.seed)
            net = runtime.prepare(TransformerNet(options.width)).train()
        self.state = TrainState(
            net=net,
            optimizer=torch.optim.Adam(net.parameters(), lr=options.lr),
            scaler=torch.amp.GradScaler(runtime.device.type, enabled=runtime.precision == "fp16"),
        )
        self.previews = runtime.tensor(self._preview_inputs())

    def _preview_inputs(self) -> torch.Tensor:
        """Centre crops of the first picture and the first video frame (fixed, no RNG)."""
        s, data = self.options.size, self.data
        images = [fit(read_image(data.pictures[0]), s)] if data.pictures else []
        images += [data.pairs[0][1]] if data.pairs else []
        crops = []
        for rgb in images:
            top, left = (rgb.shape[0] - s) // 2, (rgb.shape[1] - s) // 2
            crops.append(to_tensor(rgb[top : top + s, left : left + s]))
        return torch.cat(crops)

    def terms(self, inputs: StepInputs) -> dict[str, torch.Tensor]:
        """The weighted loss terms of one step's inputs."""
        o, net, rt = self.options, self.state.net, self.runtime
        images = rt.tensor(inputs.images)
        with rt.autocast():
            outputs = net(images)
        terms = self.objective(images, outputs)
        if inputs.noisy is not None:
            with rt.autocast():
                noisy_out = net(rt.tensor(inputs.noisy))
            terms["noise"] = o.noise_weight * noise_stability_loss(outputs, noisy_out)
        if inputs.previous is not None and inputs.backward is not None:
            p = inputs.previous.shape[0]
            with rt.autocast():
                previous = net(rt.tensor(inputs.previous))
            backward, weight = inputs.backward.to(rt.device), inputs.weight.to(rt.device)
            terms["temporal"] = o.temporal_weight * temporal_loss(
                outputs[:p], previous, backward, weight
            )
        return terms

    def inputs(self, first: int) -> Iterator[StepInputs]:
        """Inputs of steps ``first..--steps``, prepared ahead on a thread."""
        o = self.options
        return step_inputs(self.data, first, o.steps, o.seed, o.noise_weight > 0)

    def step(self, inputs: StepInputs) -> tuple[float, dict[str, float]]:
        """One Adam step; returns the total and the terms."""
        s = self.state
        terms = self.terms(inputs)
        total = torch.stack(list(terms.values())).sum()
        s.optimizer.zero_grad(set_to_none=True)
        s.scaler.scale(total).backward()
        s.scaler.step(s.optimizer)
        s.scaler.update()
        return float(total.detach()), {k: float(v.detach()) for k, v in terms.items()}


def run_steps(
    trainer: Trainer, first: int, folder: Path, on_step: OnTrainStep | None
) -> list[float]:
    """Steps ``first+1..--steps`` with their checkpoints; the losses, step by step.

    Raises:
        Interrupted: SIGINT/SIGTERM, after the step under way and its checkpoint.
    """
    o, losses = trainer.options, []
    with stop_requests() as stop, contextlib.closing(trainer.inputs(first + 1)) as steps:
        for inputs in steps:
            loss, terms = trainer.step(inputs)
            losses.append(loss)
            step = inputs.step
            if on_step is not None:
                on_step(TrainStep(step, o.steps, loss, terms))
            if step % o.checkpoint_every == 0 or step == o.steps or stop.is_set():
                checkpoint.save(folder, step, trainer.state, o, terms)
                checkpoint.write_preview(folder, step, trainer.state.net, trainer.previews)
            if stop.is_set() and step < o.steps:
                raise Interrupted(
                    f"training stopped at step {step} of {o.steps}; checkpoint in '{folder}'; "
                    "run the same command with --resume to continue"
                )
    return losses
