"""The work folder deletes only what vstyle made, refuses folders it did not make,
and answers a damaged file with one line instead of a traceback."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from vstyle.errors import InputError, OptionError
from vstyle.frames import Frame
from vstyle.optimize.workdir import MANIFEST, MARKER, PROGRESS, WorkDir, is_work_dir

MANIFEST_DATA = {"styles": ["ab"], "optim": {"iters": 3}, "temporal": {"passes": 2}}


def frame(i: int) -> Frame:
    rgb = np.full((16, 16, 3), 10 * i, np.uint8)
    return Frame(i, rgb, pts=i, time_base=Fraction(1, 25))


def made_by_vstyle(root: Path) -> WorkDir:
    """A work folder as a finished two-pass run leaves it."""
    work = WorkDir(root)
    work.open(MANIFEST_DATA)
    work.admit(0, frame(0), spool=True)
    work.write_png("pass1", 0, frame(0).rgb)
    work.finish_pass(1, 1)
    return work


def user_files(root: Path) -> dict[str, bytes]:
    """Files a user keeps beside vstyle's: names that start like vstyle's but are not."""
    files = {
        "passport_scans/scan1.jpg": b"passport",
        "pass/notes.txt": b"a folder named pass",
        "input.txt": b"not the input folder",
        "flows/readme": b"flows, not flow",
        "manifest.json.bak": b"{}",
        "pass1_old/keep": b"not pass1",
    }
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return files


def test_restart_deletes_only_vstyles_own_names(tmp_path: Path) -> None:
    root = tmp_path / "work"
    made_by_vstyle(root)
    files = user_files(root)
    WorkDir(root, restart=True)
    for name, data in files.items():
        assert (root / name).read_bytes() == data, f"{name} was touched"
    assert not (root / "pass1").exists() and not (root / MANIFEST).exists()
    assert not (root / PROGRESS).exists() and not list((root / "input").iterdir())
    assert is_work_dir(root)


@pytest.mark.parametrize("restart", [False, True])
def test_refuses_a_folder_vstyle_did_not_make(tmp_path: Path, restart: bool) -> None:
    root = tmp_path / "photos"
    files = user_files(root)
    (root / "input").mkdir()
    (root / "input" / "holiday.png").write_bytes(b"png")
    (root / MANIFEST).write_text('{"name": "some other tool"}')
    with pytest.raises(OptionError, match="not a vstyle work folder"):
        WorkDir(root, restart=restart)
    assert (root / "input" / "holiday.png").read_bytes() == b"png"
    assert (root / MANIFEST).read_text() == '{"name": "some other tool"}'
    assert all((root / n).read_bytes() == d for n, d in files.items())
    assert not (root / MARKER).exists()


def test_new_and_empty_folders_are_taken_and_marked(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    for root in (empty, tmp_path / "new" / "deeper"):
        WorkDir(root)
        assert (root / MARKER).is_file() and is_work_dir(root)


def test_folder_from_before_the_marker_is_recognized(tmp_path: Path) -> None:
    root = tmp_path / "old"
    root.mkdir()
    (root / MANIFEST).write_text(json.dumps(MANIFEST_DATA))
    (root / "pass1").mkdir()
    WorkDir(root, restart=True)
    assert not (root / "pass1").exists() and (root / MARKER).is_file()


def test_a_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "work"
    path.write_text("x")
    with pytest.raises(OptionError, match="is a file"):
        WorkDir(path)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        (MANIFEST, '{"styles": ["ab"], "opt'),
        (MANIFEST, ""),
        (MANIFEST, "\xff\xfe"),
        (PROGRESS, '{"passes_done": 1'),
        ("input/000000.json", '{"index": 0, "pts"'),
    ],
)
def test_damaged_files_are_one_line(tmp_path: Path, name: str, content: str) -> None:
    root = tmp_path / "work"
    made_by_vstyle(root)
    (root / name).write_bytes(content.encode("latin-1"))
    work = WorkDir(root)
    with pytest.raises(InputError, match="corrupt or truncated") as info:
        work.open(MANIFEST_DATA)
        work.progress  # noqa: B018
        work.admit(0, frame(0))
    message = str(info.value)
    assert "\n" not in message and name in message and "--restart" in message


def test_damaged_flow_is_one_line(tmp_path: Path) -> None:
    work = made_by_vstyle(tmp_path / "work")
    flow = np.zeros((2, 16, 16), np.float32)
    work.write_flow(1, flow, flow)
    path = tmp_path / "work" / "flow" / "000001.npy"
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(InputError, match="flow/000001.npy"):
        work.read_flow(1)


def test_restart_recovers_from_a_damaged_manifest(tmp_path: Path) -> None:
    root = tmp_path / "work"
    made_by_vstyle(root)
    (root / MANIFEST).write_text("{")
    work = WorkDir(root, restart=True)
    work.open(MANIFEST_DATA)
    assert json.loads((root / MANIFEST).read_text()) == MANIFEST_DATA
