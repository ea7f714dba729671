"""The work folder of a video run: finished frames on disk, to resume and to spool passes.

Layout (``NNNNNN`` is the frame's 0-based position in the clip)::

    .vstyle-work          marks the folder as vstyle's: only such a folder is resumed or cleared
    manifest.json         the options that affect the result; checked on resume
    progress.json         {"passes_done": k, "frames": n} once pass k is complete
    input/NNNNNN.json     index, pts, time_base and digest of the input frame
    input/NNNNNN.png      the input picture (multi-pass only)
    flow/NNNNNN.npy       (2, 2, H, W) float32 forward, backward flow between N-1 and N
                          (multi-pass only)
    pass1/NNNNNN.png      the uint8 result of pass 1, lossless; pass2/ ... likewise

Every file is written under a temporary name and renamed into place, so a crash
leaves whole files only and costs at most the frame in flight. ``--restart``
deletes only the names above, and only in a folder vstyle made; a non-empty
folder without the marker is refused, never written to.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..errors import InputError, OptionError, OutputError
from ..frames import Frame
from ..io.image import encode_image, read_image

MANIFEST, PROGRESS, MARKER = "manifest.json", "progress.json", ".vstyle-work"
OWN_FOLDERS = re.compile(r"input|flow|pass\d+")  # matched whole: passport_scans/ is not ours
OWN_FILES = re.compile(r"(manifest|progress)\.json(\.tmp\.\d+)?")  # and crash leftovers


def digest(data: bytes | np.ndarray) -> str:
    """Short SHA-256 of bytes or of an array's contents."""
    raw = data.tobytes() if isinstance(data, np.ndarray) else data
    return hashlib.sha256(raw).hexdigest()[:32]


def flatten(tree: object, prefix: str = "") -> dict[str, object]:
    """Nested dicts -> {"a.b": leaf}; the keys a manifest difference is reported by."""
    if not isinstance(tree, dict):
        return {prefix: tree}
    out: dict[str, object] = {}
    for key, value in tree.items():
        out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return out


def differences(old: dict, new: dict) -> list[str]:
    """``key old -> new`` for every leaf that differs between two manifests."""
    a, b = flatten(old), flatten(new)
    return [
        f"{k} {a.get(k)!r} -> {b.get(k)!r}"
        for k in sorted(a.keys() | b.keys())
        if a.get(k) != b.get(k)
    ]


