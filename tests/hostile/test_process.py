"""Real processes: signals, stalled and closed pipes, FIFOs and a full disk.

Interrupted runs must exit 130 with one line, keep a playable partial of the frames
done (the count the line gives) and touch nothing else; a full disk must give one
line naming the output, with any old output intact.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from . import corpus, harness
from .processes import Running, nut_stream, y4m

pytestmark = pytest.mark.slow

# Frame 0 takes one iteration, every later one 400: a signal lands while one is in work.
# FFV1 in Matroska emits a packet per frame, so the hidden temporary file appears at
# frame 0 (x264 holds frames back, and PyAV creates the file at the first packet).
SLOW = ["--method", "optimize", "--first-iters", "1", "--iters", "400", "--max-side", "32"]
SLOW += ["--codec", "ffv1", "-q"]


def _setup(folder: Path, frames: int = 6) -> None:
    corpus.clip(folder / "in.mp4", frames=frames)
    corpus.style_picture(folder / "s.png")


def _interrupt(run: Running, signals: list[int], gap: float = 0.2) -> harness.Case:
    """Wait until the sink is open and the first frame had time, then send ``signals``."""
    folder = run.case.folder
    opened = run.wait_for(
        lambda: any(folder.glob(".out.partial-*")) or (folder / "f_001.png").exists()
    )
    if opened:
        time.sleep(1.0)
    for i, sig in enumerate(signals):
        if run.proc.poll() is None:
            run.proc.send_signal(sig)
        if i + 1 < len(signals):
            time.sleep(gap)
    return run.finish(timeout=60)


def _check_interrupted(case: harness.Case) -> list[str]:
    found = harness.problems(case, "bad")
    if case.code != 130:
        found.append(f"exit {case.code}, expected 130")
    found += harness.output_problems(case, case.folder)
    if case.code == 130 and not harness.KEPT.search(case.stderr) and "no frame" not in case.stderr:
        found.append("the line does not say where the frames done are")
    return found


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_keeps_a_playable_partial(folder: Path, vgg_file: Path, sig: int) -> None:
    _setup(folder)
    run = Running(folder, ["in.mp4", "out.mkv", "-s", "s.png", *SLOW], vgg_file, ("out.mkv",))
    case = _interrupt(run, [sig])
    found = _check_interrupted(case)
    assert not found, f"{found}\n{case.describe()}"


def test_signal_never_replaces_an_old_output(folder: Path, vgg_file: Path) -> None:
    _setup(folder)
    (folder / "out.mkv").write_bytes(b"the previous result")
    args = ["in.mp4", "out.mkv", "-s", "s.png", "--overwrite", *SLOW]
    case = _interrupt(Running(folder, args, vgg_file, ("out.partial.mkv",)), [signal.SIGTERM])
    found = _check_interrupted(case)
    assert (folder / "out.mkv").read_bytes() == b"the previous result"
    assert not found, f"{found}\n{case.describe()}"


def test_signal_on_a_frame_pattern(folder: Path, vgg_file: Path) -> None:
    _setup(folder)
    args = ["in.mp4", "f_%03d.png", "-s", "s.png", *SLOW[:-3], "-q"]
    case = _interrupt(Running(folder, args, vgg_file, ("f_*.png",)), [signal.SIGINT])
    found = _check_interrupted(case)
    assert not found, f"{found}\n{case.describe()}"


def test_double_sigint(folder: Path, vgg_file: Path) -> None:
    _setup(folder)
    run = Running(folder, ["in.mp4", "out.mkv", "-s", "s.png", *SLOW], vgg_file, ("out.mkv",))
    case = _interrupt(run, [signal.SIGINT, signal.SIGINT])
    found = _check_interrupted(case)
    assert not found, f"{found}\n{case.describe()}"


def _feed(run: Running, data: bytes) -> threading.Thread:
    """Write ``data`` to the process's stdin from a thread, then keep the pipe open."""

    def write() -> None:
        try:
            run.proc.stdin.write(data)
            run.proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    return writer


def _reading_stdin(pid: int) -> bool:
    """True while some thread of ``pid`` waits on a pipe: in a read, or in the select that
    vstyle's pipe reader waits in (Linux ``wchan``)."""
    waits = ("pipe", "poll_schedule", "select")
    try:
        return any(
            any(w in (task / "wchan").read_text() for w in waits)
            for task in Path(f"/proc/{pid}/task").iterdir()
        )
    except OSError:
        return False


