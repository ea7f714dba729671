"""Image stylization by optimization, on tiny pictures made in code.

The optimizer's mechanics run on the tiny seeded VGG (``tiny_vgg``); the two
tests that judge stylization quality need the real weights (``vgg_file``) and skip
without them.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import kornia
import numpy as np
import pytest
import torch

from tests.conftest import smooth_noise, stripes
from vstyle import stylize_image
from vstyle.device import Runtime
from vstyle.frames import to_tensor
from vstyle.losses.distances import style_distance
from vstyle.nets.vgg import VGGFeatures
from vstyle.nets.weights import load_state
from vstyle.optimize.loop import converged, optimize
from vstyle.optimize.stylizer import FrameOptimizer, scale_sizes
from vstyle.options import OPTIMIZERS, OptimOptions, Options, RuntimeOptions, StyleOptions

TAPS = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]


@pytest.fixture(scope="module")
def features(tiny_vgg: Path) -> VGGFeatures:
    return VGGFeatures(load_state(tiny_vgg), TAPS)


@pytest.fixture(scope="module")
def real_features(vgg_file: Path) -> VGGFeatures:
    return VGGFeatures(load_state(vgg_file), TAPS)


def options_for(paths: list[Path], vgg: Path, **optim: object) -> Options:
    return Options(
        style=StyleOptions(paths=tuple(paths)),
        optim=dataclasses.replace(OptimOptions(iters=40), **optim),
        runtime=RuntimeOptions(device="cpu", vgg_weights=vgg),
    )


def sdist(rgb: np.ndarray, style: np.ndarray, features: VGGFeatures) -> float:
    return style_distance(to_tensor(rgb), to_tensor(style), features)


def test_style_distance_falls(content_rgb, style_rgb, write_png, vgg_file, real_features) -> None:
    features = real_features
    style = write_png("style.png", style_rgb)
    out = stylize_image(content_rgb, options_for([style], vgg_file))
    assert out.shape == content_rgb.shape and out.dtype == np.uint8
    before, after = sdist(content_rgb, style_rgb, features), sdist(out, style_rgb, features)
    assert after < 0.3 * before


def test_zero_iterations_return_the_content(content_rgb, style_rgb, write_png, tiny_vgg) -> None:
    style = write_png("style.png", style_rgb)
    out = stylize_image(content_rgb, options_for([style], tiny_vgg, iters=0))
    assert np.array_equal(out, content_rgb)


def test_same_seed_same_image(content_rgb, style_rgb, write_png, tiny_vgg) -> None:
    style = write_png("style.png", style_rgb)
    opts = options_for([style], tiny_vgg, iters=5, init="random", seed=7)
    a, b = stylize_image(content_rgb, opts), stylize_image(content_rgb, opts)
    assert np.array_equal(a, b)
    other = stylize_image(
        content_rgb, dataclasses.replace(opts, optim=dataclasses.replace(opts.optim, seed=8))
    )
    assert not np.array_equal(a, other)


def test_preserve_color_keeps_chroma(content_rgb, style_rgb, write_png, tiny_vgg) -> None:
    style = write_png("style.png", style_rgb)
    opts = options_for([style], tiny_vgg, iters=30)
    opts = dataclasses.replace(opts, style=dataclasses.replace(opts.style, preserve_color=True))
    out = stylize_image(content_rgb, opts)
    ycc_in = kornia.color.rgb_to_ycbcr(to_tensor(content_rgb))
    ycc_out = kornia.color.rgb_to_ycbcr(to_tensor(out))
    chroma_change = (ycc_in[:, 1:] - ycc_out[:, 1:]).abs()
    # Clipping into the RGB cube may nudge chroma where luminance is extreme.
    assert float(chroma_change.mean()) < 2 / 255 and float(chroma_change.median()) < 1 / 255
    assert float((ycc_in[:, :1] - ycc_out[:, :1]).abs().mean()) > 5 / 255


def test_style_blend_sits_between(content_rgb, write_png, tiny_vgg, features) -> None:
    a_rgb = stripes(64, 64, period=8)
    b_rgb = smooth_noise(64, 64, seed=3, cells=24)
    a, b = write_png("a.png", a_rgb), write_png("b.png", b_rgb)
    base = options_for([a], tiny_vgg, iters=40)
    only_a = stylize_image(content_rgb, base)
    only_b = stylize_image(content_rgb, dataclasses.replace(base, style=StyleOptions(paths=(b,))))
    mixed = stylize_image(
        content_rgb, dataclasses.replace(base, style=StyleOptions(paths=(a, b), blend=(0.5, 0.5)))
    )
    to_a = [sdist(x, a_rgb, features) for x in (only_a, mixed, only_b)]
    to_b = [sdist(x, b_rgb, features) for x in (only_a, mixed, only_b)]
    assert to_a[0] < to_a[1] < to_a[2]
    assert to_b[2] < to_b[1] < to_b[0]


def test_defaults_work_with_rescaled_vgg(
    content_rgb, style_rgb, write_png, vgg_file, tmp_path, real_features
) -> None:
    features = real_features
    state = load_state(vgg_file)
    # Activations ~100x smaller, as with torchvision's weights instead of Caffe's.
    small = dict(state)
    small["features.0.weight"] = state["features.0.weight"] * 0.01
    small["features.0.bias"] = state["features.0.bias"] * 0.01
    torch.save(small, tmp_path / "small.pth")
    style = write_png("style.png", style_rgb)
    out_small = stylize_image(content_rgb, options_for([style], tmp_path / "small.pth"))
    out_big = stylize_image(content_rgb, options_for([style], vgg_file))
    before = sdist(content_rgb, style_rgb, features)
    d_small, d_big = sdist(out_small, style_rgb, features), sdist(out_big, style_rgb, features)
    assert d_small < 0.3 * before
    assert 0.5 < d_small / d_big < 2.0


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_each_optimizer_lowers_the_loss(name, content_rgb, style_rgb, write_png, tiny_vgg) -> None:
    style = write_png("style.png", style_rgb)
    opt = FrameOptimizer(
        options_for([style], tiny_vgg, optimizer=name, iters=12), Runtime.from_options("cpu")
    )
    _, result = opt.stylize(content_rgb)
    assert result.iterations == 12
    assert result.losses[-1] < 0.8 * result.losses[0]


def test_coarse_to_fine_reaches_lower_loss(content_rgb, style_rgb, write_png, tiny_vgg) -> None:
    style = write_png("style.png", style_rgb)
    big = np.ascontiguousarray(np.kron(content_rgb, np.ones((2, 2, 1), np.uint8)))  # 96x128
    one = FrameOptimizer(options_for([style], tiny_vgg, iters=15), Runtime.from_options("cpu"))
    two = FrameOptimizer(
        options_for([style], tiny_vgg, iters=15, scales=2), Runtime.from_options("cpu")
    )
    _, r1 = one.stylize(big)
    _, r2 = two.stylize(big)
    assert r2.losses[-1] <= r1.losses[-1]


def test_scale_sizes() -> None:
    assert scale_sizes(128, 96, 3) == [(32, 24), (64, 48), (128, 96)]
    assert scale_sizes(40, 20, 3)[0] == (16, 16)


def test_early_stop() -> None:
    assert converged([10.0] * 60, 1e-4, 50)
    assert not converged([10.0 - 0.01 * i for i in range(60)], 1e-4, 50)
    target = torch.full((1, 3, 4, 4), 0.5)

    def objective(x: torch.Tensor):
        loss = (x - target).pow(2).sum()
        return loss, {"l2": float(loss.detach())}

    result = optimize(torch.zeros(1, 3, 4, 4), objective, 500, "adam", lr=0.1, patience=10)
    assert result.stopped_early and result.iterations < 500


def test_channels_last_start_is_optimized() -> None:
    """CUDA runs hand channels_last images to the loop; L-BFGS must cope."""
    target = torch.rand(1, 3, 8, 8)
    init = torch.zeros(1, 3, 8, 8).contiguous(memory_format=torch.channels_last)

    def objective(x: torch.Tensor):
        loss = (x - target).pow(2).sum()
        return loss, {}

    result = optimize(init, objective, 10, "lbfgs")
    assert result.losses[-1] < 0.01 * result.losses[0]