def is_work_dir(root: Path) -> bool:
    """True if ``root`` was made by vstyle: it holds the marker, or (folders made before
    the marker existed) a manifest that parses as vstyle's."""
    if (root / MARKER).is_file():
        return True
    try:
        manifest = json.loads((root / MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and {"optim", "temporal", "styles"} <= manifest.keys()


def refuse_foreign(root: Path) -> None:
    """Raise unless ``root`` is new, empty, or a vstyle work folder.

    Raises:
        OptionError: ``root`` is a file, or a non-empty folder vstyle did not make.
    """
    if root.exists() and not root.is_dir():
        raise OptionError(f"--work-dir '{root}' is a file; give a folder")
    if root.is_dir() and any(root.iterdir()) and not is_work_dir(root):
        raise OptionError(
            f"--work-dir '{root}' is not empty and is not a vstyle work folder (no {MARKER}); "
            "give a new or empty folder"
        )


def read_json(path: Path, root: Path) -> object:
    """The JSON in a work-folder file.

    Raises:
        InputError: the file is truncated or corrupt (a crash or an edit outside vstyle).
    """
    try:
        return json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise corrupt(path, root, exc) from None


def corrupt(path: Path, root: Path, exc: Exception) -> InputError:
    """The one-line error for a damaged file in work folder ``root``."""
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return InputError(
        f"--work-dir '{root}': '{path.relative_to(root)}' is corrupt or truncated ({reason}); "
        "add --restart to discard the run kept there, or pick another --work-dir"
    )


def _write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: a temporary name, then ``os.replace``."""
    tmp = path.with_name(f"{path.name}.tmp.{os.getpid()}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"work dir file '{path}' cannot be written: {exc.strerror}") from exc


class WorkDir:
    """A folder of finished frames, flows and the manifest they were made with.

    Args:
        root: the folder (created); None makes a temporary one that :meth:`remove` deletes.
        restart: discard whatever an earlier run left there and start afresh.
    """

    def __init__(self, root: Path | None, restart: bool = False) -> None:
        self.temporary = root is None
        self.root = Path(tempfile.mkdtemp(prefix="vstyle-")) if root is None else Path(root)
        self.restart = restart
        refuse_foreign(self.root)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(
                f"--work-dir '{self.root}' cannot be created: {exc.strerror}"
            ) from None
        if restart:  # before anything reads the folder's progress
            self.clear()
        _write(self.root / MARKER, b"vstyle work folder: frames of a run, to resume it\n")
        for sub in ("input", "flow"):
            (self.root / sub).mkdir(exist_ok=True)

    def open(self, manifest: dict) -> None:
        """Check ``manifest`` against the folder's (or write it if new).

        Raises:
            OptionError: the folder holds a run made with other options, without ``restart``.
        """
        manifest = json.loads(json.dumps(manifest, default=str))  # tuples -> lists, Paths -> str
        path = self.root / MANIFEST
        if path.exists() and not self.restart:
            old = read_json(path, self.root)
            diff = differences(old if isinstance(old, dict) else {}, manifest)
            if diff:
                raise OptionError(
                    f"--work-dir '{self.root}' holds a run made with other options "
                    f"({'; '.join(diff)}); add --restart to discard it or pick another --work-dir"
                )
        _write(path, json.dumps(manifest, indent=1, sort_keys=True).encode())

    def clear(self) -> None:
        """Delete what an earlier run left: vstyle's own names only, in vstyle's folder."""
        for entry in self.root.iterdir():
            if entry.is_dir() and not entry.is_symlink() and OWN_FOLDERS.fullmatch(entry.name):
                shutil.rmtree(entry)
            elif OWN_FILES.fullmatch(entry.name) and entry.is_file():
                entry.unlink()

    def remove(self) -> None:
        """Delete the whole folder (temporary folders only)."""
        if self.temporary:
            shutil.rmtree(self.root, ignore_errors=True)

    def _path(self, kind: str, position: int, ext: str) -> Path:
        return self.root / kind / f"{position:06d}.{ext}"

    # Inputs: what each frame was, to check a resumed run is fed the same clip.
    def admit(self, position: int, frame: Frame, spool: bool = False) -> None:
        """Record frame ``position`` (or check it matches the one recorded before).

        Raises:
            InputError: the folder was made from a different input.
        """
        path, meta = self._path("input", position, "json"), self._meta(frame)
        if path.exists():
            old = read_json(path, self.root)
            if not isinstance(old, dict) or old.get("digest") != meta["digest"]:
                raise InputError(
                    f"--work-dir '{self.root}' was made from another input: frame {position} "
                    "differs; add --restart to discard it or pick another --work-dir"
                )
        _write(path, json.dumps(meta).encode())
        if spool and not self._path("input", position, "png").exists():
            self.write_png("input", position, frame.rgb)

    @staticmethod
    def _meta(frame: Frame) -> dict:
        tb = frame.time_base
        return {
            "index": frame.index,
            "pts": frame.pts,
            "time_base": None if tb is None else [tb.numerator, tb.denominator],
            "digest": digest(frame.rgb),
        }

    def frame(self, position: int, rgb: np.ndarray) -> Frame:
        """The recorded frame ``position`` (index, pts, time_base) carrying ``rgb``."""
        meta = read_json(self._path("input", position, "json"), self.root)
        tb = meta["time_base"]
        return Frame(meta["index"], rgb, meta["pts"], None if tb is None else Fraction(*tb))

    # Pictures and flows.
    def write_png(self, kind: str, position: int, rgb: np.ndarray) -> None:
        """Store (H, W, 3) uint8 RGB losslessly as ``kind/NNNNNN.png``."""
        (self.root / kind).mkdir(exist_ok=True)
        data = encode_image(rgb, ".png", f"work dir '{self.root}'")
        _write(self._path(kind, position, "png"), data)

    def read_png(self, kind: str, position: int) -> np.ndarray | None:
        """(H, W, 3) uint8 RGB of ``kind/NNNNNN.png``, or None if it is not there."""
        path = self._path(kind, position, "png")
        return read_image(path, what="work dir frame") if path.exists() else None

    def write_flow(self, position: int, forward: np.ndarray, backward: np.ndarray) -> None:
        """Store the (2, H, W) flows between frames ``position - 1`` and ``position``."""
        path = self._path("flow", position, "npy")
        if not path.exists():  # flow is deterministic: a resumed run would write the same
            buf = io.BytesIO()
            np.save(buf, np.stack([forward, backward]).astype(np.float32))
            _write(path, buf.getvalue())

    def read_flow(self, position: int) -> tuple[np.ndarray, np.ndarray]:
        """(forward, backward) flows, each (2, H, W) float32, between ``position - 1`` and it."""
        path = self._path("flow", position, "npy")
        try:
            both = np.load(path)
        except (ValueError, EOFError, OSError) as exc:
            raise corrupt(path, self.root, exc) from None
        return both[0], both[1]

    # Progress of a multi-pass run.
    @property
    def progress(self) -> dict:
        """{"passes_done": k, "frames": n}; k = 0 before the first pass is complete."""
        path = self.root / PROGRESS
        return read_json(path, self.root) if path.exists() else {"passes_done": 0, "frames": None}

    def finish_pass(self, number: int, frames: int) -> None:
        """Mark pass ``number`` complete and drop the pass before it (no longer needed)."""
        _write(self.root / PROGRESS, json.dumps({"passes_done": number, "frames": frames}).encode())
        if number > 1:
            shutil.rmtree(self.root / f"pass{number - 1}", ignore_errors=True)
