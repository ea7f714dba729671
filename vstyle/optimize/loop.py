"""The optimization loop: pixels of one image against an objective.

``torch.optim.LBFGS`` is stepped once per iteration (``max_iter=1``; its curvature
history lives in the optimizer state across steps), so every optimizer reports
progress per iteration and stops early the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from ..errors import OptionError

Objective = Callable[[torch.Tensor], tuple[torch.Tensor, dict[str, float]]]

# Defaults for pixels in [0, 1] with the normalized losses of ``losses.gatys``.
DEFAULT_LR = {"lbfgs": 1.0, "adam": 0.02, "sgd": 0.5, "adagrad": 0.05, "rmsprop": 0.005}


@dataclass(frozen=True)
class Step:
    """One finished iteration, for progress and reports."""

    iteration: int
    total: int
    loss: float
    terms: dict[str, float]
    scale: int = 0
    scales: int = 1


@dataclass
class Result:
    """What an optimization produced."""

    image: torch.Tensor
    losses: list[float]
    terms: dict[str, float]
    iterations: int
    stopped_early: bool


LBFGS_HISTORY = 100  # steps L-BFGS remembers (two picture-sized vectors each)


def make_optimizer(
    name: str, params: list[torch.Tensor], lr: float | None
) -> torch.optim.Optimizer:
    """Build the optimizer named by ``--optimizer`` with a sensible default step."""
    lr = DEFAULT_LR[name] if lr is None else lr
    if name == "lbfgs":
        return torch.optim.LBFGS(
            params, lr=lr, max_iter=1, history_size=LBFGS_HISTORY, tolerance_grad=0.0,
            tolerance_change=0.0,
        )  # fmt: skip
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr)
    return torch.optim.RMSprop(params, lr=lr)


def converged(losses: list[float], tolerance: float, patience: int) -> bool:
    """True when the loss changed by less than ``tolerance`` (relative) over ``patience`` steps."""
    if tolerance <= 0 or len(losses) <= patience:
        return False
    before, now = losses[-1 - patience], losses[-1]
    return abs(before - now) <= tolerance * abs(before)


def optimize(
    init: torch.Tensor,
    objective: Objective,
    iters: int,
    optimizer: str = "lbfgs",
    lr: float | None = None,
    tolerance: float = 1e-4,
    patience: int = 50,
    on_step: Callable[[Step], None] | None = None,
    scale: int = 0,
    scales: int = 1,
) -> Result:
    """Minimize ``objective`` over the pixels of an image, starting at ``init``.

    Args:
        init: (1, 3, H, W) starting image; not modified.
        objective: image -> (scalar loss, named float terms).
        iters: iterations (0 returns ``init`` unchanged).

    Returns:
        A :class:`Result` whose image is clamped to [0, 1].
    """
    # The pixels stay NCHW-contiguous whatever the device prefers: L-BFGS flattens
    # gradients with view(-1), which a channels_last tensor cannot do.
    x = init.detach().clone(memory_format=torch.contiguous_format).requires_grad_(True)
    opt = make_optimizer(optimizer, [x], lr)
    losses: list[float] = []
    last_terms: dict[str, float] = {}

    def closure() -> torch.Tensor:
        nonlocal last_terms
        opt.zero_grad(set_to_none=True)
        loss, last_terms = objective(x)
        loss.backward()
        return loss

    stopped = False
    for i in range(1, iters + 1):
        loss = opt.step(closure)
        losses.append(float(loss.detach()))
        if not torch.isfinite(loss):
            raise OptionError(f"the loss became {float(loss)} at iteration {i}; lower --lr")
        if on_step:
            on_step(Step(i, iters, losses[-1], dict(last_terms), scale, scales))
        if converged(losses, tolerance, patience):
            stopped = True
            break
    return Result(x.detach().clamp(0, 1), losses, last_terms, len(losses), stopped)