def test_signal_while_stdin_stalls_mid_stream(folder: Path, vgg_file: Path) -> None:
    """The writer sends 60% of a NUT stream, then waits without closing the pipe."""
    corpus.style_picture(folder / "s.png")
    data = nut_stream(100)
    args = ["-", "out.mkv", "-s", "s.png", "--method", "copy", "-q"]
    run = Running(folder, args, vgg_file, ("out.mkv",), stdin=subprocess.PIPE)
    try:
        _feed(run, data[: len(data) * 6 // 10])
        run.wait_for(lambda: any(folder.glob(".out.partial-*")), timeout=60)
        time.sleep(1.5)  # the frames sent are through; vstyle now waits for more
        run.proc.send_signal(signal.SIGINT)
        case = run.finish(timeout=20)
    finally:
        run.proc.stdin.close()
    found = _check_interrupted(case)
    assert not found, f"{found}\n{case.describe()}"


def test_signal_while_stdin_stalls_on_opening(folder: Path, vgg_file: Path) -> None:
    """The writer sends a y4m header and two frames (less than FFmpeg probes), then waits."""
    corpus.style_picture(folder / "s.png")
    header, frames = y4m(2)
    args = ["-", "out.mkv", "-s", "s.png", "--method", "copy", "-q"]
    run = Running(folder, args, vgg_file, ("out.mkv",), stdin=subprocess.PIPE)
    try:
        _feed(run, header + b"".join(frames))
        run.wait_for(lambda: _reading_stdin(run.proc.pid), timeout=60)
        time.sleep(0.5)
        run.proc.send_signal(signal.SIGINT)
        case = run.finish(timeout=10)
    finally:
        run.proc.stdin.close()
    found = _check_interrupted(case)
    assert not found, f"{found}\n{case.describe()}"


def _shell(folder: Path, vgg: Path, line: str, allowed: tuple[str, ...]) -> harness.Case:
    """Run ``line`` under sh in ``folder`` (for ``<&-`` and ``>&-``); records the case."""
    case = harness.Case(line, [line], folder)
    before = harness.snapshot(folder)
    start = time.perf_counter()
    done = subprocess.run(  # noqa: S603
        ["/bin/sh", "-c", line], cwd=folder, env=harness.env(vgg), capture_output=True, timeout=120
    )
    case.code, case.stderr = done.returncode, done.stderr.decode(errors="replace")
    case.seconds = time.perf_counter() - start
    harness.compare(case, before, harness.snapshot(folder), allowed)
    harness.CASES.append(case)
    return case


def _cli(*args: str) -> str:
    import shlex

    return " ".join(shlex.quote(a) for a in harness.command(list(args)))


@pytest.mark.parametrize("redirect", ["<&-", ">&-"], ids=["stdin", "stdout"])
def test_closed_standard_streams(folder: Path, vgg_file: Path, redirect: str) -> None:
    _setup(folder, frames=3)
    args = ("-", "out.mkv") if redirect == "<&-" else ("in.mp4", "-")
    line = f"{_cli(*args, '-s', 's.png', '--method', 'copy', '-q')} {redirect}"
    case = _shell(folder, vgg_file, line, ())
    found = harness.problems(case, "bad")
    assert not found, f"{found}\n{case.describe()}"


def test_fifo_input(folder: Path, vgg_file: Path, tmp_path: Path) -> None:
    corpus.style_picture(folder / "s.png")
    source = corpus.clip(tmp_path / "src.mkv", frames=3)
    fifo = folder / "pipe.mkv"
    os.mkfifo(fifo)

    def feed() -> None:
        try:
            with open(fifo, "wb") as pipe:
                pipe.write(source.read_bytes())
        except OSError:
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    case = harness.run(
        folder,
        ["pipe.mkv", "out.mp4", "-s", "s.png", "--method", "copy", "-q"],
        vgg_file,
        ("out.mp4", "pipe.mkv"),  # the FIFO's times change as this test writes into it
        timeout=60,
    )
    if writer.is_alive():  # vstyle never opened the FIFO: release the writer
        with open(fifo, "rb") as pipe:
            pipe.read()
    writer.join(5)
    found = harness.problems(case, "ok") + harness.output_problems(case, folder, 3)
    assert not found, f"{found}\n{case.describe()}"


@pytest.fixture
def full_disk(tmp_path: Path):
    """A 256 KiB tmpfs at tmp_path/full (root only; else skip with the reason)."""
    mount = tmp_path / "full"
    mount.mkdir()
    if not shutil.which("mount") or os.geteuid() != 0:
        pytest.skip("disk-full cases need root to mount a small tmpfs")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


# Each writes well over 256 KiB: noise at 320x240, lossless or raw.
FULL = {
    "mp4": ("out.mp4", ["--crf", "0"]),
    "nut": ("out.nut", []),
    "png": ("out.png", []),
    "pattern": ("f_%03d.png", []),
}


@pytest.mark.parametrize("kind", list(FULL))
def test_disk_full(full_disk: Path, vgg_file: Path, kind: str) -> None:
    source = full_disk.parent / ("in.png" if kind == "png" else "in.mp4")
    if kind == "png":
        corpus.write_cv(source, np.random.default_rng(1).integers(0, 256, (400, 400, 3), np.uint8))
    else:
        corpus.noise_clip(source, frames=6, size=(320, 240))
    corpus.style_picture(full_disk.parent / "s.png")
    name, extra = FULL[kind]
    (full_disk / "keep.txt").write_bytes(b"x" * 1000)
    args = [
        str(source),
        name,
        "-s",
        str(full_disk.parent / "s.png"),
        "--method",
        "copy",
        "-q",
        *extra,
    ]
    case = harness.run(
        full_disk, args, vgg_file, allowed=("f_*.png" if kind == "pattern" else name,)
    )
    found = harness.problems(case, "bad") + harness.output_problems(case, full_disk)
    if case.code == 0:
        found.append("a full disk was reported as success")
    if name not in case.stderr:
        found.append("the line does not name the output")
    assert not found, f"{found}\n{case.describe()}"


def test_out_of_memory_on_the_cpu(folder: Path, vgg_file: Path) -> None:
    """A 4000x3000 picture under a 3 GB address-space limit: VGG's first layer cannot fit."""
    corpus.write_cv(folder / "big.png", np.full((3000, 4000, 3), 120, np.uint8))
    corpus.style_picture(folder / "s.png")
    line = "ulimit -v 3000000; exec " + _cli(
        "big.png", "out.png", "-s", "s.png", "--iters", "1", "-q"
    )
    case = _shell(folder, vgg_file, line, ("out.png",))
    found = harness.problems(case, "bad")
    if "--max-side" not in case.stderr:
        found.append("the line does not suggest --max-side")
    assert not found, f"{found}\n{case.describe()}"
