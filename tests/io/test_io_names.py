"""Output and input names that used to lose data or fail late: existing frames of a
pattern, an existing ``NAME.partial.EXT``, dangling links, colons, FIFOs, stale
temporaries of killed runs, and messages that named the hidden temporary file."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from io_clips import probe

from vstyle.io.formats import output_kind

COPY = ("--method", "copy", "-q")


def one_line(vstyle, *args: object) -> tuple[int, str]:
    code, err = vstyle(*args)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vstyle: error: "), err
    return code, lines[0]


def test_frame_pattern_never_overwrites_a_later_frame(clip, vstyle, tmp_path):
    src = clip("in.mp4", frames=6)
    (tmp_path / "f_0005.png").write_bytes(b"someone's frame five")
    code, line = one_line(vstyle, src, tmp_path / "f_%04d.png", *COPY)
    assert code == 2 and "'f_0005.png'" in line.replace(str(tmp_path) + os.sep, "")
    assert "--overwrite" in line
    assert (tmp_path / "f_0005.png").read_bytes() == b"someone's frame five"
    assert vstyle(src, tmp_path / "f_%04d.png", *COPY, "--overwrite")[0] == 0
    assert len(list(tmp_path.glob("f_*.png"))) == 6


def test_frame_pattern_checks_each_name_as_it_writes(tmp_path):
    """A source that does not say its length is caught frame by frame, before the write."""
    from vstyle.frames import Frame, VideoInfo
    from vstyle.io import open_sink
    from vstyle.options import IOOptions

    pattern = str(tmp_path / "f_%04d.png")
    (tmp_path / "f_0003.png").write_bytes(b"keep me")
    kind = output_kind(pattern, None)
    sink = open_sink(pattern, IOOptions(), kind, VideoInfo(width=16, height=8))
    rgb = __import__("numpy").zeros((8, 16, 3), "uint8")
    sink.write(Frame(0, rgb))
    sink.write(Frame(1, rgb))
    with pytest.raises(OSError, match="f_0003.png' exists"):
        sink.write(Frame(2, rgb))
    sink.close()
    assert (tmp_path / "f_0003.png").read_bytes() == b"keep me"


def test_an_existing_partial_is_never_replaced(tmp_path):
    from vstyle.io.staging import Staging

    out = tmp_path / "out.mkv"
    out.write_bytes(b"old result")
    (tmp_path / "out.partial.mkv").write_bytes(b"the user's own partial")
    staging = Staging(out, output_kind(out, None))
    staging.path.write_bytes(b"new frames")
    where = staging.keep_partial(3)
    assert (tmp_path / "out.partial.mkv").read_bytes() == b"the user's own partial"
    assert (tmp_path / "out.partial-2.mkv").read_bytes() == b"new frames"
    assert where == f"kept 3 frame(s) in '{tmp_path / 'out.partial-2.mkv'}'"
    assert out.read_bytes() == b"old result"


def test_a_dangling_link_at_the_output_is_not_replaced(clip, vstyle, tmp_path):
    src = clip("in.mp4", frames=2)
    out = tmp_path / "out.mp4"
    out.symlink_to(tmp_path / "gone.mp4")
    code, line = one_line(vstyle, src, out, *COPY)
    assert code == 2 and "exists" in line and "--overwrite" in line
    assert out.is_symlink() and os.readlink(out) == str(tmp_path / "gone.mp4")


def test_stale_temporaries_of_dead_runs_are_removed(tmp_path):
    from vstyle.io.staging import Staging

    out = tmp_path / "out.mp4"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".out.partial-{dead.pid}.mp4"
    stale.touch()  # what kill -9 leaves
    alive = tmp_path / f".out.partial-{os.getppid()}.mp4"
    alive.touch()  # another run writing right now
    other = tmp_path / f".other.partial-{dead.pid}.mp4"
    other.touch()  # not ours to judge: another output's temporary
    mine = tmp_path / ".out.partial-x.mp4"
    mine.touch()  # not vstyle's pattern
    Staging(out, output_kind(out, None))
    assert not stale.exists()
    assert alive.exists() and other.exists() and mine.exists()


@pytest.mark.parametrize("name", ["take1:final.mp4", "2024-01-01T10:30.mkv"])
def test_colons_in_output_and_input_names(clip, vstyle, tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    clip("in:1.mp4", frames=3)
    assert vstyle("in:1.mp4", name, *COPY) == (0, "")
    assert len(probe(tmp_path / name).times) == 3
    assert not list(tmp_path.glob(".*partial*"))


def test_output_that_cannot_be_created_fails_before_the_first_frame(clip, tmp_path):
    from vstyle.frames import VideoInfo
    from vstyle.io import open_sink
    from vstyle.options import IOOptions

    out = tmp_path / "out.mp4"
    (tmp_path / ".out.tmp.mp4").mkdir()  # a folder where the file should go
    with pytest.raises(OSError, match=f"output '{out}' cannot be created"):
        open_sink(str(out), IOOptions(), output_kind(out, None), VideoInfo(16, 8),
                  path=tmp_path / ".out.tmp.mp4")  # fmt: skip


def test_messages_name_the_output_not_the_temporary_file(clip, vstyle, tmp_path):
    src = clip("in.mp4", frames=3)
    out = tmp_path / "out.png"  # one picture for three frames: refused at the second
    code, line = one_line(vstyle, src, out, *COPY)
    assert code == 2 and "single picture" in line
    assert f"'{out}'" in line and ".partial" not in line
    assert not list(tmp_path.glob(".*partial*"))


def test_fifo_input_is_read_not_refused(clip, vstyle, tmp_path):
    src = clip("in.mkv", frames=4, codec="ffv1", pix_fmt="bgr0")
    fifo = tmp_path / "pipe.mkv"
    os.mkfifo(fifo)

    def feed() -> None:
        with open(fifo, "wb") as pipe:
            pipe.write(src.read_bytes())

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    assert vstyle(fifo, tmp_path / "out.mkv", *COPY) == (0, "")
    writer.join(10)
    assert len(probe(tmp_path / "out.mkv").times) == 4


def test_temporary_path_is_hidden_beside_the_output(tmp_path):
    from vstyle.io.staging import temporary_path

    tmp = temporary_path(tmp_path / "a b.mp4")
    assert tmp.parent == tmp_path and tmp.name == f".a b.partial-{os.getpid()}.mp4"


def test_an_output_made_while_running_is_not_replaced(tmp_path):
    from vstyle.io.staging import Staging

    out = tmp_path / "out.mkv"
    staging = Staging(out, output_kind(out, None))
    staging.path.write_bytes(b"new result")
    out.write_bytes(b"made by someone else meanwhile")
    with pytest.raises(OSError, match="appeared while vstyle ran"):
        staging.commit()
    assert out.read_bytes() == b"made by someone else meanwhile"
    assert (tmp_path / "out.partial.mkv").read_bytes() == b"new result"


def test_a_name_near_the_length_limit_still_gets_a_temporary(clip, vstyle, tmp_path):
    src = clip("in.mp4", frames=2)
    out = tmp_path / ("n" * 245 + ".mp4")  # valid, but .NAME.partial-PID.mp4 would not be
    assert vstyle(src, out, *COPY) == (0, "")
    assert len(probe(out).times) == 2
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_dev_null_is_written_into_not_replaced(clip, vstyle):
    src = clip("in.mp4", frames=2)
    assert vstyle(src, "/dev/null", *COPY, "--output-format", "nut") == (0, "")
    assert Path("/dev/null").is_char_device()


def test_fifo_output_is_written_into(clip, vstyle, tmp_path):
    src = clip("in.mp4", frames=3)
    fifo = tmp_path / "pipe.mkv"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    assert vstyle(src, fifo, *COPY, "--codec", "ffv1") == (0, "")
    reader.join(10)
    assert fifo.is_fifo()
    (tmp_path / "got.mkv").write_bytes(got[0])
    assert len(probe(tmp_path / "got.mkv").times) == 3


def test_a_pattern_with_a_stray_percent_is_one_line(clip, vstyle, tmp_path):
    code, line = one_line(vstyle, clip("in.mp4", frames=2), tmp_path / "f_%04d_50%.png", *COPY)
    assert code == 2 and "write %% for a percent sign" in line


def test_a_picture_that_cannot_be_created_fails_before_the_frame(tmp_path):
    from vstyle.frames import VideoInfo
    from vstyle.io import open_sink
    from vstyle.options import IOOptions

    out = tmp_path / "out.png"
    (tmp_path / ".hidden.png").mkdir()
    with pytest.raises(OSError, match=f"output '{out}' cannot be created"):
        open_sink(str(out), IOOptions(), output_kind(out, None), VideoInfo(16, 8),
                  path=tmp_path / ".hidden.png")  # fmt: skip
