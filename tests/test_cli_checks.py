"""Hostile options and paths: each is one line on stderr and a non-zero exit, found
before any frame is stylized (issue 7, points 7, 9, 10, 12, 13)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from tests.conftest import stripes
from tests.test_cli_image import one_line_error
from vstyle.cli import app
from vstyle.io.image import read_image, write_image
from vstyle.options import MAX_ITERS

runner = CliRunner()


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def files(tmp_path: Path, content_rgb, vgg_env) -> dict[str, Path]:
    pictures = {
        "content": content_rgb,  # 64x48
        "style": stripes(64, 64),
        "wide": stripes(100, 2000),  # 2000x100
        "oblong": stripes(40, 64),  # 64x40
    }
    out = {}
    for name, rgb in pictures.items():
        out[name] = tmp_path / f"{name}.png"
        write_image(out[name], rgb)
    return out


@pytest.fixture
def no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail loudly if an optimization starts: the checks must come before any work."""
    from vstyle.optimize import stylizer

    def refuse(*args: object, **kwargs: object):
        raise AssertionError("an optimization started before the options were checked")

    monkeypatch.setattr(stylizer, "optimize", refuse)


def unwritable_folder(tmp_path: Path) -> Path:
    """A folder nobody may create files in (root ignores permissions: use /sys then)."""
    if os.geteuid() != 0:
        folder = tmp_path / "locked"
        folder.mkdir(mode=0o500)
        return folder
    try:
        with open("/sys/vstyle-probe", "w"):
            pass
    except OSError:
        return Path("/sys")
    pytest.skip("no unwritable folder on this machine")


SIZE_CASES = [
    (["-s", "{wide}", "--max-side", "256"], ["wide.png", "2000x100", "--style-scale"]),
    (["-s", "{oblong}", "--size", "16x16"], ["oblong.png", "--style-scale 1.625"]),
    (["-s", "{oblong}", "--style-scale", "0.0001"], ["oblong.png", "--style-scale"]),
    (["-s", "{style}", "--scales", "100"], ["--scales 100", "--scales 3 or fewer"]),
    (["-s", "{style}", "--size", "12x40"], ["too small", "--size"]),
    (["-s", "{oblong}", "--scales", "3"], ["oblong.png", "fewer --scales"]),
    (["-s", "{style}", "--style-scale", "1e308"], ["--style-scale 1e+308", "16384 px"]),
    (["-s", "{style}", "--vgg-weights", "{folder}"], ["--vgg-weights", "is a folder"]),
]
VALUE_CASES = [
    (["-s", "{style}", "--start", "inf"], ["--start inf", "finite"]),
    (["-s", "{style}", "--duration", "nan"], ["--duration nan"]),
    (["-s", "{style}", "--seed", str(2**70)], [f"--seed {2**70}"]),
    (["-s", "{style}", "--style-weight", "inf"], ["--style-weight inf"]),
    (["-s", "{style}", "-s", "{oblong}", "--style-blend", "nan,1"], ["--style-blend nan,1"]),
    (["-s", "{style}", "--temporal-weight", "-inf"], ["--temporal-weight"]),
    (["-s", "{style}", "--lr", "inf"], ["--lr inf"]),
    (["-s", "{style}", "--iters", str(MAX_ITERS + 1)], ["--iters", str(MAX_ITERS)]),
    (["-s", "{style}", "--input-format", "http"], ["--input-format 'http'"]),
    (["-s", "{style}", "--input-format", "concat"], ["--input-format 'concat'"]),
    (["-s", "{style}", "--input-format", "file:"], ["--input-format 'file:'"]),
    (["-s", "{style}", "--optimizer", "LBGFS"], ["did you mean 'lbfgs'"]),
]


@pytest.mark.parametrize(("args", "words"), SIZE_CASES + VALUE_CASES)
def test_refused_before_any_work(files, tmp_path, no_work, args, words) -> None:
    args = [a.format(folder=tmp_path, **files) for a in args]
    result = invoke(files["content"], tmp_path / "o.png", *args, "-q")
    one_line_error(result, *words)
    assert not (tmp_path / "o.png").exists()


