"""Every output kind and method, outputs that already exist, and odd names.

Each case sets up its own folder (a 3-frame 32x24 clip ``in.mp4``, a style ``s.png``,
plus what the case needs), runs vstyle once, and is checked like the corpus: exit
code class, one error line, nothing touched but the allowed outputs, old files
intact, outputs playable with the expected frame count.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from . import corpus, harness

OPTIMIZE = ["--method", "optimize", "--iters", "1", "--max-side", "32"]
COPY = ["--method", "copy"]
OLD = b"the previous result, worth keeping"


@dataclass(frozen=True)
class Spec:
    """One run: ``setup(folder)`` prepares the folder and returns the arguments."""

    id: str
    setup: Callable[[Path], list[object]]
    allowed: tuple[str, ...]
    expect: str  # ok, bad or either
    frames: int | None = None
    known: str | None = None  # xfail reason
    check: Callable[[Path, harness.Case], list[str]] | None = None


def _base(folder: Path, frames: int = corpus.FRAMES) -> None:
    corpus.clip(folder / "in.mp4", frames=frames)
    corpus.style_picture(folder / "s.png")


def simple(inp: str, out: str, method: list[str], *extra: object) -> Callable[[Path], list]:
    def setup(folder: Path) -> list[object]:
        _base(folder)
        if inp == "pic.png":
            corpus.write_cv(folder / "pic.png", corpus.picture(0, 32, 24))
        return [inp, out, "-s", "s.png", "-q", *method, *extra]

    return setup


def with_files(files: dict[str, bytes | None], args: list[object], src: str = "in.mp4"):
    """Setup that also writes ``files`` (None: a dangling symlink) and uses ``src`` as input."""

    def setup(folder: Path) -> list[object]:
        _base(folder)
        if src != "in.mp4":
            if src.endswith(".png"):
                corpus.write_cv(folder / src, corpus.picture(0, 32, 24))
            elif src.endswith(".mkv"):  # a clip that breaks after its first frames
                corpus.truncated(folder / src, lambda p: corpus.clip(p, frames=12), 0.5)
            else:
                os.replace(folder / "in.mp4", folder / src)
        for name, data in files.items():
            if data is None:
                (folder / name).symlink_to(folder / "nowhere" / "gone.mp4")
            else:
                (folder / name).write_bytes(data)
        return [src, *args, "-s", "s.png", "-q", *COPY]

    return setup


def stdout_frames(folder: Path, case: harness.Case) -> list[str]:
    if case.code != 0:
        return []
    count = harness.frame_count(io.BytesIO(case.stdout))
    expected = 1 if "pic.png" in case.args else corpus.FRAMES
    return [] if count == expected else [f"stdout holds {count} frame(s), expected {expected}"]


def pattern_frames(folder: Path, case: harness.Case) -> list[str]:
    if case.code != 0:
        return []
    names = sorted(p.name for p in folder.glob("f_*.png"))
    counts = [harness.frame_count(folder / n) for n in names]
    if len(names) != corpus.FRAMES or counts != [1] * corpus.FRAMES:
        return [f"pattern wrote {names}, expected {corpus.FRAMES} one-frame pictures"]
    return []


def stale_removed(folder: Path, case: harness.Case) -> list[str]:
    left = [p.name for p in folder.glob(".out.partial-*")]
    return [f"stale temporary of a dead process left: {left}"] if left else []


def truncated_manifest(folder: Path) -> list[object]:
    (folder / "wd").mkdir()
    (folder / "wd" / "manifest.json").write_text('{"options": {"ite')
    return [*simple("in.mp4", "out.mp4", OPTIMIZE)(folder), "--work-dir", "wd"]


def foreign_work_dir(folder: Path) -> list[object]:
    """A folder of the user's own, given as --work-dir with --restart."""
    for name in ("passport_scans/scan.jpg", "input/notes.txt", "flow/plan.txt", "manifest.json"):
        (folder / "wd" / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / "wd" / name).write_bytes(OLD)
    return [*simple("in.mp4", "out.mp4", OPTIMIZE)(folder), "--work-dir", "wd", "--restart"]


