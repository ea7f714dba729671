"""Training checkpoints: safetensors for every tensor, JSON for the rest, never a pickle.

A checkpoint of step N in the folder beside the model (``M.vsm`` -> ``M.checkpoints/``)
is ``step-000000N.safetensors`` (net weights ``net.*``, Adam moments ``optim.I.*``)
and ``step-000000N.json`` (step, options, Adam's hyper-parameters, the fp16 grad
scaler, last losses). The JSON is written last, so a checkpoint counts only once both
files are whole. The random state is the pair (seed, step) itself: every step's data
and noise come from a generator seeded by both (:mod:`vstyle.train.inputs`). Restoring
all of this continues a run bit for bit on the same device and thread count.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from ..errors import InputError, OptionError
from ..frames import to_array
from ..io.image import write_image
from ..options import TrainOptions

KEEP = 3  # latest checkpoints kept (a width-1 net with Adam moments is ~20 MB each)
# Options that may change between a run and its resumption: they do not alter the math.
RESUMABLE = frozenset({"steps", "checkpoint_every", "resume", "overwrite", "device", "precision"})
_NAME = re.compile(r"step-(\d+)\.(json|safetensors|png)")


def checkpoint_dir(out: Path) -> Path:
    """Where a run writing ``out`` keeps its checkpoints and previews."""
    return out.with_name(f"{out.stem}.checkpoints")


def _stem(folder: Path, step: int) -> Path:
    return folder / f"step-{step:07d}"


def steps_saved(folder: Path) -> list[int]:
    """Steps with a complete checkpoint in ``folder``, ascending."""
    if not folder.is_dir():
        return []
    found = (_NAME.fullmatch(p.name) for p in folder.iterdir())
    steps = {int(m.group(1)) for m in found if m and m.group(2) == "json"}
    return sorted(s for s in steps if _stem(folder, s).with_suffix(".safetensors").is_file())


def clear(folder: Path) -> None:
    """Delete the checkpoints and previews vstyle wrote in ``folder`` (nothing else)."""
    for p in folder.iterdir() if folder.is_dir() else ():
        if _NAME.fullmatch(p.name):
            p.unlink()


@dataclass
class TrainState:
    """Everything a run needs to continue: the objects are updated in place by restore."""

    net: nn.Module
    optimizer: torch.optim.Optimizer
    scaler: torch.amp.GradScaler


def save(
    folder: Path, step: int, state: TrainState, options: TrainOptions, losses: dict[str, float]
) -> Path:
    """Write the checkpoint of ``step`` and drop all but the :data:`KEEP` latest."""
    folder.mkdir(exist_ok=True)
    tensors = {f"net.{k}": v.detach().cpu().contiguous() for k, v in state.net.state_dict().items()}
    optim = state.optimizer.state_dict()
    for index, slots in optim["state"].items():
        for name, value in slots.items():
            tensors[f"optim.{index}.{name}"] = value.detach().cpu().contiguous()
    stem = _stem(folder, step)
    save_file(tensors, str(stem) + ".safetensors.partial")
    os.replace(str(stem) + ".safetensors.partial", stem.with_suffix(".safetensors"))
    meta = {
        "step": step,
        "options": options.record(),
        "param_groups": optim["param_groups"],
        "scaler": state.scaler.state_dict(),
        "losses": losses,
    }
    stem.with_suffix(".json.partial").write_text(json.dumps(meta, indent=1, sort_keys=True))
    os.replace(stem.with_suffix(".json.partial"), stem.with_suffix(".json"))
    for old in steps_saved(folder)[:-KEEP]:
        for suffix in (".safetensors", ".json"):
            _stem(folder, old).with_suffix(suffix).unlink(missing_ok=True)
    return stem.with_suffix(".json")


def check_same_run(saved: dict[str, object], options: TrainOptions, where: Path) -> None:
    """Refuse to resume with options that change the math of the run."""
    for key, value in options.record().items():
        if key not in RESUMABLE and saved.get(key) != value:
            flag = f"--{key.replace('_', '-')}"
            raise OptionError(
                f"--resume: checkpoint '{where}' was made with {flag} {saved.get(key)}, "
                f"this run has {value}; use the same value, or --overwrite to start afresh"
            )


def restore(folder: Path, state: TrainState, options: TrainOptions) -> int:
    """Load the latest checkpoint in ``folder`` into ``state``; returns its step.

    Raises:
        InputError: no complete checkpoint, or a damaged one.
        OptionError: it was made with options that change the run.
    """
    steps = steps_saved(folder)
    if not steps:
        raise InputError(f"--resume: no checkpoint in '{folder}'; run once without --resume")
    stem = _stem(folder, steps[-1])
    try:
        meta = json.loads(stem.with_suffix(".json").read_text())
        tensors = load_file(str(stem.with_suffix(".safetensors")))
    except (OSError, ValueError) as exc:
        raise InputError(f"--resume: checkpoint '{stem}' is damaged ({exc}); delete it") from None
    check_same_run(meta["options"], options, stem.with_suffix(".json"))
    device = next(state.net.parameters()).device
    net = {k.removeprefix("net."): v for k, v in tensors.items() if k.startswith("net.")}
    state.net.load_state_dict(net)
    slots: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        if key.startswith("optim."):
            _, index, name = key.split(".", 2)
            # Adam keeps its step counter on the CPU, its moments beside the parameters.
            slots.setdefault(int(index), {})[name] = value if name == "step" else value.to(device)
    state.optimizer.load_state_dict({"state": slots, "param_groups": meta["param_groups"]})
    if meta["scaler"]:  # empty when the scaler is off (fp32, bf16)
        state.scaler.load_state_dict(meta["scaler"])
    return int(meta["step"])


@torch.no_grad()
def write_preview(folder: Path, step: int, net: nn.Module, inputs: torch.Tensor) -> Path:
    """``step-N.png``: each preview input above the net's output for it.

    Args:
        inputs: (K, 3, S, S) in [0, 1] on the net's device.
    """
    folder.mkdir(exist_ok=True)
    outputs = net(inputs).float()
    rows = [torch.cat([x, y], dim=-1) for x, y in zip(inputs.float(), outputs, strict=True)]
    path = _stem(folder, step).with_suffix(".png")
    write_image(path, to_array(torch.cat(rows, dim=-2)))
    return path