@pytest.mark.parametrize(
    ("output", "extra", "words"),
    [
        ("o.mp4", ["--codec", "gif"], ["--codec 'gif'", "mp4", "libx264"]),
        ("o.webm", ["--codec", "libx264"], ["--codec 'libx264'", "webm", "libvpx-vp9"]),
        ("a" * 300 + ".png", [], ["output name", "304 bytes"]),
        ("o.png", ["--report", "{tmp}/missing/r.json"], ["--report", "does not exist"]),
        ("o.png", ["--report", "{tmp}"], ["--report", "is a folder"]),
        ("o.png", ["--work-dir", "{content}"], ["--work-dir", "is a file"]),
    ],
)
def test_paths_refused_before_any_work(files, tmp_path, no_work, output, extra, words) -> None:
    extra = [a.format(tmp=tmp_path, **files) for a in extra]
    result = invoke(files["content"], tmp_path / output, "-s", files["style"], *extra, "-q")
    one_line_error(result, *words)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.png" for n in files)


def test_too_long_input_name(files, tmp_path, no_work) -> None:
    result = invoke(tmp_path / ("b" * 300 + ".png"), tmp_path / "o.png", "-s", files["style"])
    one_line_error(result, "input name", "304 bytes")


@pytest.mark.parametrize("option", ["--report", "--work-dir"])
def test_unwritable_report_or_work_dir_before_any_work(files, tmp_path, no_work, option) -> None:
    folder = unwritable_folder(tmp_path)
    result = invoke(
        files["content"], tmp_path / "o.png", "-s", files["style"], option, folder / "x", "-q"
    )
    one_line_error(result, option, "writ")
    assert not (tmp_path / "o.png").exists()


def test_work_dir_of_another_program_is_refused_untouched(files, tmp_path, no_work) -> None:
    folder = tmp_path / "mine"
    (folder / "passport_scans").mkdir(parents=True)
    (folder / "passport_scans" / "a.jpg").write_bytes(b"scan")
    result = invoke(files["content"], tmp_path / "o.png", "-s", files["style"],
                    "--work-dir", folder, "--restart", "-q")  # fmt: skip
    one_line_error(result, "not a vstyle work folder")
    assert (folder / "passport_scans" / "a.jpg").read_bytes() == b"scan"
    assert [p.name for p in folder.iterdir()] == ["passport_scans"]


def test_truncated_manifest_in_a_video_work_dir(tmp_path, style_rgb, write_png, vgg_env) -> None:
    from tests.io.io_clips import make_clip

    clip = make_clip(tmp_path / "in.mp4", frames=2, size=(32, 24))
    style = write_png("style.png", style_rgb)
    work = tmp_path / "work"
    common = ["-s", style, "--iters", 0, "--first-iters", 0, "--work-dir", work, "-q"]
    assert invoke(clip, tmp_path / "a.mp4", *common).exit_code == 0
    manifest = work / "manifest.json"
    manifest.write_bytes(manifest.read_bytes()[:25])
    one_line_error(invoke(clip, tmp_path / "b.mp4", *common), "manifest.json", "corrupt")
    assert not (tmp_path / "b.mp4").exists()
    assert invoke(clip, tmp_path / "b.mp4", *common, "--restart").exit_code == 0


def test_empty_weights_file(files, tmp_path) -> None:
    empty = tmp_path / "empty.pth"
    empty.write_bytes(b"")
    result = invoke(files["content"], tmp_path / "o.png", "-s", files["style"],
                    "--vgg-weights", empty, "-q")  # fmt: skip
    one_line_error(result, "empty.pth", "empty")


def test_weights_that_torch_cannot_name(tmp_path, monkeypatch) -> None:
    """A loader error without a message (an IndexError while building ours before)."""
    from vstyle.errors import WeightsError
    from vstyle.nets import weights

    def silent(*args: object, **kwargs: object):
        raise RuntimeError()

    monkeypatch.setattr(torch, "load", silent)
    path = tmp_path / "w.pth"
    path.write_bytes(b"x")
    with pytest.raises(WeightsError, match="RuntimeError"):
        weights.load_state(path)


