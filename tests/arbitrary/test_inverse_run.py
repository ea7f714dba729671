"""``vstyle IN OUT --style S --model inv.vsm``: the inverse net on the engines (parity with
eager), on pictures and video, with --alpha, blends, --preserve-color, --stabilize, and
the one-line errors for bad styles and model kinds."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from tests.arbitrary.conftest import WIDTH
from tests.conftest import stripes
from tests.io.io_clips import probe
from tests.train.conftest import moving_texture, write_clip
from vstyle import engines
from vstyle.arbitrary import stylizer as styl
from vstyle.arbitrary.stylizer import build_styled
from vstyle.cli import app
from vstyle.device import Runtime
from vstyle.io.image import read_image, write_image
from vstyle.nets.inverse import InverseNet
from vstyle.nets.modelfile import ModelInfo, save_model
from vstyle.nets.transformer import TransformerNet
from vstyle.nets.weights import load_state
from vstyle.optimize.stylizer import luminance
from vstyle.options import ArbitraryOptions, FastOptions, Options, StyleOptions

CPU = Runtime(torch.device("cpu"))


@pytest.fixture
def model(inverse_vgg: Path, tmp_path: Path) -> Path:
    """An inverse net with the VGG's encoder and a seeded (untrained) decoder."""
    torch.manual_seed(3)
    net = InverseNet(WIDTH)
    net.load_encoder(load_state(inverse_vgg), "vgg")
    with torch.no_grad():  # outputs around mid-grey, as a trained decoder's, not clipped
        net.decoder[-1].weight.mul_(0.2)
        net.decoder[-1].bias.fill_(0.5)
    info = ModelInfo(layout="inverse", width=WIDTH, kind="inverse", op="adain")
    return save_model(tmp_path / "inv.vsm", net, info)


@pytest.fixture
def styles(tmp_path: Path) -> list[Path]:
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    write_image(a, stripes(40, 40))
    write_image(b, stripes(36, 44, 6, ((250, 200, 40), (20, 120, 10))))
    return [a, b]


def opts(model: Path, styles: list[Path], **changes: object) -> Options:
    base = Options(style=StyleOptions(paths=tuple(styles)), fast=FastOptions(model=model))
    return replace(base, **changes)


