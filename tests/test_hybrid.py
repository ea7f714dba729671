"""The hybrid method: ``--method optimize --model M.vsm --style S`` starts each frame's
optimization from the net's output: pictures and first frames at every scale, later
frames where the warped previous result is unreliable. With the real ``wave`` model
and VGG it reaches the plain optimizer's loss in fewer iterations."""

from __future__ import annotations

import json
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from tests.conftest import SHARED
from tests.flow.synthetic import make_clip as moving_clip
from tests.io.io_clips import make_clip, probe, psnr
from tests.nets.test_transformer import seeded
from tests.test_cli_image import one_line_error
from vstyle.cli import app
from vstyle.device import Runtime
from vstyle.errors import OptionError
from vstyle.flow import TemporalTarget
from vstyle.frames import Frame, to_array, to_tensor
from vstyle.io.image import read_image, resize
from vstyle.models import import_model, style_fields
from vstyle.nets.modelfile import ModelInfo, load_model, read_info, save_model
from vstyle.nets.transformer import TransformerNet
from vstyle.optimize import stylizer as stylizer_module
from vstyle.optimize.hybrid import network_start
from vstyle.optimize.loop import Result
from vstyle.optimize.stylizer import FrameOptimizer, fit
from vstyle.optimize.video import VideoOptimizer, manifest
from vstyle.options import (
    FastOptions,
    OptimOptions,
    Options,
    RuntimeOptions,
    StyleOptions,
    TemporalOptions,
)