@pytest.mark.parametrize("command", [["weights"], ["weights", "import", "{vgg}"], ["run"]])
def test_vstyle_home_is_a_file(files, tmp_path, monkeypatch, vgg_file, command) -> None:
    home = tmp_path / "home-file"
    home.write_text("not a folder")
    monkeypatch.setenv("VSTYLE_HOME", str(home))
    monkeypatch.delenv("VSTYLE_VGG_WEIGHTS")
    args = [a.format(vgg=vgg_file) for a in command]
    if command == ["run"]:
        args += [files["content"], tmp_path / "o.png", "-s", files["style"], "-q"]
    one_line_error(invoke(*args), "VSTYLE_HOME", "is a file")
    assert home.read_text() == "not a folder"


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError(
            "[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't "
            "allocate memory: you tried to allocate 4096000000 bytes. Error code 12"
        ),
        RuntimeError("DefaultCPUAllocator: not enough memory: you tried to allocate 8 GB"),
        MemoryError(),
        cv2.error("OpenCV: (-4:Insufficient memory) Failed to allocate 4800000000 bytes"),
    ],
)
@pytest.mark.parametrize("where", ["optimize", "decode"])
def test_cpu_out_of_memory_is_one_line(files, tmp_path, monkeypatch, error, where) -> None:
    from vstyle import pipeline
    from vstyle.optimize import stylizer

    def explode(*args: object, **kwargs: object):
        raise error

    if where == "optimize":
        monkeypatch.setattr(stylizer, "optimize", explode)
    else:
        monkeypatch.setattr(pipeline, "open_source", explode)
    result = invoke(files["content"], tmp_path / "o.png", "-s", files["style"], "-q")
    one_line_error(result, "out of memory", "--max-side")
    assert result.exit_code == 4


def test_other_runtime_errors_are_not_taken_for_memory(files, tmp_path, monkeypatch) -> None:
    from vstyle.optimize import stylizer

    def explode(*args: object, **kwargs: object):
        raise RuntimeError("something else broke")

    monkeypatch.setattr(stylizer, "optimize", explode)
    result = invoke(files["content"], tmp_path / "o.png", "-s", files["style"], "-q")
    assert isinstance(result.exception, RuntimeError) and result.exit_code != 4


@pytest.mark.slow
def test_cpu_out_of_memory_in_a_real_process(tmp_path, files) -> None:
    """A 4000x3000 picture at full size under a 3 GiB address-space limit."""
    big = np.zeros((3000, 4000, 3), np.uint8)
    big[::7] = 200
    write_image(tmp_path / "big.png", big)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    cmd = [sys.executable, "-m", "vstyle.cli", tmp_path / "big.png", tmp_path / "o.png",
           "-s", files["style"], "--iters", "1", "-q", "--device", "cpu"]  # fmt: skip
    done = subprocess.run(cmd, preexec_fn=limit, capture_output=True, text=True, timeout=300)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 4, done.stderr[-2000:]
    assert len(lines) == 1 and "--max-side" in lines[0] and "Traceback" not in done.stderr
    assert not (tmp_path / "o.png").exists()


@pytest.mark.parametrize(
    "choice",
    [["--optimizer", "LBFGS"], ["--loss", "MSE"], ["--precision", "FP32"], ["--device", "CPU"],
     ["--init", "Content"], ["--method", "OPTIMIZE"], ["--flow", "DIS"]],
)  # fmt: skip
def test_choices_in_any_case(files, tmp_path, choice) -> None:
    result = invoke(files["content"], tmp_path / "o.png", "-s", files["style"], *choice,
                    "--iters", 1, "-q")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert read_image(tmp_path / "o.png").shape == (48, 64, 3)


def test_an_input_named_like_a_subcommand(files, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("weights").write_bytes(files["content"].read_bytes())
    hint = invoke("weights", "out.png", "-s", files["style"], "--iters", 0)
    one_line_error(hint, "vstyle run weights out.png", "./weights")
    for how in (["run", "weights"], ["./weights"]):
        out = f"out-{len(how)}.png"
        result = invoke(*how, out, "-s", files["style"], "--iters", 0, "-q")
        assert result.exit_code == 0, result.output
        assert read_image(out).shape == (48, 64, 3)
