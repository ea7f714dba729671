"""The Gatys objective: named terms, features computed once, bf16 close to fp32."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tests.conftest import smooth_noise, stripes
from vstyle.device import Runtime
from vstyle.frames import to_tensor
from vstyle.losses.gatys import content_loss, style_loss, tv_loss
from vstyle.nets.vgg import VGGFeatures
from vstyle.nets.weights import load_state
from vstyle.optimize.objective import GatysObjective, style_grams
from vstyle.options import LossOptions

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def vgg(vgg_file: Path) -> VGGFeatures:
    o = LossOptions()
    return VGGFeatures(load_state(vgg_file), o.content_layers + o.style_layers)


def objective_for(vgg: VGGFeatures, precision: str, options: LossOptions) -> GatysObjective:
    runtime = Runtime(CPU, precision)
    content = to_tensor(smooth_noise(48, 64, seed=2))
    grams = style_grams(vgg, runtime, [stripes(64, 64)], [1.0], options.style_layers, 64)
    return GatysObjective(vgg, runtime, options, content, grams)


def start_image() -> torch.Tensor:
    return to_tensor(smooth_noise(48, 64, seed=5)).contiguous()


def test_terms_are_the_weighted_losses_and_sum_to_the_total(vgg: VGGFeatures) -> None:
    options = LossOptions(content_weight=2.0, style_weight=7.0, tv_weight=3.0)
    objective = objective_for(vgg, "fp32", options)
    x = start_image()
    total, terms = objective(x)
    assert set(terms) == {"content", "style", "tv"}
    assert sum(terms.values()) == pytest.approx(float(total), rel=1e-6)
    with torch.no_grad():
        feats = vgg(x)
    expected = {
        "content": 2.0 * content_loss(feats, objective.content_targets),
        "style": 7.0 * style_loss(feats, objective.grams),
        "tv": 3.0 * tv_loss(x),
    }
    for name, value in expected.items():
        assert terms[name] == pytest.approx(float(value), rel=1e-5), name


def test_vgg_runs_once_per_evaluation(vgg: VGGFeatures) -> None:
    """Content features and style targets come from construction, not every iteration."""
    calls = []
    hook = vgg.register_forward_hook(lambda *_: calls.append(1))
    try:
        objective = objective_for(vgg, "fp32", LossOptions())
        built = len(calls)  # the style picture and the content picture
        x = start_image().requires_grad_()
        for _ in range(3):
            objective(x)[0].backward()
    finally:
        hook.remove()
    assert built == 2
    assert len(calls) == built + 3


def test_bf16_objective_and_gradient_follow_fp32(vgg: VGGFeatures) -> None:
    """What L-BFGS sees under CPU bf16 autocast: the same loss and descent direction."""
    results = []
    for precision in ("fp32", "bf16"):
        x = start_image().requires_grad_()
        total, _ = objective_for(vgg, precision, LossOptions())(x)
        total.backward()
        results.append((float(total.detach()), x.grad.flatten()))
    (l32, g32), (l16, g16) = results
    assert l16 == pytest.approx(l32, rel=0.03)
    assert torch.nn.functional.cosine_similarity(g32, g16, dim=0) > 0.97  # measured 0.988
    assert g16.norm() == pytest.approx(float(g32.norm()), rel=0.05)
