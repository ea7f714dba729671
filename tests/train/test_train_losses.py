"""The stability terms: noise stability (Rainy & de Berker) and the masked temporal loss."""

from __future__ import annotations

import pytest
import torch

from vstyle.flow import make_flow, warp
from vstyle.train.data import TrainingData
from vstyle.train.inputs import make_inputs
from vstyle.train.losses import add_pixel_noise, noise_stability_loss, temporal_loss


def test_pixel_noise_touches_a_fraction_and_leaves_the_input_alone() -> None:
    x = torch.full((2, 3, 40, 40), 0.5)
    before = x.clone()
    noisy = add_pixel_noise(x, torch.Generator().manual_seed(1), fraction=0.1, sigma=0.2)
    assert torch.equal(x, before)
    changed = (noisy != x).any(1).float().mean().item()
    assert 0.05 < changed < 0.15, changed
    assert noisy.min() >= 0 and noisy.max() <= 1
    again = add_pixel_noise(x, torch.Generator().manual_seed(1), fraction=0.1, sigma=0.2)
    assert torch.equal(noisy, again)  # the generator alone decides


def test_noise_stability_is_zero_for_equal_outputs_and_positive_otherwise() -> None:
    y = torch.rand(2, 3, 16, 16)
    assert noise_stability_loss(y, y.clone()).item() == 0
    moved = y.clone()
    moved[0, :, 3, 4] += 0.1
    assert noise_stability_loss(y, moved).item() > 0


def test_noise_stability_gradient_reaches_both_outputs() -> None:
    a, b = torch.rand(1, 3, 8, 8, requires_grad=True), torch.rand(1, 3, 8, 8, requires_grad=True)
    noise_stability_loss(a, b).backward()
    assert a.grad.abs().sum() > 0 and b.grad.abs().sum() > 0


def test_temporal_loss_ignores_pixels_where_reliability_is_zero() -> None:
    prev = torch.rand(1, 3, 16, 16)
    backward = torch.zeros(1, 2, 16, 16)
    out = prev.clone()
    out[..., 4:8, 4:8] = 1 - out[..., 4:8, 4:8]  # changed only inside a block
    weight = torch.ones(1, 1, 16, 16)
    assert temporal_loss(out, prev, backward, weight).item() > 0
    weight[..., 4:8, 4:8] = 0  # c = 0 exactly there: nothing is left to penalize
    out.requires_grad_(True)
    loss = temporal_loss(out, prev, backward, weight)
    assert loss.item() < 1e-10  # the rest differs only by the warp's rounding
    loss.backward()
    assert torch.equal(out.grad[..., 4:8, 4:8], torch.zeros(1, 3, 4, 4))  # exactly no pull


def test_temporal_loss_follows_the_flow() -> None:
    """An output that moves with a known shift is consistent with its warped predecessor."""
    prev = torch.rand(1, 3, 16, 20)
    backward = torch.zeros(1, 2, 16, 20)
    backward[:, 0] = -2.0  # each pixel of the current frame was 2 px left before
    out = warp(prev, backward)
    weight = torch.ones(1, 1, 16, 20)
    assert temporal_loss(out, prev, backward, weight).item() < 1e-10
    assert temporal_loss(prev, prev, backward, weight).item() > 1e-3  # ignoring the motion


def test_cropped_pair_flow_marks_the_entering_edge_unreliable(clip_folder) -> None:
    """The clip slides 2 px right a frame (1.33 px at 32 px): on a crop's left edge the
    backward flow points outside the crop, where no previous output exists."""
    data = TrainingData(clip_folder, size=32, batch=2)
    data.add_flows(make_flow("dis"))
    inputs = make_inputs(data, step=1, seed=0, noise=False)
    assert inputs.backward.shape == (2, 2, 32, 32) and inputs.weight.shape == (2, 1, 32, 32)
    assert inputs.weight[..., :, :1].mean() < 0.5 < inputs.weight[..., 6:-6, 6:-6].mean()
    assert inputs.backward[:, 0, 6:-6, 6:-6].median().item() == pytest.approx(-4 / 3, abs=0.3)
