"""``vstyle train`` through the CLI: a short run with resume, and bad inputs in one line."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tests.test_cli_image import one_line_error
from vstyle.cli import app
from vstyle.nets.modelfile import read_info

runner = CliRunner()


@pytest.fixture
def args(style_file, pictures, tmp_path, tiny_vgg_env) -> list[str]:
    return ["train", "--style", str(style_file), "--data", str(pictures),
            "--out", str(tmp_path / "m.vsm"), "--size", "32", "--batch", "2",
            "--width", "0.25", "--device", "cpu", "--checkpoint-every", "2"]  # fmt: skip


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def test_trains_then_resumes(args, tmp_path) -> None:
    result = invoke(*args, "--steps", 3)
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and "steps 1-3" in result.output
    more = invoke(*args, "--steps", 5, "--resume")
    assert more.exit_code == 0, more.output
    assert "steps 4-5" in more.output
    trained = read_info(tmp_path / "m.vsm").origin["trained"]
    assert trained["steps_done"] == 5 and trained["ran_on"] == "cpu fp32"
    assert trained["noise_weight"] == 100.0 and "resume" not in trained


def test_existing_output_needs_overwrite(args, tmp_path) -> None:
    (tmp_path / "m.vsm").write_bytes(b"keep")
    one_line_error(invoke(*args, "--steps", 1), "--out", "exists", "--overwrite")
    assert (tmp_path / "m.vsm").read_bytes() == b"keep"
    assert invoke(*args, "--steps", 1, "--overwrite", "-q").exit_code == 0


def _swap(args: list[str], flag: str, value: str) -> list[str]:
    out = list(args)
    out[out.index(flag) + 1] = value
    return out


@pytest.mark.parametrize(
    ("flag", "value", "words"),
    [
        ("--data", "{tmp}/empty", ["--data", "no pictures or videos"]),
        ("--data", "{tmp}/nowhere", ["--data", "does not exist"]),
        ("--style", "{tmp}/nostyle.jpg", ["--style", "nostyle.jpg", "does not exist"]),
        ("--out", "{tmp}/nodir/m.vsm", ["--out folder", "does not exist"]),
        ("--out", "{tmp}/m.pth", ["--out", "must end in .vsm"]),
        ("--size", "8", ["--size 8", "at least 32"]),
        ("--batch", "0", ["--batch 0"]),
        ("--width", "9", ["--width 9"]),
        ("--device", "tpu", ["--device 'tpu'"]),
    ],
)
def test_bad_inputs_give_one_line(args, tmp_path, flag, value, words) -> None:
    (tmp_path / "empty").mkdir()
    one_line_error(invoke(*_swap(args, flag, value.format(tmp=tmp_path)), "--steps", 1), *words)


def test_resume_without_checkpoint_and_changed_options(args) -> None:
    one_line_error(invoke(*args, "--steps", 1, "--resume"), "--resume", "no checkpoint")
    assert invoke(*args, "--steps", 2, "-q").exit_code == 0
    one_line_error(invoke(*args, "--steps", 3), "--resume", "--overwrite")
    changed = invoke(*args, "--steps", 3, "--resume", "--lr", "0.01")
    one_line_error(changed, "--lr 0.001", "0.01")
