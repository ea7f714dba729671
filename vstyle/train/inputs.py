"""Each step's inputs, made on the CPU ahead of the device on a worker thread.

A step's randomness (which files, crop windows, the noise) comes from a generator
seeded by ``(seed, step)`` alone, so the inputs of step N are the same whether the
run went straight there or resumed from a checkpoint, and preparing them ahead on
a thread cannot change them. Decoding pictures and the reliability of video pairs'
flow happen here too, so the device does not wait on the CPU's work.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

import torch

from ..flow import reliability
from ..io.threads import prefetch
from .data import TrainingData
from .losses import add_pixel_noise

AHEAD = 4  # steps prepared ahead: a few batches of crops, small beside the device's work


@dataclass(frozen=True)
class StepInputs:
    """What one step needs, on the CPU.

    Attributes:
        step: the 1-based step these are for.
        images: (B, 3, S, S) crops in [0, 1]; the first P are video frames.
        noisy: (B, 3, S, S) ``images`` with pixel noise, or None without the noise term.
        previous: (P, 3, S, S) the frames before ``images[:P]``, or None.
        backward: (P, 2, S, S) flow from ``images[:P]`` into ``previous``, or None.
        weight: (P, 1, S, S) reliability of ``backward`` (Ruder's c), or None.
    """

    step: int
    images: torch.Tensor
    noisy: torch.Tensor | None = None
    previous: torch.Tensor | None = None
    backward: torch.Tensor | None = None
    weight: torch.Tensor | None = None


def step_generator(seed: int, step: int) -> torch.Generator:
    """A CPU generator that depends on ``(seed, step)`` only (sha256 of both)."""
    digest = hashlib.sha256(f"vstyle-train:{seed}:{step}".encode()).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest[:8], "little"))


def make_inputs(data: TrainingData, step: int, seed: int, noise: bool) -> StepInputs:
    """The inputs of ``step``: a batch, its noisy copy, and for video pairs (when the
    data has flows) the backward flow and its reliability on the crop."""
    g = step_generator(seed, step)
    batch = data.sample(g)
    noisy = add_pixel_noise(batch.images, g) if noise else None
    if batch.forward is None or batch.backward is None:
        return StepInputs(step, batch.images, noisy)
    # On the crop: a flow that leaves the crop has no previous output to compare with.
    weight = reliability(batch.forward, batch.backward)
    return StepInputs(step, batch.images, noisy, batch.previous, batch.backward, weight)


def step_inputs(
    data: TrainingData, first: int, last: int, seed: int, noise: bool
) -> Iterator[StepInputs]:
    """Inputs of steps ``first..last`` in order, prepared :data:`AHEAD` on a thread.

    Close the iterator (or leave the loop with an exception) to stop the worker.
    """
    made = (make_inputs(data, step, seed, noise) for step in range(first, last + 1))
    return prefetch(made, maxsize=AHEAD, name="train-data")
