"""Every output container, pictures, frame patterns and picture inputs."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from io_clips import picture, probe

from vstyle.io.image import write_image

COPY = ("--method", "copy", "-q")


@pytest.mark.parametrize(
    ("ext", "codec"),
    [
        ("mp4", "h264"),
        ("mkv", "h264"),
        ("mov", "h264"),
        ("webm", "vp9"),
        ("avi", "h264"),
        ("gif", "gif"),
    ],
)
def test_each_container(clip, vstyle, tmp_path, ext, codec):
    src = clip("in.mp4", frames=6, rate=Fraction(25))
    out = tmp_path / f"out.{ext}"
    assert vstyle(src, out, *COPY)[0] == 0
    result = probe(out)
    assert (result.codec, len(result.times)) == (codec, 6)
    assert not list(tmp_path.glob(".out.partial-*"))  # the temporary name is gone


@pytest.mark.parametrize(
    ("codec", "extra"), [("libx265", ()), ("ffv1", ()), ("libx264", ("--bitrate", "500k"))]
)
def test_codec_options(clip, vstyle, tmp_path, codec, extra):
    src = clip("in.mp4", frames=4)
    out = tmp_path / "out.mkv"
    assert vstyle(src, out, *COPY, "--codec", codec, "--preset", "ultrafast", *extra)[0] == (
        0 if codec != "ffv1" else 2
    )
    if codec != "ffv1":  # ffv1 has no presets: refused with a message
        assert probe(out).codec == {"libx265": "hevc"}.get(codec, "h264")


def test_single_picture_in_and_out(tmp_path, vstyle):
    write_image(tmp_path / "in.png", picture(0, 64, 48))
    assert vstyle(tmp_path / "in.png", tmp_path / "out.mp4", *COPY)[0] == 0
    assert len(probe(tmp_path / "out.mp4").times) == 1
    assert vstyle(tmp_path / "out.mp4", tmp_path / "back.png", *COPY)[0] == 0
    assert (tmp_path / "back.png").exists()


def test_frame_patterns_both_ways(clip, vstyle, tmp_path):
    src = clip("in.mkv", frames=5, codec="ffv1", pix_fmt="bgr0")
    (tmp_path / "frames").mkdir()
    pattern = tmp_path / "frames" / "%05d.png"
    assert vstyle(src, pattern, *COPY)[0] == 0
    assert len(list((tmp_path / "frames").glob("*.png"))) == 5
    out = tmp_path / "again.mkv"
    assert vstyle(pattern, out, *COPY, "--input-rate", "12", "--codec", "ffv1")[0] == 0
    result = probe(out)
    assert result.rate == 12
    assert all(np.array_equal(x, picture(i, 64, 48)) for i, x in enumerate(result.rgb))
