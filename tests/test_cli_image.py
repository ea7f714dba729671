"""The command line on pictures: a real run, and every bad input answered in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from vstyle.cli import app
from vstyle.io.image import read_image

runner = CliRunner()


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def files(content_rgb, style_rgb, write_png, tiny_vgg_env) -> dict[str, Path]:
    return {
        "content": write_png("content.png", content_rgb),
        "style": write_png("style.png", style_rgb),
    }


def one_line_error(result, *words: str) -> None:
    assert result.exit_code != 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("vstyle: error:"), lines[0]
    assert "Traceback" not in result.output
    for word in words:
        assert word in lines[0], lines[0]


def test_stylizes_a_picture_with_report(files, tmp_path) -> None:
    out, report = tmp_path / "out.jpg", tmp_path / "report.json"
    result = invoke(files["content"], out, "--style", files["style"], "--iters", 5,
                    "--max-side", 32, "--report", report, "--device", "cpu")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert read_image(out).shape == (24, 32, 3)
    data = json.loads(report.read_text())
    assert data["frames"] == 1 and data["size"] == [32, 24]
    frame = data["frame_reports"][0]
    assert frame["iterations"] == 5 and set(frame["terms"]) == {"content", "style", "tv"}
    assert not list(tmp_path.glob(".out.partial*")), "temporary file left behind"


def test_does_not_overwrite_without_flag(files, tmp_path) -> None:
    out = tmp_path / "out.png"
    out.write_bytes(b"keep me")
    one_line_error(invoke(files["content"], out, "-s", files["style"], "--iters", 0), "--overwrite")
    assert out.read_bytes() == b"keep me"
    ok = invoke(files["content"], out, "-s", files["style"], "--iters", 0, "--overwrite", "-q")
    assert ok.exit_code == 0 and read_image(out).shape == (48, 64, 3)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["{tmp}/missing.png", "{tmp}/o.png", "-s", "{style}"], ["missing.png", "does not exist"]),
        (["{tmp}", "{tmp}/o.png", "-s", "{style}"], ["folder"]),
        (["{tmp}/notes.txt", "{tmp}/o.png", "-s", "{style}"], ["notes.txt"]),
        (["{tmp}/fake.png", "{tmp}/o.png", "-s", "{style}"], ["fake.png", "not a picture"]),
        (["{tmp}/empty.png", "{tmp}/o.png", "-s", "{style}"], ["empty"]),
        (["{content}", "{content}", "-s", "{style}", "--overwrite"], ["is the input"]),
        (["{content}", "{tmp}/o.xyz", "-s", "{style}"], ["unsupported extension"]),
        (["{content}", "{tmp}/nodir/o.png", "-s", "{style}"], ["does not exist"]),
        (["{content}", "{tmp}/o.png"], ["--style"]),
        (["{content}", "{tmp}/o.png", "-s", "{tmp}/nostyle.jpg"], ["style", "does not exist"]),
        (["{content}", "{tmp}/o.png", "-s", "{tmp}/fake.png"], ["style", "not a picture"]),
        (["{content}", "{tmp}/o.png", "-s", "{style}", "--iters", "-3"], ["--iters -3"]),
        (["{content}", "{tmp}/o.png", "-s", "{style}", "--style-weight", "-1"], ["--style-weight"]),
        (["{content}", "{tmp}/o.png", "-s", "{style}", "--size", "0x10"], ["--size"]),
        (["{content}", "{tmp}/o.png", "-s", "{style}", "--size", "big"], ["WIDTHxHEIGHT"]),
        (
            ["{content}", "{tmp}/o.png", "-s", "{style}", "--style-blend", "0.5,0.5"],
            ["--style-blend"],
        ),
        (
            ["{content}", "{tmp}/o.png", "-s", "{style}", "--optimizer", "lbgfs"],
            ["did you mean 'lbfgs'"],
        ),
        (["{content}", "{tmp}/o.png", "-s", "{style}", "--loss", "l3"], ["--loss"]),
        (["{content}", "{tmp}/o.png", "-s", "{style}", "--device", "tpu"], ["--device 'tpu'"]),
        (["{content}", "{tmp}/o.png", "-s", "{style}", "--device", "cuda:3"], ["--device cuda:3"]),
        (["{content}", "{tmp}/o.png", "-s", "{style}", "--precision", "fp8"], ["--precision"]),
        (["{content}", "{tmp}/o.png", "-s", "{style}", "--iters", "many"], ["--iters"]),
        (["{content}", "{tmp}/o.png", "-s", "{style}", "--size", "8x8"], ["too small"]),
        (
            ["{content}", "{tmp}/o.png", "-s", "{style}", "--vgg-weights", "{tmp}/nope.pth"],
            ["--vgg-weights"],
        ),
    ],
)
def test_bad_input_is_one_line(files, tmp_path, args, words) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "fake.png").write_text("not really a png")
    (tmp_path / "empty.png").write_bytes(b"")
    subst = {"tmp": tmp_path, "content": files["content"], "style": files["style"]}
    result = invoke(*(a.format(**subst) for a in args), "--quiet")
    one_line_error(result, *words)
    assert not (tmp_path / "o.png").exists()


def test_out_of_memory_suggests_smaller_size(files, tmp_path, monkeypatch) -> None:
    from vstyle.optimize import stylizer

    def explode(*args: object, **kwargs: object):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(stylizer, "optimize", explode)
    result = invoke(files["content"], tmp_path / "o.png", "-s", files["style"])
    one_line_error(result, "out of memory", "--max-side")
    assert result.exit_code == 4


def test_bare_command_shows_help() -> None:
    result = runner.invoke(app, [])
    assert "vstyle IN OUT --style S" in result.output
    assert "vstyle: error" not in result.output
