"""Run vstyle as a user would and check it behaved: exit code, one error line, no
traceback, nothing touched but the output, old outputs intact, results playable.

Every run is recorded in :data:`CASES`; ``conftest.py`` prints the tally at the end
of the session (and stores it in pytest's cache under ``vstyle/hostile``).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import av

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
# vstyle's own exit codes: usage/input 2, broken stream 3, out of memory 4, interrupted 130.
ERROR_CODES = (2, 3, 4)
TRACEBACK = re.compile(
    r"Traceback \(most recent call last\)|Exception ignored in|^\s+File \"", re.M
)
# Where a failed or interrupted run may keep the frames done (README, "Usage").
PARTIAL = re.compile(r"^(?P<stem>.+)\.partial(-\d+)?(?P<ext>\.[^.]+)$")

HOME = Path(tempfile.gettempdir()) / f"vstyle-hostile-home-{os.getpid()}"
Snapshot = dict[str, tuple[str, int, int, str]]


@dataclass
class Case:
    """One CLI run and what it did."""

    name: str
    args: list[str]
    folder: Path = Path()
    code: int | None = None
    stdout: bytes = b""
    stderr: str = ""
    seconds: float = 0.0
    created: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    stray: list[str] = field(default_factory=list)  # changes outside the output (and partial)

    @property
    def traceback(self) -> bool:
        return bool(TRACEBACK.search(self.stderr)) or (self.code is not None and self.code < 0)

    @property
    def clean(self) -> bool:
        """No traceback, no signal death, and nothing touched but the output."""
        return not self.traceback and not self.stray and self.code is not None

    def describe(self) -> str:
        return (
            f"vstyle {' '.join(self.args)}\n  exit {self.code} after {self.seconds:.1f}s\n"
            f"  stderr: {self.stderr.strip()[-1500:]!r}\n  created {self.created} "
            f"modified {self.modified} deleted {self.deleted} stray {self.stray}"
        )


CASES: list[Case] = []


def snapshot(folder: Path) -> Snapshot:
    """Every entry under ``folder`` (hidden ones and links too): kind, size, mtime, hash."""
    result: Snapshot = {}
    for path in sorted(folder.rglob("*")):
        st = path.lstat()
        if path.is_symlink():
            entry = ("link", 0, 0, os.readlink(path))
        elif path.is_dir():
            entry = ("dir", 0, 0, "")
        elif path.is_file():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            entry = ("file", st.st_size, st.st_mtime_ns, digest)
        else:
            entry = ("other", 0, st.st_mtime_ns, "")
        result[str(path.relative_to(folder))] = entry
    return result


def env(vgg: Path, **extra: str) -> dict[str, str]:
    """The environment of a run: this checkout first, the shared weights, one thread."""
    out = dict(os.environ)
    out.update(
        VSTYLE_HOME=str(HOME),  # never the user's cache (module fixtures run outside monkeypatch)
        PYTHONPATH=str(ROOT),
        VSTYLE_VGG_WEIGHTS=str(vgg),
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    out.update(extra)
    return out


def command(args: list[object]) -> list[str]:
    return [PYTHON, "-m", "vstyle.cli", *(str(a) for a in args)]


def run(
    folder: Path,
    args: list[object],
    vgg: Path,
    allowed: tuple[str, ...] = (),
    stdin: bytes | None = None,
    timeout: float = 120,
    name: str = "",
    **extra_env: str,
) -> Case:
    """Run vstyle in ``folder`` and record what changed there.

    Args:
        allowed: names (relative to ``folder``, glob patterns) a run may create or change;
            a partial beside each (``NAME.partial.EXT``) is allowed too.
    """
    case = Case(name or " ".join(str(a) for a in args), [str(a) for a in args], folder)
    before = snapshot(folder)
    start = time.perf_counter()
    try:
        done = subprocess.run(  # noqa: S603
            command(args),
            cwd=folder,
            env=env(vgg, **extra_env),
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
        )
        case.code, case.stdout = done.returncode, done.stdout
        case.stderr = done.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired as exc:
        case.stderr = f"timed out after {timeout}s; stderr so far: {exc.stderr!r}"
    case.seconds = time.perf_counter() - start
    compare(case, before, snapshot(folder), allowed)
    CASES.append(case)
    return case


def compare(case: Case, before: Snapshot, after: Snapshot, allowed: tuple[str, ...]) -> None:
    """Fill in what was created, modified or deleted, and which of it was not allowed."""
    case.created = sorted(set(after) - set(before))
    case.deleted = sorted(set(before) - set(after))
    case.modified = sorted(k for k in set(before) & set(after) if before[k] != after[k])
    case.stray = [
        k for k in case.created + case.modified + case.deleted if not is_allowed(k, allowed)
    ]


def is_allowed(name: str, allowed: tuple[str, ...]) -> bool:
    """``name`` is an allowed output, or the documented partial of one."""
    candidates = [name]
    match = PARTIAL.match(name)
    if match and not name.startswith("."):
        candidates.append(match["stem"] + match["ext"])
    return any(Path(c).match(pattern) for c in candidates for pattern in allowed)


def error_lines(case: Case) -> list[str]:
    return [line for line in case.stderr.splitlines() if line.strip()]


def problems(case: Case, expect: str) -> list[str]:
    """What went wrong with ``case`` when a run should end ``expect`` (ok, bad, either)."""
    found = []
    if case.code is None:
        return ["did not finish (timed out)"]
    if case.traceback:
        found.append("traceback or death by signal")
    if case.stray:
        found.append(f"touched files other than the output: {case.stray}")
    if expect == "ok" and case.code != 0:
        found.append(f"exit {case.code}, expected 0")
    if expect == "bad" and case.code == 0:
        found.append("exit 0, expected an error")
    if case.code != 0:
        if case.code not in (*ERROR_CODES, 130):
            found.append(f"exit {case.code} is not one of vstyle's codes {ERROR_CODES} or 130")
        lines = error_lines(case)
        if len(lines) != 1 or not lines[0].startswith("vstyle: error: "):
            found.append(f"stderr is not one 'vstyle: error:' line: {lines[-5:]}")
    return found


def frame_count(path: Path | str | io.BytesIO, fmt: str | None = None) -> int:
    """Frames PyAV decodes from ``path`` (raises if it is not playable)."""
    with av.open(path if isinstance(path, io.BytesIO) else str(path), format=fmt) as container:
        return sum(1 for _ in container.decode(video=0))


def frame_size(path: Path | str, fmt: str | None = None) -> tuple[int, int]:
    with av.open(str(path), format=fmt) as container:
        frame = next(container.decode(video=0))
        return frame.width, frame.height


KEPT = re.compile(r"kept (\d+) frame\(s\) (?:in|as) '([^']+)'")


def output_problems(case: Case, folder: Path, frames: int | None = None) -> list[str]:
    """Every output file the run made or changed decodes; counts match where known.

    ``frames`` is what a successful run writes; a kept partial must hold the count
    its error line gives.
    """
    found = []
    written = [n for n in case.created + case.modified if (folder / n).is_file()]
    for name in written:
        if name.startswith(".") or "%" in name:
            found.append(f"left a hidden or pattern-named file {name!r}")
            continue
        try:
            count = frame_count(folder / name)
        except Exception as exc:  # noqa: BLE001 -- any failure to decode is the finding
            found.append(f"{name!r} does not decode: {exc}")
            continue
        if count == 0:
            found.append(f"{name!r} has no frame")
    kept = KEPT.search(case.stderr)
    if kept and case.code != 0:
        path = Path(kept[2]) if Path(kept[2]).is_absolute() else folder / kept[2]
        if "%" not in kept[2] and (not path.is_file() or frame_count(path) != int(kept[1])):
            found.append(f"the error line says {kept[0]!r} but that file does not hold them")
    if case.code == 0 and frames is not None and case.stdout == b"":
        singles = [n for n in written if "%" not in n and not is_sequence_frame(n)]
        counts = [frame_count(folder / n) for n in singles]
        if singles and counts != [frames] * len(singles):
            found.append(f"wrote {counts} frame(s) in {singles}, expected {frames}")
    return found


def is_sequence_frame(name: str) -> bool:
    return bool(re.search(r"_\d{3,}\.png$", name))


def run_all(jobs: list[tuple[Path, list[object], tuple[str, ...]]], vgg: Path) -> list[Case]:
    """Run independent jobs (folder, args, allowed) two at a time (CI has two cores)."""
    from concurrent.futures import ThreadPoolExecutor

    workers = max(1, min(2, os.cpu_count() or 1))
    with ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(run, f, a, vgg, allowed) for f, a, allowed in jobs]
        return [f.result() for f in futures]


def invoke(folder: Path, args: list[object], allowed: tuple[str, ...] = (), name: str = "") -> Case:
    """Run vstyle in-process (``typer.testing.CliRunner``) in ``folder``; records the case.

    An exception that escapes the CLI counts as a traceback. Faster than a subprocess
    (torch is imported once), for fuzzing options where process behaviour does not matter.
    """
    from typer.testing import CliRunner

    from vstyle.cli import app

    case = Case(name or " ".join(str(a) for a in args), [str(a) for a in args], folder)
    before = snapshot(folder)
    start, cwd = time.perf_counter(), os.getcwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(app, case.args)
    finally:
        os.chdir(cwd)
    case.seconds = time.perf_counter() - start
    case.code, case.stdout, case.stderr = result.exit_code, result.stdout_bytes, result.stderr
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit):
        case.stderr += "\nTraceback (most recent call last):\n" + repr(exc)
    compare(case, before, snapshot(folder), allowed)
    CASES.append(case)
    return case


def clear(folder: Path, keep: tuple[str, ...]) -> None:
    """Remove everything in ``folder`` but ``keep`` (between fuzz examples)."""
    import shutil

    for path in folder.iterdir():
        if path.name in keep:
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
