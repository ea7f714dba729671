"""A disk that fills up mid-run (ENOSPC): one line naming the output and the free
space, the old output intact, a playable partial kept, no hidden file left behind.

A real 2 MiB tmpfs is used where this machine lets the tests mount one (root);
elsewhere those tests skip and a monkeypatched writer stands in.
"""

from __future__ import annotations

import errno
import subprocess
import sys

import pytest
from io_clips import noise_clip, probe

COPY = ("--method", "copy", "-q")
BIG = ("--size", "320x240", "--codec", "ffv1")  # about 100 kB a frame: 2 MiB fill fast


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MiB tmpfs mounted for the test, or a skip saying why there is none."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


def one_line(vstyle, *args: object) -> tuple[int, str]:
    code, err = vstyle(*args)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vstyle: error: "), err
    return code, lines[0]


def test_video_fills_the_disk(clip, vstyle, small_disk):
    src = clip("in.mp4", frames=60, size=(160, 120))
    out = small_disk / "out.mkv"
    out.write_bytes(b"the previous result")
    code, line = one_line(vstyle, src, out, *COPY, *BIG, "--overwrite")
    assert code == 2
    assert f"output '{out}'" in line and "disk is full" in line and "free" in line
    assert ".partial-" not in line
    assert out.read_bytes() == b"the previous result"
    assert not list(small_disk.glob(".out.partial-*"))
    partial = small_disk / "out.partial.mkv"
    if partial.exists():  # kept only when it plays
        assert f"'{partial}'" in line
        assert 0 < len(probe(partial).times) < 60


def test_mp4_that_cannot_be_finished_is_not_kept(vstyle, small_disk, tmp_path):
    src = noise_clip(tmp_path / "noise.mkv")
    out = small_disk / "out.mp4"
    code, line = one_line(vstyle, src, out, *COPY, "--crf", "0")
    assert code == 2 and f"output '{out}'" in line and "disk is full" in line
    if out.exists():
        assert len(probe(out).times) > 0
    assert not list(small_disk.glob(".out.partial-*"))


def test_frame_pattern_fills_the_disk(clip, vstyle, small_disk):
    src = clip("in.mp4", frames=60, size=(160, 120))
    pattern = small_disk / "f_%04d.png"
    code, line = one_line(vstyle, src, pattern, *COPY, "--size", "320x240")
    assert code == 2 and f"output '{pattern}'" in line and "disk is full" in line
    written = sorted(small_disk.glob("f_*.png"))
    assert 0 < len(written) < 60
    for path in written:  # no half-written picture is left
        assert len(probe(path).rgb) == 1


def test_picture_fills_the_disk(vstyle, small_disk, tmp_path, write_png):
    import numpy as np

    noise = np.random.default_rng(0).integers(0, 256, (400, 400, 3), dtype=np.uint8)
    src = write_png("noise.png", noise)
    (small_disk / "filler").write_bytes(b"\0" * (2 * 1024 * 1024 - 64 * 1024))
    out = small_disk / "out.png"
    code, line = one_line(vstyle, src, out, *COPY)
    assert code == 2 and f"output '{out}'" in line and "disk is full" in line
    assert not out.exists() and not list(small_disk.glob(".out.partial-*"))


def test_stdout_onto_a_full_disk(clip, small_disk):
    src = clip("in.mp4", frames=60, size=(160, 120))
    with open(small_disk / "out.nut", "wb") as target:
        done = subprocess.run(
            [sys.executable, "-m", "vstyle.cli", src, "-", "--method", "copy", *BIG],
            stdout=target, stderr=subprocess.PIPE, timeout=120,
        )  # fmt: skip
    lines = done.stderr.decode().strip().splitlines()
    assert done.returncode == 2
    assert len(lines) == 1 and lines[0].startswith("vstyle: error: output '-' (stdout)"), lines
    assert "disk is full" in lines[0] and "free" in lines[0]


def test_disk_full_without_a_tmpfs(clip, vstyle, tmp_path, monkeypatch):
    """The same path through a writer that raises ENOSPC (runs on every machine)."""
    import av

    real_mux = av.container.OutputContainer.mux
    calls = {"n": 0}

    def mux(self, packets):
        calls["n"] += 1
        if calls["n"] > 5:
            raise av.error.OSError(errno.ENOSPC, "No space left on device")
        return real_mux(self, packets)

    src = clip("in.mp4", frames=20)
    monkeypatch.setattr(av.container.OutputContainer, "mux", mux)
    out = tmp_path / "out.mkv"
    code, line = one_line(vstyle, src, out, *COPY, "--codec", "ffv1")
    assert code == 2 and f"output '{out}'" in line and "disk is full" in line
    assert not list(tmp_path.glob(".out.partial-*"))


@pytest.mark.parametrize("raised", ["OSError", "OutputError"])
def test_work_files_filling_the_disk_keep_the_partial(tmp_path, raised):
    """A write outside the sink (work-dir frames) that fails: the frames done stay."""
    import threading

    import numpy as np

    from vstyle.errors import OutputError
    from vstyle.frames import Frame, VideoInfo
    from vstyle.io import open_sink
    from vstyle.io.formats import output_kind
    from vstyle.io.staging import Staging
    from vstyle.options import IOOptions

    out = tmp_path / "out.mkv"
    kind = output_kind(out, None)
    staging = Staging(out, kind)
    with pytest.raises(OSError, match="kept the frames written before it") as caught:
        with staging.saving(threading.Event(), lambda: 3):
            with open_sink(
                out, IOOptions(codec="ffv1"), kind, VideoInfo(16, 8), staging.path
            ) as sink:
                for i in range(3):
                    sink.write(Frame(i, np.full((8, 16, 3), 40 * i, np.uint8), i))
            if raised == "OSError":  # raw, as from a plain write
                raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "w/f.png"))
            raise OutputError(f"work dir file '{tmp_path / 'w/f.png'}' cannot be written: full")
    line = str(caught.value)
    assert f"'{tmp_path / 'w/f.png'}'" in line and f"in '{out}'" in line
    if raised == "OSError":
        assert caught.value.errno == errno.ENOSPC and "the disk is full" in line
    assert len(probe(out).times) == 3 and not staging.path.exists()