def folder_output(folder: Path) -> list[object]:
    (folder / "d").mkdir()
    return with_files({}, ["d"])(folder)


SPECS: list[Spec] = []
for method_name, method in (("copy", COPY), ("optimize", OPTIMIZE)):
    SPECS += [
        Spec(f"mp4-{method_name}", simple("in.mp4", "out.mp4", method), ("out.mp4",), "ok", 3),
        Spec(f"mkv-{method_name}", simple("in.mp4", "out.mkv", method), ("out.mkv",), "ok", 3),
        Spec(f"webm-{method_name}", simple("in.mp4", "out.webm", method), ("out.webm",), "ok", 3),
        Spec(f"png-{method_name}", simple("pic.png", "out.png", method), ("out.png",), "ok", 1),
        Spec(
            f"video-to-png-{method_name}",
            simple("in.mp4", "out.png", method),
            (),
            "bad",
        ),
        Spec(
            f"pattern-{method_name}",
            simple("in.mp4", "f_%03d.png", method),
            ("f_*.png",),
            "ok",
            check=pattern_frames,
        ),
        Spec(
            f"stdout-{method_name}",
            simple("in.mp4", "-", method),
            (),
            "ok",
            check=stdout_frames,
        ),
    ]
SPECS += [
    Spec("stdout-picture", simple("pic.png", "-", COPY), (), "ok", check=stdout_frames),
    Spec("exists-refused", with_files({"out.mp4": OLD}, ["out.mp4"]), (), "bad"),
    Spec("exists-png-refused", with_files({"out.png": OLD}, ["out.png"], "in.png"), (), "bad"),
    Spec(
        "exists-overwrite",
        with_files({"out.mp4": OLD}, ["out.mp4", "--overwrite"]),
        ("out.mp4",),
        "ok",
        3,
    ),
    Spec(
        "exists-overwrite-broken-input",  # exit 3: the old file stays, the frames go beside it
        with_files({"out.mp4": OLD}, ["out.mp4", "--overwrite"], "broken.mkv"),
        ("out.partial.mp4",),
        "bad",
    ),
    Spec(
        "broken-input-new-output",  # exit 3: the frames done are kept at the target
        with_files({}, ["out.mp4"], "broken.mkv"),
        ("out.mp4",),
        "bad",
    ),
    Spec(
        "pattern-existing-frame-2",
        with_files({"f_002.png": OLD}, ["f_%03d.png"]),
        ("f_001.png",),  # frames before the existing one may be written
        "bad",
        known="issue 7 point 2",
    ),
    Spec(
        "partial-of-user-kept",
        with_files(
            {"out.mp4": OLD, "out.partial.mp4": OLD},
            ["out.mp4", "--overwrite"],
            "broken.mkv",
        ),
        ("out.partial-*.mp4",),
        "bad",
        known="issue 7 point 3",
    ),
    Spec(
        "dangling-symlink-output",
        with_files({"out.mp4": None}, ["out.mp4"]),
        (),
        "bad",
        known="issue 7 point 6",
    ),
    Spec(
        "stale-temporary-removed",
        with_files({".out.partial-999999.mp4": b""}, ["out.mp4"]),
        ("out.mp4", ".out.partial-999999.mp4"),
        "ok",
        3,
        known="issue 7 point 6",
        check=stale_removed,
    ),
    Spec("spaces", with_files({}, ["out put.mp4"], "my clip.mp4"), ("out put.mp4",), "ok", 3),
    Spec("unicode", with_files({}, ["出力 é.mp4"], "видео.mp4"), ("出力 é.mp4",), "ok", 3),
    Spec("quote", with_files({}, ["it's.mp4"], 'say "hi".mp4'), ("it's.mp4",), "ok", 3),
    Spec(
        "colon-output",
        with_files({}, ["take1:final.mp4"]),
        ("take1:final.mp4",),
        "ok",
        3,
        known="issue 7 point 5",
    ),
    Spec(
        "colon-output-iso-time",
        with_files({}, ["2024-01-01T10:30.mkv"]),
        ("2024-01-01T10:30.mkv",),
        "ok",
        3,
        known="issue 7 point 5",
    ),
    Spec(
        "colon-input",
        with_files({}, ["out.mp4"], "in:1.mp4"),
        ("out.mp4",),
        "ok",
        3,
        known="issue 7 point 5",
    ),
    Spec("colon-input-dotted", with_files({}, ["out.mp4"], "./in:1.mp4"), ("out.mp4",), "ok", 3),
    Spec(
        "leading-dash",
        lambda f: [*with_files({}, [], "-x.mp4")(f)[1:], "--", "-x.mp4", "-y.mp4"],
        ("-y.mp4",),
        "ok",
        3,
    ),
    Spec(
        "input-named-weights-run",
        lambda f: ["run", *with_files({}, ["out.mp4"], "weights")(f)],
        ("out.mp4",),
        "ok",
        3,
    ),
    Spec("input-named-weights", with_files({}, ["out.mp4"], "weights"), ("out.mp4",), "either", 3),
    Spec(
        "long-name",
        with_files({}, ["x" * 300 + ".mp4"]),
        ("x" * 300 + ".mp4",),
        "bad",
        known="issue 7 point 12",
    ),
    Spec("output-is-input", with_files({}, ["./in.mp4", "--overwrite"]), (), "bad"),
    Spec("output-folder-missing", with_files({}, ["no/such/out.mp4"]), (), "bad"),
    Spec("output-is-folder", folder_output, (), "bad"),
    Spec("unknown-extension", with_files({}, ["out.xyz"]), (), "bad"),
    Spec("missing-input", lambda f: ["nothing.mp4", "out.mp4", "-s", "s.png"], (), "bad"),
    Spec(
        "report-folder-missing",
        with_files({}, ["out.mp4", "--report", "no/such/r.json"]),
        ("out.mp4",),
        "bad",
        known="issue 7 point 10",
    ),
    Spec(
        "codec-gif-into-mp4",
        with_files({}, ["out.mp4", "--codec", "gif"]),
        ("out.mp4",),
        "bad",
        known="issue 7 point 12",
    ),
    Spec(
        "workdir-of-the-user-restart",
        foreign_work_dir,
        (),
        "bad",
        known="issue 7 point 1",
    ),
    Spec(
        "workdir-truncated-manifest",
        truncated_manifest,
        ("out.mp4", "wd/*", "wd/*/*"),  # starting afresh in its own folder is fine too
        "either",
        known="issue 7 point 12",
    ),
]


def _job(spec: Spec, folder: Path) -> tuple[Path, list[object], tuple[str, ...]]:
    return folder, spec.setup(folder), spec.allowed


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, vgg_file: Path) -> dict[str, harness.Case]:
    jobs = [_job(s, tmp_path_factory.mktemp(s.id)) for s in SPECS]
    return {s.id: c for s, c in zip(SPECS, harness.run_all(jobs, vgg_file), strict=True)}


@pytest.mark.slow
@pytest.mark.parametrize(
    "spec",
    [
        pytest.param(
            s, id=s.id, marks=[pytest.mark.xfail(strict=True, reason=s.known)] if s.known else []
        )
        for s in SPECS
    ],
)
def test_output(runs: dict[str, harness.Case], spec: Spec) -> None:
    case = runs[spec.id]
    found = harness.problems(case, spec.expect)
    found += harness.output_problems(case, case.folder, spec.frames)
    if spec.check is not None:
        found += spec.check(case.folder, case)
    assert not found, f"{found}\n{case.describe()}"
