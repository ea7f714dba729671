"""``vstyle live`` from the command line: recording, streaming to stdout (read back by
the ffmpeg binary), the window, and every error as one line."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.io.io_clips import probe, vstyle_process
from tests.live.test_live_parts import fake_pyvirtualcam
from tests.test_cli_image import one_line_error
from vstyle.cli import app

runner = CliRunner()


def invoke(*args: object, **kwargs: object):
    """``vstyle live ARGS`` in process, on the eager engine (no ONNX export to wait for)."""
    return runner.invoke(app, ["live", "--engine", "eager", *(str(a) for a in args)], **kwargs)


def test_record_30_frames_playable_at_capture_times(models, clip, tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    result = invoke("--model", models[0], "--source", clip, "--loop", "--no-window",
                    "--frames", 30, "--record", out)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "30 frame(s) shown" in result.stderr and "stopped by --frames" in result.stderr
    dropped = (
        int(result.stderr.split("record dropped ")[1].split()[0])
        if "record dropped" in result.stderr
        else 0
    )
    played = probe(out)
    assert len(played.rgb) == 30 - dropped and dropped <= 3, result.stderr
    assert (played.width, played.height) == (64, 48)
    times = played.times
    assert times[0] == 0 and all(b > a for a, b in zip(times, times[1:], strict=False))
    # Capture times: 30 frames of a 30 fps camera span about one second of real time.
    assert 0.6 < float(times[-1]) < 3.0, times


def test_record_refuses_to_replace_a_file(models, clip, tmp_path: Path) -> None:
    (tmp_path / "taken.mp4").write_bytes(b"x")
    result = invoke("--model", models[0], "--source", clip, "--no-window",
                    "--record", tmp_path / "taken.mp4")  # fmt: skip
    one_line_error(result, "exists", "--overwrite")


@pytest.mark.parametrize("fmt", ["nut", "y4m"])
def test_stdout_stream_reads_back_in_ffmpeg(models, clip, fmt: str) -> None:
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    # --loop: the 8 frames are shown however slowly a loaded machine paints
    result = invoke("--model", models[0], "--source", clip, "--loop", "--no-window",
                    "--frames", 8, "--output", "-", "--output-format", fmt)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    demuxer = {"y4m": "yuv4mpegpipe"}.get(fmt, fmt)
    # passthrough: one picture per frame sent; by default ffmpeg would repeat frames to
    # fill the gaps that dropped camera frames leave between capture timestamps
    ffmpeg = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", demuxer, "-i", "-",
              "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]  # fmt: skip
    decoded = subprocess.run(ffmpeg, input=result.stdout_bytes, capture_output=True, check=True)
    assert len(decoded.stdout) == 8 * 64 * 48 * 3, decoded.stderr.decode()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--style", "starry.jpg"], ["--style 'starry.jpg'", "vstyle train"]),
        ([], ["needs --model"]),
        (["--model", "missing.vsm"], ["missing.vsm", "does not exist"]),
        (["--model", "{bad}"], ["bad.vsm"]),
        (["--model", "{model}", "--source", "{tmp}/none.mp4"], ["none.mp4", "does not exist"]),
        (["--model", "{model}", "--output", "out.mp4"], ["--output", "--record"]),
        (["--model", "{model}", "--loop"], ["--loop"]),
        (["--model", "{model}", "--camera-size", "640"], ["--camera-size", "WIDTHxHEIGHT"]),
        (["--model", "{model}", "--output-format", "mp4", "--output", "-"], ["nut, y4m"]),
    ],
)
def test_bad_live_input_is_one_line(args, words, models, tmp_path: Path) -> None:
    bad = tmp_path / "bad.vsm"
    bad.write_bytes(b"not a model at all")
    fill = {"{model}": str(models[0]), "{bad}": str(bad), "{tmp}": str(tmp_path)}
    args = [next((a.replace(k, v) for k, v in fill.items() if k in a), a) for a in args]
    one_line_error(invoke(*args, "--no-window"), *words)


def test_no_display_suggests_no_window(models, clip, monkeypatch) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    if sys.platform in ("win32", "darwin"):
        pytest.skip("Windows and macOS always have a display")
    one_line_error(invoke("--model", models[0], "--source", clip), "no display", "--no-window")


def offscreen_window_works() -> str | None:
    """None if OpenCV can open a window with QT_QPA_PLATFORM=offscreen, else why not.

    Tried in a child process: without a platform plugin, Qt aborts the process."""
    code = "import cv2, numpy; cv2.imshow('t', numpy.zeros((8, 8, 3), 'uint8')); cv2.waitKey(1)"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    child = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=60)
    if child.returncode == 0:
        return None
    reason = child.stderr.decode(errors="replace").strip().splitlines()
    return f"cv2.imshow cannot run offscreen here: {reason[0] if reason else child.returncode}"


def test_window_under_offscreen_qt(models, clip, monkeypatch) -> None:
    why = offscreen_window_works()
    if why is not None:
        pytest.skip(why)
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    command = [sys.executable, "-m", "vstyle.cli", "live", "--model", str(models[0]),
               "--source", str(clip), "--frames", "5", "--compare"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "5 frame(s) shown" in done.stderr


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs xvfb-run (apt: xvfb)")
def test_window_under_xvfb(models, clip, tmp_path) -> None:
    """The real window path (imshow on the main thread, overlay, --compare) on a
    virtual X display; Xvfb has no keyboard, so it ends by --frames."""
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    command = ["xvfb-run", "-a", sys.executable, "-m", "vstyle.cli", "live",
               "--model", str(models[0]), "--source", str(clip), "--frames", "5",
               "--compare", "--record", str(tmp_path / "shown.mp4")]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, env=env)
    assert done.returncode == 0, done.stderr
    assert "5 frame(s) shown" in done.stderr
    assert (tmp_path / "shown.mp4").stat().st_size > 0


def test_offscreen_without_the_plugin_is_one_line(models, clip, monkeypatch) -> None:
    from vstyle.live.window import qt_platforms

    plugins = qt_platforms()
    if plugins is None or "offscreen" in plugins:
        pytest.skip("OpenCV's Qt here has the offscreen plugin (or uses the system's Qt)")
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    one_line_error(invoke("--model", models[0], "--source", clip), "offscreen", "--no-window")


def test_virtual_camera_gets_the_painted_frames(models, clip, monkeypatch) -> None:
    fake = fake_pyvirtualcam()
    monkeypatch.setitem(sys.modules, "pyvirtualcam", fake)
    result = invoke("--model", models[0], "--source", clip, "--loop", "--no-window",
                    "--frames", 6, "--virtual-camera")  # fmt: skip
    assert result.exit_code == 0, result.output
    (camera,) = fake.opened
    assert camera.size == (64, 48) and camera.closed
    dropped = 6 - len(camera.sent)
    assert camera.sent and set(camera.sent) == {(48, 64, 3)}
    assert (f"virtual camera dropped {dropped}" in result.stderr) == (dropped > 0)


@pytest.mark.parametrize(
    ("module", "words"),
    [(None, ["pyvirtualcam", "vstyle[live]"]), ("no device", ["v4l2loopback", "OBS"])],
)
def test_virtual_camera_errors_are_one_line(module, words, models, clip, monkeypatch) -> None:
    fake = None if module is None else fake_pyvirtualcam("No v4l2 loopback device found")
    monkeypatch.setitem(sys.modules, "pyvirtualcam", fake)
    result = invoke("--model", models[0], "--source", clip, "--no-window", "--virtual-camera")
    one_line_error(result, "--virtual-camera", *words)


@pytest.mark.slow  # a real process (for a real SIGINT): its start dominates
def test_ctrl_c_ends_with_the_summary_and_a_playable_recording(models, clip, tmp_path) -> None:
    out = tmp_path / "live.mp4"
    process = vstyle_process("live", "--model", models[0], "--source", clip, "--loop",
                             "--no-window", "--record", out, stderr=subprocess.PIPE,
                             text=True)  # fmt: skip
    deadline = time.monotonic() + 120
    while not (out.exists() and out.stat().st_size > 0) and time.monotonic() < deadline:
        time.sleep(0.2)  # packets reach the file once the encoder has a few frames
        assert process.poll() is None, process.communicate()[1]
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert "stopped by Ctrl-C" in stderr
    played = probe(out)
    assert len(played.rgb) >= 1
    assert played.times == sorted(played.times)
