"""Checks of the paths and names a run will write, made before any work.

Each of these used to fail only at the end of a run, after every frame was
stylized (a report into a missing folder, a codec the container cannot take) or
as a raw ``OSError`` (a file name longer than the file system allows). Options
check their own values (``vstyle.options``); sizes are checked by
:func:`vstyle.optimize.sizes.check_sizes` once the input's size is known.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from .errors import InputError, OptionError, OutputError
from .io.formats import STDIO, OutputKind, check_muxable, choose_codec
from .optimize.workdir import refuse_foreign
from .options import Options


def writable(folder: Path) -> bool:
    """True if a file can be created in ``folder`` (tried, so root and read-only mounts
    answer truthfully, which ``os.access`` does not)."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def name_max(folder: Path) -> int:
    """The longest file name, in bytes, that ``folder``'s file system takes."""
    try:
        return os.pathconf(folder if folder.is_dir() else ".", "PC_NAME_MAX")
    except (OSError, ValueError):
        return 255


def check_names(options: Options, kind: OutputKind) -> None:
    """Refuse input and output names longer than the file system allows."""
    if str(options.input) != STDIO:
        inp = Path(str(options.input))
        if len(os.fsencode(inp.name)) > name_max(inp.parent):
            raise InputError(
                f"input name '{inp.name[:40]}...' is {len(os.fsencode(inp.name))} bytes, "
                f"longer than the {name_max(inp.parent)} this file system allows"
            )
    if kind.stdout:
        return
    out = Path(str(options.output) % 0 if kind.sequence else str(options.output))
    longest = name_max(out.parent)
    # The hidden temporary name beside it stays short (io.staging hashes long names).
    size = len(os.fsencode(out.name))
    if size > longest:
        raise OutputError(
            f"output name '{out.name[:40]}...' is {size} bytes, longer than the {longest} "
            "this file system allows; choose a shorter name"
        )


def check_report(report: Path | None) -> None:
    """Refuse a ``--report`` that could not be written at the end of the run."""
    if report is None:
        return
    report = Path(report)
    folder = report.parent
    if report.is_dir():
        raise OutputError(f"--report '{report}' is a folder; give a file name such as run.json")
    if not folder.is_dir():
        raise OutputError(f"--report folder '{folder}' does not exist; create it first")
    if not writable(folder) or (report.exists() and not os.access(report, os.W_OK)):
        raise OutputError(f"--report '{report}' cannot be written there; choose another folder")


def check_work_dir(root: Path | None) -> None:
    """Refuse a ``--work-dir`` that is a file, another program's folder, or not writable."""
    if root is None:
        return
    root = Path(root)
    refuse_foreign(root)
    existing = root
    while not existing.exists() and existing != existing.parent:  # it will be created
        existing = existing.parent
    if not existing.is_dir():
        raise OptionError(f"--work-dir '{root}' cannot be made: '{existing}' is a file")
    if not writable(existing):
        raise OutputError(
            f"--work-dir '{root}' cannot be written ('{existing}' is not writable); "
            "choose another folder"
        )


def check_codec(options: Options, kind: OutputKind) -> None:
    """Refuse a ``--codec`` the output container cannot store."""
    if options.io.codec is None or kind.image:
        return
    codec = choose_codec(kind, options.io.codec, Path(str(options.output)).suffix.lower())
    check_muxable(kind, codec)


def check_paths(options: Options, kind: OutputKind) -> None:
    """Every check above; raises the first problem found.

    Args:
        kind: the output's kind, decided once for the run (``io.formats.output_kind``).

    Raises:
        InputError, OutputError, OptionError: one line naming the option and a fix.
    """
    try:
        check_names(options, kind)
    except OSError as exc:  # anything else the file system says about a name
        if exc.errno != errno.ENAMETOOLONG:
            raise
        raise OutputError(f"a file name is too long for this file system: {exc}") from None
    check_report(options.report)
    check_work_dir(options.temporal.work_dir)
    check_codec(options, kind)
