"""--photo: the photorealism term in the optimizer, its defaults, video and the CLI."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from vstyle.cli import app
from vstyle.device import Runtime
from vstyle.frames import Frame, to_tensor
from vstyle.optimize.objective import GatysObjective
from vstyle.optimize.stylizer import FrameOptimizer
from vstyle.options import OptimOptions, Options, PhotoOptions, RuntimeOptions, StyleOptions
from vstyle.photo.terms import picture_key

CPU = Runtime(torch.device("cpu"), "fp32")


def options(style: Path, weights: Path, iters: int, **photo) -> Options:
    return Options(
        style=StyleOptions(paths=(style,)),
        optim=OptimOptions(iters=iters, init="content"),
        runtime=RuntimeOptions(device="cpu", precision="fp32", vgg_weights=weights),
        photo=PhotoOptions(**photo),
    )


def edge_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Correlation of the gradient magnitudes of two pictures (1: the same edges)."""

    def grads(x: np.ndarray) -> np.ndarray:
        y = x.astype(np.float32).mean(-1)
        return np.abs(np.concatenate([np.diff(y, axis=0).ravel(), np.diff(y, axis=1).ravel()]))

    return float(np.corrcoef(grads(a), grads(b))[0, 1])


def test_photo_term_is_in_the_objective(content_rgb, style_rgb, write_png, tiny_vgg) -> None:
    opts = options(write_png("s.png", style_rgb), tiny_vgg, 3, enabled=True)
    image, result = FrameOptimizer(opts, CPU).stylize(content_rgb)
    assert image.shape == (1, 3, 48, 64)
    assert set(result.terms) == {"content", "style", "tv", "photo"}
    assert result.terms["photo"] > 0
    plain = FrameOptimizer(replace(opts, photo=PhotoOptions()), CPU).stylize(content_rgb)[1]
    assert "photo" not in plain.terms


def test_laplacians_built_ahead_are_used(content_rgb, style_rgb, write_png, tiny_vgg) -> None:
    opt = FrameOptimizer(options(write_png("s.png", style_rgb), tiny_vgg, 1, enabled=True), CPU)
    frames = [Frame(i, content_rgb[:, ::-1].copy() if i else content_rgb) for i in range(2)]
    passed = list(opt.photo.ahead(iter(frames)))
    assert [f.index for f in passed] == [0, 1]
    keys = {picture_key(to_tensor(f.rgb)) for f in frames}
    assert set(opt.photo._ready) == keys  # both built on the thread
    opt.photo.laplacian(to_tensor(frames[0].rgb))
    assert set(opt.photo._ready) == keys - {picture_key(to_tensor(frames[0].rgb))}


@pytest.mark.slow
def test_photo_keeps_the_content_edges(vgg_file, write_png) -> None:
    """Plain Gatys paints the style's strokes over a photo; --photo keeps its edges."""
    from vstyle.io.image import read_image, resize

    assets = vgg_file.parents[1]
    content_path = assets / "content" / "tubingen.jpg"
    style_path = assets / "styles" / "starry_night.jpg"
    if not (content_path.is_file() and style_path.is_file()):
        pytest.skip(f"shared pictures missing under {assets}")
    content = resize(read_image(content_path), 64, 48)
    opts = options(style_path, vgg_file, 30, enabled=True)
    opt = FrameOptimizer(opts, CPU)  # the real VGG loads once, for both runs
    photo_img, photo_res = opt.stylize(content)
    terms, opt.photo = opt.photo, None  # the same engine, plain Gatys
    plain_img, plain_res = opt.stylize(content)
    opt.photo = terms
    from vstyle.frames import to_array

    ours, theirs = (
        edge_correlation(to_array(photo_img), content),
        edge_correlation(to_array(plain_img), content),
    )
    assert ours > theirs + 0.1, (ours, theirs)
    # ... and it still moved towards the style: its style loss is well below the content's.
    c = to_tensor(content)
    start = GatysObjective(opt.vgg, CPU, opts.loss, c, opt.grams(64, content))(c)[1]
    assert photo_res.terms["style"] < 0.5 * start["style"], (photo_res.terms, start)
    assert photo_res.terms["style"] < 3 * plain_res.terms["style"]


def test_cli_photo(content_rgb, style_rgb, write_png, tiny_vgg_env, tmp_path) -> None:
    out, report = tmp_path / "out.png", tmp_path / "r.json"
    result = CliRunner().invoke(app, [str(write_png("c.png", content_rgb)), str(out), "-s",
                                      str(write_png("s.png", style_rgb)), "--photo",
                                      "--photo-weight", "50", "--iters", "2", "--device", "cpu",
                                      "--report", str(report), "-q"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "photo" in json.loads(report.read_text())["frame_reports"][0]["terms"]


def test_cli_rejects_negative_photo_weight(content_rgb, write_png, tiny_vgg_env, tmp_path) -> None:
    c = str(write_png("c.png", content_rgb))
    result = CliRunner().invoke(app, [c, str(tmp_path / "o.png"), "-s", c, "--photo-weight", "-1"])
    assert result.exit_code != 0
    assert "--photo-weight -1.0 must be" in result.output and "Traceback" not in result.output


def test_video_frames_use_laplacians_built_ahead(style_rgb, write_png, tiny_vgg) -> None:
    """The temporal engine with --photo: each frame's Laplacian comes from the thread."""
    from tests.flow.synthetic import make_clip
    from vstyle.optimize.video import VideoOptimizer
    from vstyle.options import TemporalOptions

    clip = make_clip(n=3, size=(64, 48), bg=(2, 0), fg=(-1, 1), side=16, seed=3)
    opts = replace(
        options(write_png("s.png", style_rgb), tiny_vgg, 2, enabled=True),
        temporal=TemporalOptions(flow="farneback"),
    )
    records: list = []
    opt = VideoOptimizer(replace(opts, optim=replace(opts.optim, init="prev-warped")), CPU,
                         on_record=records.append)  # fmt: skip
    built: list = []
    inner = opt.photo.laplacian

    def spy(content: torch.Tensor) -> torch.Tensor:
        built.append(picture_key(content) in opt.photo._ready)
        return inner(content)

    opt.photo.laplacian = spy
    out = list(opt(Frame(i, rgb) for i, rgb in enumerate(clip.frames)))
    assert len(out) == 3 and all("photo" in r.terms for r in records)
    assert any(built), built  # the full-size scale found its Laplacian ready


def test_photo_needs_the_optimizer(tmp_path) -> None:
    from vstyle.errors import OptionError

    model = tmp_path / "m.vsm"
    with pytest.raises(OptionError, match="--photo works with the optimizer"):
        Options(photo=PhotoOptions(enabled=True), fast=replace(Options().fast, model=model))
    with pytest.raises(OptionError, match="--content-mask works with the optimizer"):
        Options(method="swap", photo=PhotoOptions(content_mask=tmp_path / "m.png"))
    Options(method="optimize", photo=PhotoOptions(enabled=True),
            fast=replace(Options().fast, model=model))  # fmt: skip