def run(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


def one_line_error(result, *words: str) -> None:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code != 0 and len(lines) == 1, result.output
    assert lines[0].startswith("vstyle: error:") and all(w in lines[0] for w in words), lines[0]


@pytest.mark.slow  # exporting takes ~15 s on a 2-core CPU
@pytest.mark.parametrize("method", ["auto", "swap"])
def test_onnx_agrees_with_eager(method: str, model, styles) -> None:
    pytest.importorskip("onnxruntime", reason="the ONNX engine needs onnxruntime")
    net = build_styled(opts(model, styles[:1], method=method), CPU)
    assert net.op == ("swap" if method == "swap" else "adain")
    batch = torch.rand(2, 3, 13, 22, generator=torch.Generator().manual_seed(1))
    eager = engines.build(net, CPU, "eager", (22, 13))(batch)
    onnx = engines.build(net, CPU, "onnx", (22, 13))(batch)
    assert eager.shape == batch.shape
    assert (onnx - eager).abs().max() < 1e-4


def test_alpha_zero_is_the_plain_reconstruction(model, styles) -> None:
    net = build_styled(opts(model, styles, arbitrary=ArbitraryOptions(alpha=0.0)), CPU)
    x = torch.rand(1, 3, 16, 20, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        torch.testing.assert_close(net(x), net.net(x).clamp(0, 1))
        full = build_styled(opts(model, styles), CPU)(x)
    assert (full - net(x)).abs().mean() > 1e-5


def test_blend_weights_move_the_result(model, styles) -> None:
    x = torch.rand(1, 3, 16, 20, generator=torch.Generator().manual_seed(4))
    outs = []
    with torch.no_grad():
        for blend in ((1.0, 0.0), (0.0, 1.0), (0.5, 0.5)):
            s = StyleOptions(paths=tuple(styles), blend=blend)
            outs.append(build_styled(opts(model, styles, style=s), CPU)(x))
    a, b, mid = outs
    assert (a - b).abs().mean() > 1e-5
    assert (mid - a).abs().mean() < (a - b).abs().mean()
    assert (mid - b).abs().mean() < (a - b).abs().mean()


def test_preserve_color_keeps_the_input_chroma(model, styles) -> None:
    from kornia.color import rgb_to_ycbcr

    x = torch.rand(1, 3, 16, 20, generator=torch.Generator().manual_seed(5)) * 0.6 + 0.2
    errors = []
    for keep in (True, False):
        s = StyleOptions(paths=tuple(styles), preserve_color=keep)
        with torch.no_grad():
            out = build_styled(opts(model, styles, style=s), CPU)(x)
        errors.append((rgb_to_ycbcr(out)[:, 1:] - rgb_to_ycbcr(x)[:, 1:]).abs().mean())
        if keep:  # the luminance is the decoder's, not the input's
            assert (luminance(out) - luminance(x)).abs().mean() > 1e-2
    assert errors[0] < errors[1], errors
    # Where no channel was clipped at black or white, the chroma is exactly the input's.
    s = StyleOptions(paths=tuple(styles), preserve_color=True)
    with torch.no_grad():
        out = build_styled(opts(model, styles, style=s), CPU)(x)
    inside = ((out > 1e-3) & (out < 1 - 1e-3)).all(dim=1)
    assert inside.sum() > 20
    diff = (rgb_to_ycbcr(out)[:, 1:] - rgb_to_ycbcr(x)[:, 1:]).abs().amax(dim=1)
    assert diff[inside].max() < 1e-3


def test_picture_run_with_the_method_from_the_model(content_rgb, write_png, model, styles):
    content, out = write_png("c.png", content_rgb), model.parent / "out.png"
    result = run(content, out, "--style", styles[0], "--model", model, "--engine", "eager",
                 "--max-side", 32, "-q")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert read_image(out).shape == (24, 32, 3)


def test_video_encodes_the_style_once_and_stabilizes(model, styles, tmp_path, monkeypatch):
    calls = []
    real = styl.style_target
    monkeypatch.setattr(styl, "style_target", lambda *a, **k: calls.append(1) or real(*a, **k))
    clip = write_clip(tmp_path / "in.mp4", moving_texture(4))
    out = tmp_path / "out.mp4"
    result = run(clip, out, "-s", styles[0], "-s", styles[1], "--model", model, "--method",
                 "swap", "--engine", "eager", "--stabilize", "--style-size", 32, "-q")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert len(calls) == 1
    assert len(probe(out).times) == 4


def test_bad_style_and_model_kinds_are_one_line_errors(
    content_rgb, write_png, model, styles, tmp_path
) -> None:
    content, out = write_png("c.png", content_rgb), tmp_path / "o.png"
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a picture")
    one_line_error(run(content, out, "-s", broken, "--model", model), "broken.jpg")
    one_line_error(run(content, out, "--model", model), "--style")
    one_line_error(run(content, out, "-s", styles[0], "--model", model, "--swap-layer",
                       "relu2_1"), "--swap-layer relu2_1", "relu3_1")  # fmt: skip
    tiny = tmp_path / "tiny.png"
    write_image(tiny, stripes(6, 6))
    one_line_error(run(content, out, "-s", tiny, "--model", model, "--method", "swap"), "smaller")
    fast = save_model(tmp_path / "fast.vsm", TransformerNet(0.25), ModelInfo(layout="vstyle",
                      width=0.25))  # fmt: skip
    one_line_error(run(content, out, "-s", styles[0], "--model", fast, "--method", "swap"),
                   "inverse net")  # fmt: skip
    assert not out.exists()


@pytest.mark.slow  # inductor compiles C++ for a few tens of seconds on this CPU
def test_compile_agrees_with_eager_on_the_cpu(model, styles) -> None:
    net = build_styled(opts(model, styles[:1]), CPU)
    batch = torch.rand(1, 3, 16, 24, generator=torch.Generator().manual_seed(1))
    eager = engines.build(net, CPU, "eager", (24, 16))(batch)
    compiled = engines.build(net, CPU, "compile", (24, 16), "fp32")
    assert compiled.name == "compile"
    assert (compiled(batch).float() - eager).abs().max() < 1e-4


@pytest.mark.gpu
@pytest.mark.parametrize("engine", ["compile", "tensorrt"])
def test_gpu_engines_agree_with_eager(engine: str, model, styles) -> None:
    if engine == "tensorrt":
        pytest.importorskip("tensorrt", reason="the TensorRT engine needs tensorrt")
    gpu = Runtime(torch.device("cuda"))
    net = build_styled(opts(model, styles[:1], method="swap"), gpu)
    batch = torch.rand(1, 3, 16, 24, generator=torch.Generator().manual_seed(1)).cuda()
    eager = engines.build(net, gpu, "eager", (24, 16))(batch)
    other = engines.build(net, gpu, engine, (24, 16), "fp32")(batch)
    assert (other.float() - eager).abs().max() < 1e-3
