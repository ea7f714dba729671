"""A full disk, told in one line: what was being written and how much space is left."""

from __future__ import annotations

import errno
import os
import shutil
import stat
from pathlib import Path

from ..errors import OutputError

DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


def disk_full(what: str, where: Path | int | None, exc: BaseException) -> OutputError | None:
    """The one-line error for a full disk (with the space left), or None for other errors.

    Args:
        what: what was being written, e.g. ``output 'out.mp4'``.
        where: a path on that disk, an open file descriptor (stdout), or None if unknown.
    """
    code = getattr(exc, "errno", None)
    if code not in DISK_FULL:
        return None
    space = free_space(where)
    error = OutputError(f"{what}: the disk is full ({space}); free some space or write elsewhere")
    error.errno = code
    return error


def free_space(where: Path | int | None) -> str:
    """``'12.0 MiB free'`` on the disk of a path or a descriptor, or ``'free space unknown'``."""
    try:
        if isinstance(where, int) and stat.S_ISREG(os.fstat(where).st_mode):
            disk = os.fstatvfs(where)
            return f"{_bytes(disk.f_bavail * disk.f_frsize)} free"
        if isinstance(where, Path):
            return f"{_bytes(shutil.disk_usage(where).free)} free"
    except OSError:
        pass
    return "free space unknown"


def _bytes(count: float) -> str:
    for unit in ("bytes", "KiB", "MiB"):
        if count < 1024:
            return f"{count:.0f} bytes" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GiB"
