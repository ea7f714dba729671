"""Signals on real processes in the hard places: a stalled stdin, two Ctrl-C in a row,
and closed stdin/stdout (``<&-``, ``>&-``)."""

from __future__ import annotations

import fcntl
import signal
import struct
import subprocess
import sys
import termios
import time

import pytest
from io_clips import probe, vstyle_process

pytestmark = pytest.mark.slow  # each test starts a Python process


def unread(pipe) -> int:
    """Bytes written into ``pipe`` that the reader has not taken yet."""
    return struct.unpack("i", fcntl.ioctl(pipe, termios.FIONREAD, b"\0\0\0\0"))[0]


@pytest.mark.parametrize("share", [0.05, 0.6])
def test_signal_while_stdin_stalls_stops_at_once(clip, tmp_path, share):
    """Part of a stream, then the writer waits: SIGINT must end the run with 130."""
    src = clip("in.mkv", frames=60, codec="ffv1", pix_fmt="bgr0")
    data = src.read_bytes()
    out = tmp_path / "out.mkv"
    run = vstyle_process(
        "-", out, "--method", "copy", "--input-format", "matroska", "--codec", "ffv1",
        stdin=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    run.stdin.write(data[: int(len(data) * share)])
    run.stdin.flush()
    deadline = time.monotonic() + 60
    while unread(run.stdin) and time.monotonic() < deadline:  # it reads, then waits for more
        time.sleep(0.1)
    time.sleep(1.0)
    run.send_signal(signal.SIGINT)
    try:
        code = run.wait(10)  # the writer still holds the pipe open
    finally:
        run.kill()
        run.stdin.close()
    err = run.stderr.read().decode()
    assert code == 130, err
    assert "wrote" not in err and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("vstyle: error: interrupted")
    if out.exists():  # the frames done, playable
        assert 0 < len(probe(out).times) < 60
    assert not list(tmp_path.glob(".out.partial-*"))


def test_two_ctrl_c_still_save_and_exit_130(clip, tmp_path):
    src = clip("in.mp4", frames=120, size=(160, 120))
    out = tmp_path / "out.mp4"
    slow = ("--method", "copy", "--size", "1920x1080", "--preset", "ultrafast", "-q")
    run = vstyle_process(src, out, *slow, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and run.poll() is None:
        if any(p.stat().st_size > 200_000 for p in tmp_path.glob(".out.partial-*")):
            break
        time.sleep(0.05)
    assert run.poll() is None, "vstyle finished before it could be interrupted"
    run.send_signal(signal.SIGINT)
    time.sleep(0.2)
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 130, err.decode()
    assert 0 < len(probe(out).times) < 120


def closed(redirect: str, *args: object) -> subprocess.CompletedProcess:
    """Run vstyle from a shell with one standard stream closed."""
    words = " ".join(f"'{a}'" for a in [sys.executable, "-m", "vstyle.cli", *args])
    return subprocess.run(
        ["bash", "-c", f"exec {words} {redirect}"], capture_output=True, timeout=120
    )


def test_closed_stdin(tmp_path):
    done = closed("<&-", "-", tmp_path / "out.mp4", "--method", "copy")
    assert done.returncode == 2
    lines = done.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vstyle: error: input '-'"), lines
    assert "closed" in lines[0]
    assert not list(tmp_path.iterdir())


def test_closed_stdout(clip, tmp_path):
    src = clip("in.mp4", frames=3)
    done = closed(">&-", src, "-", "--method", "copy")
    assert done.returncode == 2
    lines = done.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vstyle: error: output '-'"), lines
    assert "closed" in lines[0]


def test_closed_stdout_does_not_matter_for_a_file(clip, tmp_path):
    src = clip("in.mp4", frames=3)
    done = closed(">&- <&-", src, tmp_path / "out.mp4", "--method", "copy")
    assert done.returncode == 0, done.stderr.decode()
    assert len(probe(tmp_path / "out.mp4").times) == 3


def test_reader_closing_stdout_early(clip, tmp_path):
    src = clip("in.mp4", frames=60, size=(160, 120))
    done = subprocess.run(
        ["bash", "-c", f"'{sys.executable}' -m vstyle.cli '{src}' - --method copy "
         "--size 640x480 | head -c 1000 >/dev/null; exit ${PIPESTATUS[0]}"],
        capture_output=True, timeout=120,
    )  # fmt: skip
    lines = done.stderr.decode().strip().splitlines()
    assert done.returncode == 2
    assert len(lines) == 1 and "closed the pipe" in lines[0], lines
