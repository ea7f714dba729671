"""The fast method end to end: ``vstyle IN OUT --model M.vsm`` on clips and pictures,
``--method auto``, ``vstyle export``, and every bad input answered in one line."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import typer
from typer.testing import CliRunner

from tests.io.io_clips import make_clip, probe, psnr
from tests.nets.test_transformer import seeded
from tests.test_cli_image import one_line_error
from vstyle import options as opts
from vstyle.cli import app
from vstyle.errors import OptionError
from vstyle.frames import to_array, to_tensor
from vstyle.io.image import read_image
from vstyle.nets.modelfile import ModelInfo, save_model
from vstyle.nets.transformer import TransformerNet
from vstyle.options import FastOptions, Options, resolve_method

runner = CliRunner()


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def model(tmp_path: Path) -> tuple[Path, TransformerNet]:
    """A seeded width-0.25 net (random weights paint visibly unlike the input)."""
    net = seeded(TransformerNet(0.25), seed=7)
    return save_model(tmp_path / "slim.vsm", net, ModelInfo("vstyle", 0.25)), net


def painted(net: torch.nn.Module, rgb: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return to_array(net(to_tensor(rgb)))


def test_clip_through_model_keeps_frames_timing_and_audio(model, tmp_path: Path) -> None:
    path, net = model
    source = make_clip(tmp_path / "in.mp4", frames=5, size=(64, 48), audio="aac")
    out, report = tmp_path / "out.mp4", tmp_path / "report.json"
    result = invoke(source, out, "--model", path, "--engine", "eager", "--batch", 2,
                    "--precision", "fp32", "--report", report, "-q")  # fmt: skip
    assert result.exit_code == 0, result.output
    before, after = probe(source), probe(out)
    assert len(after.rgb) == len(before.rgb) == 5
    assert after.times == before.times and after.rate == before.rate
    assert (after.width, after.height) == (64, 48)
    assert len(after.audio) == 1
    assert abs(after.audio[0]["seconds"] - before.audio[0]["seconds"]) <= after.audio[0]["frame"]
    # Each frame is the net's painting of that frame, up to the encoder's loss (large:
    # a random net paints saturated, fine-grained colour that 4:2:0 chroma blurs) ...
    for src, got in zip(before.rgb, after.rgb, strict=True):
        assert psnr(painted(net, src), got) > psnr(src, got) + 8
    # ... and the report says which engine made it, in which batches.
    frames = json.loads(report.read_text())["frame_reports"]
    assert [f["frame"] for f in frames] == list(range(5))
    assert {(f["engine"], f["method"], f["precision"]) for f in frames} == {
        ("eager", "fast", "fp32")
    }
    assert [f["batch"] for f in frames] == [2, 2, 2, 2, 1]


def test_picture_through_model_needs_no_style(model, tmp_path: Path, content_rgb, write_png):
    path, net = model
    picture, out = write_png("in.png", content_rgb), tmp_path / "out.png"
    result = invoke(picture, out, "--model", path, "--engine", "eager", "--precision", "fp32")
    assert result.exit_code == 0, result.output
    assert "engine eager" in result.output  # the last line names the engine chosen
    # and where the time went (largest shares first: on a tiny picture encoding may lead)
    assert re.search(r"fps, engine eager; .*net \d+%", result.output)
    got = read_image(out)
    assert got.shape == content_rgb.shape
    assert np.abs(got.astype(int) - painted(net, content_rgb).astype(int)).max() <= 1


@pytest.mark.parametrize("kind", ["text", "missing", "pickle"])
def test_bad_model_is_one_line(kind: str, tmp_path: Path, content_rgb, write_png) -> None:
    bad = tmp_path / "bad.vsm"
    if kind == "text":
        bad.write_text("not a model at all, just words")
    elif kind == "pickle":
        torch.save({"w": torch.zeros(2)}, bad)
    words = {"text": "not a .vsm", "missing": "does not exist", "pickle": "never unpickled"}
    source = make_clip(tmp_path / "in.mp4", frames=2, size=(32, 24))
    for content in (write_png("in.png", content_rgb), source):  # a picture and a video
        result = invoke(content, tmp_path / "o.mp4", "--model", bad)
        one_line_error(result, str(bad), words[kind])
        assert not (tmp_path / "o.mp4").exists()


def test_engine_tensorrt_without_tensorrt_names_the_extra(model, tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "tensorrt", None)  # as if not installed
    source = make_clip(tmp_path / "in.mp4", frames=2, size=(32, 24))
    # Checked before the first frame, so even the progress bar has not started (no -q).
    result = invoke(source, tmp_path / "o.mp4", "--model", model[0], "--engine", "tensorrt")
    one_line_error(result, "--engine tensorrt", "vstyle[tensorrt]")


def test_method_auto_picks_fast_with_a_model_else_optimize(tmp_path: Path) -> None:
    vsm = tmp_path / "m.vsm"
    assert Options().method == "auto"
    assert resolve_method(Options()).method == "optimize"
    assert resolve_method(Options(fast=FastOptions(model=vsm))).method == "fast"
    chosen = Options(method="fast", fast=FastOptions(model=vsm))
    assert resolve_method(chosen).method == "fast"
    assert resolve_method(Options(method="copy")).method == "copy"


@pytest.mark.parametrize(("args", "words"), [
    (["--method", "fast"], ["--method fast", "--model"]),
    (["--batch", "0"], ["--batch 0", "greater than 0"]),
    (["--batch", str(opts.MAX_BATCH + 1)], ["--batch", str(opts.MAX_BATCH)]),
    (["--stabilize-strength", "1.5"], ["--stabilize-strength 1.5", "between 0 and 1"]),
    (["--engine", "tensorrtt"], ["--engine 'tensorrtt'", "did you mean 'tensorrt'"]),
    (["--stabilize"], ["--stabilize", "--model"]),
])  # fmt: skip
def test_bad_fast_options_are_one_line(args, words, tmp_path: Path) -> None:
    one_line_error(invoke("in.mp4", tmp_path / "o.mp4", *args), *words)


def test_fast_options_validate_in_the_dataclass() -> None:
    with pytest.raises(OptionError, match="--stabilize-strength nan"):
        FastOptions(stabilize_strength=float("nan"))
    assert FastOptions(engine="ONNX").engine == "onnx"


@pytest.mark.parametrize(("flag", "choices"), [
    ("--engine", opts.ENGINES), ("--method", opts.METHODS),
])  # fmt: skip
def test_help_lists_the_choices_of_the_options_module(flag: str, choices) -> None:
    command = typer.main.get_command(app).commands["run"]
    param = next(p for p in command.params if flag in p.opts)
    assert ", ".join(choices) in param.help, param.help


@pytest.mark.slow  # the export takes seconds
def test_export_onnx_runs_in_onnxruntime(model, tmp_path: Path) -> None:
    ort = pytest.importorskip("onnxruntime")
    path, net = model
    out = tmp_path / "slim.onnx"
    result = invoke("export", path, "--format", "onnx", "--size", "40x24", "-o", out)
    assert result.exit_code == 0, result.output
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    for shape in [(1, 3, 24, 40), (3, 3, 32, 16)]:  # dynamic batch, height and width
        x = torch.rand(shape, generator=torch.Generator().manual_seed(0))
        y = torch.from_numpy(session.run(["output"], {"input": x.numpy()})[0])
        with torch.no_grad():
            assert (y - net(x)).abs().max().item() < 1e-4
    one_line_error(invoke("export", path, "-o", out), str(out), "--overwrite")


def test_export_tensorrt_needs_size_and_the_extra(model, tmp_path, monkeypatch) -> None:
    path = model[0]
    one_line_error(
        invoke("export", path, "--format", "tensorrt", "-o", tmp_path / "m.plan"), "--size"
    )
    monkeypatch.setitem(sys.modules, "tensorrt", None)
    result = invoke("export", path, "--format", "tensorrt", "--size", "64x48",
                    "-o", tmp_path / "m.plan")  # fmt: skip
    one_line_error(result, "vstyle[tensorrt]")
    assert not (tmp_path / "m.plan").exists()


@pytest.mark.slow  # inductor compiles for tens of seconds on this CPU
def test_fixed_shape_engine_gets_full_batches(model, content_rgb) -> None:
    from vstyle.device import Runtime
    from vstyle.engines import build
    from vstyle.fast import FastStylizer
    from vstyle.frames import Frame

    path, net = model
    runtime = Runtime(torch.device("cpu"))
    engine = build(net, runtime, "compile", (64, 48), batch=2)
    records = []
    options = Options(fast=FastOptions(model=path, batch=2))
    stylizer = FastStylizer(options, runtime, (64, 48), records.append, engine=engine)
    frames = [Frame(i, np.ascontiguousarray(np.roll(content_rgb, 3 * i, 1))) for i in range(3)]
    got = list(stylizer(frames))
    assert [f.index for f in got] == [0, 1, 2]
    for frame, out in zip(frames, got, strict=True):  # the padded copy is dropped
        assert np.abs(out.rgb.astype(int) - painted(net, frame.rgb).astype(int)).max() <= 1
    assert [(r.engine, r.batch) for r in records] == [("compile", 2)] * 2 + [("compile", 1)]


@pytest.mark.parametrize(("native_bf16", "expected"), [(True, "bf16"), (False, "fp32")])
def test_precision_auto_for_a_model_follows_the_cpu(
    model, monkeypatch, native_bf16: bool, expected: str
) -> None:
    """auto: bf16 (eager) on a CPU with native bf16, else fp32 (ONNX Runtime when there)."""
    from dataclasses import replace

    from vstyle import device
    from vstyle.device import Runtime
    from vstyle.engines import choose
    from vstyle.fast import prepare_fast

    monkeypatch.setattr(device, "cpu_has_bf16", lambda: native_bf16)
    options = Options(fast=FastOptions(model=model[0]))
    cpu = Runtime(torch.device("cpu"), "fp32")
    assert options.runtime.precision == "auto"
    chosen = prepare_fast(options, cpu).precision
    assert chosen == expected
    engine = choose("auto", cpu.device, chosen)
    assert engine == "eager" if native_bf16 else engine in ("onnx", "eager")
    explicit = replace(options, runtime=replace(options.runtime, precision="fp32"))
    assert prepare_fast(explicit, cpu).precision == "fp32"