CPU = Runtime.from_options("cpu", "fp32")
FAST = SHARED / "fast-models"
runner = CliRunner()


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def wave(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real lengstrom ``wave`` model, imported into a ``.vsm`` at test time."""
    if not (FAST / "wave.pth").is_file():
        pytest.skip(f"{FAST} not found: this test needs the real trained wave model")
    out = tmp_path_factory.mktemp("wave") / "wave.vsm"
    import_model(FAST / "wave.pth", "lengstrom", out, style=FAST / "wave.jpg")
    return out


@pytest.fixture
def slim(tmp_path: Path, style_rgb, write_png) -> Path:
    """A seeded width-0.25 net (paints visibly unlike its input) with a style thumbnail."""
    info = ModelInfo("vstyle", 0.25, **style_fields(write_png("stripes.png", style_rgb)))
    return save_model(tmp_path / "slim.vsm", seeded(TransformerNet(0.25), seed=7), info)


def hybrid_options(model: Path, style: Path, vgg: Path, **optim) -> Options:
    return Options(
        method="optimize",
        style=StyleOptions(paths=(style,)),
        optim=OptimOptions(tolerance=0.0, **optim),
        runtime=RuntimeOptions("cpu", "fp32", vgg),
        fast=FastOptions(model=model, engine="eager"),
    )


def painted(model: Path, rgb: np.ndarray) -> torch.Tensor:
    """The net's output, computed here without the engines: (1, 3, H, W) in [0, 1]."""
    net, _ = load_model(model)
    with torch.no_grad():
        return net(to_tensor(rgb))


@pytest.mark.slow  # 18 L-BFGS steps through the real VGG-19
def test_hybrid_reaches_the_plain_loss_in_fewer_iterations(wave: Path, vgg_file: Path) -> None:
    rgb = resize(read_image(SHARED / "content" / "chelsea.png"), 80, 53)
    options = hybrid_options(wave, FAST / "wave.jpg", vgg_file, init="content")
    plain = FrameOptimizer(options, CPU)
    hybrid = FrameOptimizer(options, CPU, start=network_start(options, CPU, (80, 53)))
    n = 8
    _, from_content = plain.stylize(rgb, iters=n + 1, stop_early=False)
    _, from_net = hybrid.stylize(rgb, iters=n + 1, stop_early=False)
    # losses[k]: the objective after k L-BFGS steps (k = 0: the start).
    target = from_content.losses[n]
    reached = next(k for k, loss in enumerate(from_net.losses) if loss <= target)
    assert reached <= 0.6 * n, (from_content.losses, from_net.losses)
    assert from_net.losses[0] < from_content.losses[0]  # the net's output is already closer


@pytest.mark.parametrize("which", ["slim", "wave"])
def test_video_starts_from_the_net_and_fills_unreliable_pixels_from_it(
    which: str, request: pytest.FixtureRequest, tiny_vgg: Path, write_png, style_rgb
) -> None:
    model = request.getfixturevalue(which)
    clip = moving_clip(n=2, size=(64, 48), bg=(2, 0), fg=(-1, 1), side=16, seed=3)
    frames = [Frame(i, f, pts=i, time_base=Fraction(1, 30)) for i, f in enumerate(clip.frames)]
    options = hybrid_options(model, write_png("s.png", style_rgb), tiny_vgg, iters=0)
    options = replace(options, temporal=TemporalOptions(first_iters=0))
    opt = VideoOptimizer(options, CPU, start=network_start(options, CPU, (64, 48)))
    # No iterations: each output is exactly its start.
    first = opt.stylize(clip.frames[0], iters=0)[0]
    assert np.array_equal(to_array(first), to_array(painted(model, clip.frames[0])))
    out = list(opt(iter(frames)))
    assert np.array_equal(out[0].rgb, to_array(first))
    # A later frame: the warped result where c = 1, the net's output where c = 0.
    net = painted(model, clip.frames[1])
    warped = torch.full_like(net, 0.5)
    c = torch.zeros(1, 1, 48, 64)
    c[..., :32] = 1
    c[..., 40:] = 0.25
    start = opt.prev_warped(frames[1], TemporalTarget(1, warped, c))
    assert torch.equal(start[..., :32], warped[..., :32])
    assert torch.allclose(start[..., 32:40], net[..., 32:40], atol=1e-5)
    assert torch.allclose(start[..., 40:], 0.25 * 0.5 + 0.75 * net[..., 40:], atol=1e-5)


def test_work_dir_manifest_names_the_model(slim: Path, tiny_vgg: Path, write_png, style_rgb):
    options = hybrid_options(slim, write_png("s.png", style_rgb), tiny_vgg)
    first = Frame(0, style_rgb[:48])
    found = manifest(options, CPU, first)
    assert found["start"] == {"model": read_info(slim).weights_sha256, "engine": "eager"}
    # Without a model the manifest is what it was, so older work folders still resume.
    plain = replace(options, method="auto", fast=FastOptions())
    assert "start" not in manifest(plain, CPU, first)


def test_net_output_is_the_start_at_every_scale(
    slim: Path, tiny_vgg: Path, write_png, style_rgb, content_rgb, monkeypatch
) -> None:
    starts: list[torch.Tensor] = []

    def record(start: torch.Tensor, *args, **kwargs) -> Result:
        starts.append(start)
        return Result(start.clamp(0, 1), [1.0], {}, 1, False)

    monkeypatch.setattr(stylizer_module, "optimize", record)
    options = hybrid_options(slim, write_png("s.png", style_rgb), tiny_vgg, scales=2)
    opt = FrameOptimizer(options, CPU, start=network_start(options, CPU, (64, 48)))
    image, _ = opt.stylize(content_rgb)
    net = painted(slim, content_rgb)
    assert [s.shape[-2:] for s in starts] == [(24, 32), (48, 64)]
    assert torch.allclose(starts[0], fit(net, 24, 32), atol=1e-5)
    assert torch.allclose(starts[1], net, atol=1e-5)  # + the coarse change, here none
    assert not torch.allclose(starts[1], to_tensor(content_rgb), atol=0.1)


def test_cli_picture_and_clip(
    slim: Path, tmp_path: Path, tiny_vgg_env, style_rgb, content_rgb, write_png
) -> None:
    style, picture = write_png("style.png", style_rgb), content_rgb
    source = write_png("pic.png", picture)
    out, report = tmp_path / "out.png", tmp_path / "report.json"
    common = ("--method", "optimize", "--model", slim, "--style", style, "--iters", 2,
              "--precision", "fp32", "--engine", "eager")  # fmt: skip
    result = invoke(source, out, *common, "--report", report)
    assert result.exit_code == 0, result.output
    got = read_image(out)
    net = to_array(painted(slim, picture))
    assert got.shape == picture.shape
    # Two iterations from the net's painting stay near it, far from the content.
    assert psnr(net, got) > psnr(picture, got) + 6
    (entry,) = json.loads(report.read_text())["frame_reports"]
    assert entry["engine"] == "optimize" and entry["iterations"] == 2

    # A lossless output, so the comparison sees the frames, not the encoder's chroma loss.
    clip, out = make_clip(tmp_path / "in.mp4", frames=3, size=(64, 48)), tmp_path / "out.mkv"
    result = invoke(clip, out, *common, "--codec", "ffv1", "--pix-fmt", "bgr0")
    assert result.exit_code == 0, result.output
    before, after = probe(clip), probe(out)
    assert len(after.rgb) == 3 and (after.width, after.height) == (64, 48)
    for src, got in zip(before.rgb, after.rgb, strict=True):
        assert psnr(to_array(painted(slim, src)), got) > psnr(src, got) + 6


def test_style_is_needed_and_ignored_options_are_refused(slim: Path, tmp_path, write_png):
    source = write_png("in.png", np.full((48, 64, 3), 128, np.uint8))
    result = invoke(source, tmp_path / "o.png", "--method", "optimize", "--model", slim)
    one_line_error(result, "--style", "thumbnail", "stripes.png", "full style picture")
    assert not (tmp_path / "o.png").exists()
    net, info = seeded(TransformerNet(0.25)), ModelInfo("vstyle", 0.25)
    bare = save_model(tmp_path / "bare.vsm", net, info)
    result = invoke(source, tmp_path / "o.png", "--method", "optimize", "--model", bare)
    one_line_error(result, "--style", "does not carry")
    model = FastOptions(model=slim)
    for words, kwargs in [
        ("--method copy", {"method": "copy", "fast": model}),
        ("--init random", {"optim": OptimOptions(init="random"), "fast": model}),
        ("--stabilize", {"fast": FastOptions(model=slim, stabilize=True)}),
        ("--batch 2", {"fast": FastOptions(model=slim, batch=2)}),
    ]:
        method = kwargs.pop("method", "optimize")
        with pytest.raises(OptionError, match=words):
            Options(method=method, **kwargs)
