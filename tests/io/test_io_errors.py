"""Bad inputs and outputs: one line on stderr, a non-zero exit, nothing overwritten."""

from __future__ import annotations

import os
import subprocess

import av
import pytest
from io_clips import probe

COPY = ("--method", "copy", "-q")


def one_line(vstyle, *args: object) -> tuple[int, str]:
    code, err = vstyle(*args)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vstyle: error: "), err
    return code, lines[0]


def test_missing_file(vstyle, tmp_path):
    code, line = one_line(vstyle, tmp_path / "nope.mp4", tmp_path / "o.mp4", *COPY)
    assert code == 2 and "does not exist" in line


def test_directory(vstyle, tmp_path):
    code, line = one_line(vstyle, tmp_path, tmp_path / "o.mp4", *COPY)
    assert code == 2 and "is a folder" in line


def test_zero_byte_file(vstyle, tmp_path):
    (tmp_path / "empty.mp4").touch()
    code, line = one_line(vstyle, tmp_path / "empty.mp4", tmp_path / "o.mp4", *COPY)
    assert code == 2 and "is empty (0 bytes)" in line


def test_not_a_media_file(vstyle, tmp_path):
    (tmp_path / "notes.mp4").write_text("these are not the frames you are looking for\n" * 50)
    code, line = one_line(vstyle, tmp_path / "notes.mp4", tmp_path / "o.mp4", *COPY)
    assert code == 2 and "is not a video FFmpeg can read" in line


def test_audio_only_file(vstyle, tmp_path):
    path = tmp_path / "tone.m4a"
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("aac", rate=44100)
        frame = av.AudioFrame(format="fltp", layout="mono", samples=1024)
        frame.sample_rate, frame.pts = 44100, 0
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        out.mux(stream.encode(frame))
        out.mux(stream.encode())
    code, line = one_line(vstyle, path, tmp_path / "o.mp4", *COPY)
    assert code == 2 and line.endswith("has no video stream (streams: audio)")


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--input-format", "mp5", "--input-format 'mp5' is not a container FFmpeg knows"),
        ("--codec", "libx2644", "did you mean 'libx264'?"),
        ("--output-format", "nutt", "--output-format 'nutt' is not a container"),
        ("--pix-fmt", "yuv42p", "--pix-fmt 'yuv42p' is not supported by --codec libx264"),
    ],
)
def test_unknown_container_codec_or_format(clip, vstyle, tmp_path, option, value, message):
    src = clip("in.mp4", frames=2)
    code, line = one_line(vstyle, src, tmp_path / "o.mp4", *COPY, option, value)
    assert code == 2 and message in line
    assert not (tmp_path / "o.mp4").exists()


def test_unwritable_output_folder(clip, vstyle, tmp_path, monkeypatch):
    src = clip("in.mp4", frames=2)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    if os.access(locked, os.W_OK):  # root ignores the mode; pretend as a user would see it
        real = os.access
        monkeypatch.setattr(
            os, "access", lambda p, m: False if str(p) == str(locked) else real(p, m)
        )
    code, line = one_line(vstyle, src, locked / "o.mp4", *COPY)
    assert code == 2 and "is not writable" in line
    code, line = one_line(vstyle, src, tmp_path / "missing" / "o.mp4", *COPY)
    assert code == 2 and "does not exist" in line


def test_unsupported_output_extension(clip, vstyle, tmp_path):
    code, line = one_line(vstyle, clip("in.mp4", frames=2), tmp_path / "o.xyz", *COPY)
    assert code == 2 and "unsupported extension '.xyz'" in line


def test_never_overwrites_and_refuses_the_input(clip, vstyle, tmp_path):
    src = clip("in.mp4", frames=2)
    (tmp_path / "o.mp4").write_bytes(b"precious")
    code, line = one_line(vstyle, src, tmp_path / "o.mp4", *COPY)
    assert code == 2 and "--overwrite" in line
    assert (tmp_path / "o.mp4").read_bytes() == b"precious"
    code, line = one_line(vstyle, src, src, *COPY, "--overwrite")
    assert code == 2 and "is the input" in line
    assert vstyle(src, tmp_path / "o.mp4", *COPY, "--overwrite")[0] == 0
    assert len(probe(tmp_path / "o.mp4").times) == 2


@pytest.mark.parametrize("how", ["truncated", "garbled", "truncated-mp4"])
def test_broken_input_keeps_frames_done(clip, vstyle, ffmpeg, tmp_path, how):
    src = clip("in.mkv", frames=30, codec="ffv1", pix_fmt="bgr0")
    if how == "truncated-mp4":  # fast-start puts the index first, so a cut file still opens
        fast = tmp_path / "in.mp4"
        args = ["-v", "error", "-i", src, "-c:v", "libx264", "-movflags", "faststart", fast]
        subprocess.run([ffmpeg, *map(str, args)], check=True)
        src = fast
    data = bytearray(src.read_bytes())
    if how.startswith("truncated"):
        data = data[: len(data) * (85 if how.endswith("mp4") else 60) // 100]
    else:
        middle = len(data) // 2
        data[middle : middle + 4000] = os.urandom(4000)
    src.write_bytes(bytes(data))
    out = tmp_path / "out.mkv"
    code, line = one_line(vstyle, src, out, *COPY)
    assert code == 3
    assert "at frame" in line or "after frame" in line
    done = len(probe(out).times)  # playable, with the frames before the break
    assert 5 < done < 30 and line.endswith(f"kept {done} frame(s) in '{out}'")
