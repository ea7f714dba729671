"""Files the studio accepts: uploads checked by name and by their first bytes, stored
under generated names, and pictures, videos and models picked in ``--allow`` folders.

No client-supplied path is ever joined to a server path unchecked: an upload keeps only
an extension from the lists below, and a pick is resolved and must stay inside its
allowed folder (``..``, absolute paths and symlinks leading out are refused).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import BinaryIO

from ..errors import InputError

PICTURES = (".png", ".jpg", ".jpeg", ".webp", ".bmp")
VIDEOS = (".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi")
MODELS = (".vsm",)
KINDS = {"picture": PICTURES, "video": VIDEOS, "model": MODELS}
CHUNK = 1 << 20


class UploadTooLarge(InputError):
    """An upload over the server's size limit (HTTP 413)."""


def kind_of(name: str) -> str | None:
    """``picture``, ``video`` or ``model`` by extension, or None."""
    suffix = Path(name).suffix.lower()
    return next((kind for kind, exts in KINDS.items() if suffix in exts), None)


def sniff(head: bytes, suffix: str) -> bool:
    """Whether the first bytes match the container the extension names."""
    if suffix == ".png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if suffix in (".jpg", ".jpeg"):
        return head.startswith(b"\xff\xd8\xff")
    if suffix == ".webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if suffix == ".bmp":
        return head.startswith(b"BM")
    if suffix in (".mp4", ".mov", ".m4v"):
        return head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip")
    if suffix in (".mkv", ".webm"):
        return head.startswith(b"\x1a\x45\xdf\xa3")
    if suffix == ".avi":
        return head[:4] == b"RIFF" and head[8:12] == b"AVI "
    if suffix == ".vsm":  # safetensors: an 8-byte header length, then JSON
        return len(head) > 8 and head[8:9] == b"{"
    return False


def save_upload(stream: BinaryIO, filename: str, kinds: tuple[str, ...], folder: Path,
                stem: str, limit: int) -> Path:  # fmt: skip
    """Copy an upload to ``folder/STEM.EXT``, EXT the checked extension of ``filename``.

    Raises:
        InputError: the type is not one of ``kinds``, the bytes do not match it, it is
            empty, or it is larger than ``limit`` bytes.
    """
    suffix = Path(filename or "").suffix.lower()
    kind = kind_of(filename or "")
    if kind not in kinds:
        allowed = ", ".join(e for k in kinds for e in KINDS[k])
        raise InputError(f"upload '{Path(filename).name}' is not one of {allowed}")
    head = stream.read(16)
    if not head:
        raise InputError(f"upload '{Path(filename).name}' is empty")
    if not sniff(head, suffix):
        raise InputError(
            f"upload '{Path(filename).name}' does not hold {suffix} data (its first bytes "
            "say otherwise); upload the file itself, with its own extension"
        )
    target = folder / f"{stem}{suffix}"
    size = len(head)
    with target.open("wb") as out:
        out.write(head)
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > limit:
                out.close()
                target.unlink()
                raise UploadTooLarge(f"upload '{Path(filename).name}' is over {limit} bytes")
            out.write(chunk)
    return target


def inside(root: Path, relative: str) -> Path:
    """``root/relative`` resolved, refused unless it stays inside ``root``.

    Raises:
        InputError: an absolute path, a ``..`` part, or a symlink leading out of ``root``.
    """
    parts = Path(relative).parts if relative not in ("", ".") else ()
    if Path(relative).is_absolute() or any(p in ("..", "") or "\\" in p for p in parts):
        raise InputError(f"path '{relative}' must be relative to its allowed folder, without ..")
    target = root.joinpath(*parts).resolve()
    if not target.is_relative_to(root):
        raise InputError(f"path '{relative}' leads out of its allowed folder")
    if not target.exists():
        raise InputError(f"path '{relative}' does not exist in its allowed folder")
    return target


def pick(roots: tuple[Path, ...], root: int, relative: str, kinds: tuple[str, ...]) -> Path:
    """A file picked in allowed folder number ``root``; checked as :func:`inside`.

    Raises:
        InputError: no such folder, the path is refused, not a file, or of another kind.
    """
    if not 0 <= root < len(roots):
        raise InputError(f"allowed folder {root} does not exist ({len(roots)} allowed)")
    target = inside(roots[root], relative)
    if not target.is_file() or kind_of(target.name) not in kinds:
        wanted = " or ".join(kinds)
        raise InputError(f"path '{relative}' is not a {wanted} file")
    return target


def listing(roots: tuple[Path, ...], root: int, relative: str) -> list[dict[str, object]]:
    """The folders and usable files in an allowed folder, folders first."""
    if not 0 <= root < len(roots):
        raise InputError(f"allowed folder {root} does not exist ({len(roots)} allowed)")
    folder = inside(roots[root], relative)
    if not folder.is_dir():
        raise InputError(f"path '{relative}' is not a folder")
    entries = []
    for entry in sorted(folder.iterdir(), key=lambda p: (not p.is_dir(), p.name.lower())):
        if entry.name.startswith("."):
            continue
        real = entry.resolve()
        if not real.is_relative_to(roots[root]):  # a symlink out is not shown either
            continue
        kind = "folder" if real.is_dir() else kind_of(entry.name)
        if kind is not None:
            size = real.stat().st_size if kind != "folder" else None
            entries.append({"name": entry.name, "kind": kind, "size": size})
    return entries


def copy_into(source: Path, target: Path) -> Path:
    """Copy a picked file (small: pictures, models) so the job keeps its own."""
    shutil.copyfile(source, target)
    return target
