"""stdin and stdout, piped to and from a real ffmpeg binary (the imageio-ffmpeg one)."""

from __future__ import annotations

import subprocess
from fractions import Fraction

import numpy as np
import pytest
from io_clips import picture, probe, vstyle_process

pytestmark = pytest.mark.slow  # each test starts Python and ffmpeg processes


@pytest.mark.parametrize("fmt", ["nut", "yuv4mpegpipe", "matroska"])
def test_ffmpeg_into_stdin(clip, ffmpeg, tmp_path, fmt):
    src = clip("in.mp4", frames=10, rate=Fraction(30000, 1001), audio="aac")
    out = tmp_path / "out.mp4"
    upstream = subprocess.Popen(
        [
            ffmpeg,
            "-v",
            "error",
            "-i",
            src,
            *([] if fmt == "yuv4mpegpipe" else ["-c:v", "ffv1"]),
            "-f",
            fmt,
            "-",
        ],
        stdout=subprocess.PIPE,
    )
    name = {"yuv4mpegpipe": "y4m"}.get(fmt, fmt)
    run = vstyle_process(
        "-", out, "--method", "copy", "-q", "--input-format", name, stdin=upstream.stdout
    )
    upstream.stdout.close()
    assert run.wait(60) == 0 and upstream.wait(60) == 0
    result = probe(out)
    assert len(result.times) == 10
    if fmt == "matroska":  # Matroska keeps times in milliseconds
        assert abs(result.rate - Fraction(30000, 1001)) < Fraction(1, 5)
    else:
        assert result.rate == Fraction(30000, 1001)
    assert len(result.audio) == (0 if fmt == "yuv4mpegpipe" else 1)


def test_raw_video_on_stdin_is_exact(tmp_path):
    raw = b"".join(picture(i, 64, 48).tobytes() for i in range(6))
    out = tmp_path / "out.mkv"
    args = (
        "--input-format",
        "rawvideo",
        "--input-size",
        "64x48",
        "--input-rate",
        "24",
        "--input-pix-fmt",
        "rgb24",
        "--codec",
        "ffv1",
    )
    run = vstyle_process("-", out, "--method", "copy", "-q", *args, stdin=subprocess.PIPE)
    run.communicate(raw, timeout=60)
    assert run.returncode == 0
    result = probe(out)
    assert result.rate == 24
    assert all(np.array_equal(x, picture(i, 64, 48)) for i, x in enumerate(result.rgb))


@pytest.mark.parametrize("fmt", ["nut", "y4m", "matroska", "rawvideo"])
def test_stdout_into_ffmpeg(clip, ffmpeg, tmp_path, fmt):
    src = clip("in.mp4", frames=10, audio="aac")
    out = tmp_path / "out.mkv"
    run = vstyle_process(
        src, "-", "--method", "copy", "--output-format", fmt, stdout=subprocess.PIPE
    )
    reader = ["-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", "64x48"] if fmt == "rawvideo" else []
    downstream = subprocess.run(
        [ffmpeg, "-v", "error", *reader, "-i", "-", "-c:v", "ffv1", "-c:a", "copy", out],
        stdin=run.stdout,
        timeout=60,
    )
    run.stdout.close()
    assert run.wait(60) == 0 and downstream.returncode == 0
    result = probe(out)
    assert len(result.times) == 10
    assert len(result.audio) == (1 if fmt in ("nut", "matroska") else 0)


def test_stdin_closed_at_once(tmp_path):
    run = vstyle_process(
        "-",
        tmp_path / "out.mp4",
        "--method",
        "copy",
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, err = run.communicate(timeout=60)
    assert run.returncode == 2
    assert err.decode().strip().splitlines() == [
        "vstyle: error: input '-' (stdin) is empty: nothing was piped in"
    ]
