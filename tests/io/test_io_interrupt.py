"""Ctrl-C and SIGTERM on a running vstyle leave a playable file of the frames done."""

from __future__ import annotations

import re
import signal
import subprocess
import time

import pytest
from io_clips import probe, vstyle_process

pytestmark = pytest.mark.slow


def interrupt_midway(args: list[object], watch, sig: int) -> tuple[int, str]:
    """Start vstyle, wait until its output grows, send ``sig``; returns (exit, stderr)."""
    run = vstyle_process(*args, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and run.poll() is None:
        written = [p for p in watch() if p.stat().st_size > 200_000]
        if written:
            break
        time.sleep(0.05)
    assert run.poll() is None, "vstyle finished before it could be interrupted"
    run.send_signal(sig)
    _, err = run.communicate(timeout=60)
    return run.returncode, err.decode()


# Upscaling to 1080p makes each frame slow enough to stop the run part-way.
SLOW = ("--method", "copy", "--size", "1920x1080", "--preset", "ultrafast", "-q")


def test_sigint_keeps_frames_at_the_target(clip, tmp_path):
    src = clip("in.mp4", frames=120, size=(160, 120), audio="aac")
    out = tmp_path / "out.mp4"
    code, err = interrupt_midway(
        [src, out, *SLOW], lambda: tmp_path.glob(".out.partial-*"), signal.SIGINT
    )
    assert code == 130
    done = int(re.search(r"kept (\d+) frame\(s\) in '(.*)'", err).group(1))
    assert err.strip().splitlines()[-1].endswith(f"kept {done} frame(s) in '{out}'")
    result = probe(out)  # playable: header, index and every frame done
    assert 0 < len(result.times) == done < 120
    assert result.audio and result.audio[0]["seconds"] <= done / 29.97 + 0.1
    assert not list(tmp_path.glob(".out.partial-*"))


def test_sigterm_never_replaces_an_existing_file(clip, tmp_path):
    src = clip("in.mp4", frames=120, size=(160, 120))
    out = tmp_path / "out.mp4"
    out.write_bytes(b"the previous result")
    code, err = interrupt_midway(
        [src, out, *SLOW, "--overwrite"], lambda: tmp_path.glob(".out.partial-*"), signal.SIGTERM
    )
    assert code == 130
    assert out.read_bytes() == b"the previous result"
    partial = tmp_path / "out.partial.mp4"
    assert f"in '{partial}'" in err
    assert 0 < len(probe(partial).times) < 120
