"""--tile: a coarse whole pass, then feathered tiles at full size."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.conftest import smooth_noise
from vstyle.device import Runtime
from vstyle.errors import OptionError
from vstyle.frames import to_array
from vstyle.optimize.stylizer import FrameOptimizer
from vstyle.options import OptimOptions, Options, PhotoOptions, RuntimeOptions, StyleOptions
from vstyle.photo.tiles import boxes, feather, starts

CPU = Runtime(torch.device("cpu"), "fp32")


@pytest.fixture
def engine(style_rgb, write_png, tiny_vgg) -> FrameOptimizer:
    opts = Options(
        style=StyleOptions(paths=(write_png("s.png", style_rgb),)),
        optim=OptimOptions(iters=60, init="content", scales=2),
        runtime=RuntimeOptions(device="cpu", precision="fp32", vgg_weights=tiny_vgg),
    )
    return FrameOptimizer(opts, CPU)


def run(opt: FrameOptimizer, content: np.ndarray, **photo) -> np.ndarray:
    opt.options = replace(opt.options, photo=PhotoOptions(**photo))
    return to_array(opt.stylize(content)[0]).astype(np.float64)


def block_means(x: np.ndarray, k: int = 16) -> np.ndarray:
    h, w = x.shape[:2]
    return x[: h // k * k, : w // k * k].reshape(h // k, k, w // k, k, -1).mean((1, 3))


def test_tiles_cover_and_feathers_sum_to_one() -> None:
    assert starts(100, 64, 16) == [0, 36] and starts(64, 64, 16) == [0]
    assert starts(200, 64, 16) == [0, 48, 96, 136]
    covered = np.zeros((100, 200))
    for y0, y1, x0, x1 in boxes(100, 200, 64, 16):
        covered[y0:y1, x0:x1] += 1
    assert covered.min() >= 1
    # Two tiles overlapping by exactly the overlap: the ramps add up to one.
    a, b = feather(64, 0, 64, 112, 16), feather(64, 48, 64, 112, 16)
    torch.testing.assert_close(a[48:] + b[:16], torch.ones(16))
    assert a[:48].eq(1).all() and b[16:].eq(1).all()


def test_tiled_agrees_with_untiled_away_from_seams(engine: FrameOptimizer) -> None:
    content = smooth_noise(96, 128, seed=1, cells=5)
    whole = run(engine, content)
    tiled = run(engine, content, tile=96, tile_overlap=24)  # tiles x 0..96 and 32..128
    outside = np.r_[0:32, 96:128]  # columns only one tile covers
    moved = np.abs(block_means(whole[:, outside]) - block_means(content[:, outside] * 1.0))
    apart = np.abs(block_means(whole[:, outside]) - block_means(tiled[:, outside]))
    assert apart.mean() < 0.4 * moved.mean(), (apart.mean(), moved.mean())


def test_no_step_at_seams(engine: FrameOptimizer) -> None:
    content = smooth_noise(96, 128, seed=2, cells=5)
    tiled = run(engine, content, tile=64, tile_overlap=16)
    grey = tiled.mean(-1)
    across_x = np.abs(np.diff(grey, axis=1)).mean(0)  # per column boundary
    across_y = np.abs(np.diff(grey, axis=0)).mean(1)
    for profile, length in ((across_x, 128), (across_y, 96)):
        seams = starts(length, 64, 16)[1:]
        band = np.concatenate([profile[s - 1 : s + 16] for s in seams])
        assert band.max() < 1.5 * np.median(profile), (band.max(), np.median(profile))


def test_tiles_with_photo_and_regions(engine, write_png) -> None:
    content = smooth_noise(80, 100, seed=3, cells=5)
    mask = np.zeros((80, 100, 3), np.uint8)
    mask[:, 50:] = 255
    opt = engine
    opt.options = replace(opt.options, optim=replace(opt.options.optim, iters=2))
    out = run(opt, content, tile=64, tile_overlap=8, weight=10.0)
    assert out.shape == (80, 100, 3)
    from vstyle.photo.terms import PhotoTerms

    opt.options = replace(
        opt.options,
        photo=PhotoOptions(
            enabled=True, content_mask=write_png("m.png", mask), tile=64, tile_overlap=8
        ),
    )
    opt.photo = PhotoTerms(opt.options, CPU, opt.vgg, opt.styles)
    image, result = opt.stylize(content)
    assert image.shape == (1, 3, 80, 100) and "photo" in result.terms


def test_bad_tile_options() -> None:
    with pytest.raises(OptionError, match="--tile 32 must be at least 64"):
        PhotoOptions(tile=32)
    with pytest.raises(OptionError, match="--tile-overlap 40 must be under half"):
        PhotoOptions(tile=64, tile_overlap=40)


def test_tile_option_reaches_the_cli(content_rgb, style_rgb, write_png, tiny_vgg_env, tmp_path):
    from typer.testing import CliRunner

    from vstyle.cli import app
    from vstyle.io.image import read_image

    big = np.kron(content_rgb, np.ones((2, 2, 1), np.uint8))  # 128x96
    out = tmp_path / "o.png"
    style = str(write_png("s.png", style_rgb))
    args = [str(write_png("c.png", big)), str(out), "-s", style, "--iters", "2",
            "--tile", "64", "--tile-overlap", "8", "--device", "cpu", "-q"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert read_image(Path(out)).shape == (96, 128, 3)


def test_whole_grams_from_style_tiles_match_whole(engine: FrameOptimizer) -> None:
    from vstyle.photo.tiles import whole_grams

    content = smooth_noise(192, 256, seed=1, cells=5)
    whole = engine.grams(256, content)
    tiled = whole_grams(engine, content, 64)  # the style in 4 pieces of 128 px
    for name, g in whole.items():
        rel = (tiled[name] - g).norm() / g.norm()
        assert rel < 0.25, (name, float(rel))
