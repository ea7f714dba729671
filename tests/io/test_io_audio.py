"""Audio beside the video: copied when the container takes it, else re-encoded."""

from __future__ import annotations

from fractions import Fraction

import pytest
from io_clips import probe

COPY = ("--method", "copy", "-q")


@pytest.mark.parametrize(
    ("source", "out", "codec"),
    [
        ("aac.mp4", "out.mp4", "aac"),  # copied
        ("aac.mp4", "out.mkv", "aac"),  # copied
        ("aac.mp4", "out.mov", "aac"),  # copied
        ("aac.mp4", "out.webm", "opus"),  # webm takes no AAC: re-encoded
        ("mp3.mp4", "out.mp4", "mp3"),  # mp3 in mp4 copied, as in the real clips
    ],
)
def test_audio_kept_with_same_duration(clip, vstyle, tmp_path, source, out, codec):
    encoder = "libmp3lame" if source.startswith("mp3") else "aac"
    src = clip(source, frames=15, rate=Fraction(30000, 1001), audio=encoder)
    assert vstyle(src, tmp_path / out, *COPY)[0] == 0
    before, after = probe(src), probe(tmp_path / out)
    assert len(after.audio) == 1
    assert after.audio[0]["codec"].startswith(codec)
    frame = max(before.audio[0]["frame"], after.audio[0]["frame"])
    assert abs(after.audio[0]["seconds"] - before.audio[0]["seconds"]) <= frame
    assert len(after.times) == 15


def test_no_audio_flag(clip, vstyle, tmp_path):
    src = clip("in.mp4", frames=5, audio="aac")
    assert vstyle(src, tmp_path / "out.mp4", *COPY, "--no-audio")[0] == 0
    assert probe(tmp_path / "out.mp4").audio == []


def test_container_without_audio_drops_it(clip, vstyle, tmp_path):
    src = clip("in.mp4", frames=5, audio="aac")
    assert vstyle(src, tmp_path / "out.gif", *COPY)[0] == 0
    result = probe(tmp_path / "out.gif")
    assert (result.codec, len(result.times), result.audio) == ("gif", 5, [])
