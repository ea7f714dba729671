"""Where an output is written while the run lasts, and what becomes of it.

A file output is written under a hidden name beside the target
(``.NAME.partial-PID.EXT``) and renamed when the run succeeds. When the run stops
early (a signal, a broken input, a full disk) the frames done are kept: at the
target when nothing was there, else beside it under a free ``NAME.partial.EXT``
(``NAME.partial-2.EXT``, ...). Nothing that existed is ever replaced without
``--overwrite``, and a kept partial never replaces anything. Frame patterns,
stdout and an existing FIFO or device (``/dev/null``) are written in place. Every
message names the user's output, never the hidden name.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import re
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import av

from ..errors import DecodeError, Interrupted, OutputError
from .formats import OutputKind
from .space import disk_full

log = logging.getLogger(__name__)

NO_HARD_LINKS = (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EMLINK)
NAME_MAX = 255  # bytes in one file name on common file systems


def _temporary_stem(output: Path) -> str:
    """The output's stem, or a short stand-in when the hidden name would be too long."""
    longest = f".{output.stem}.partial-{2**22}{output.suffix}"
    if len(os.fsencode(longest)) <= NAME_MAX:
        return output.stem
    return "vstyle-" + hashlib.sha1(os.fsencode(output.name)).hexdigest()[:12]


def temporary_path(output: Path) -> Path:
    """A hidden name beside ``output`` with the same extension."""
    return output.with_name(f".{_temporary_stem(output)}.partial-{os.getpid()}{output.suffix}")


def is_stream_file(path: Path) -> bool:
    """True for an existing FIFO or character device (``/dev/null``): written in place."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)


def pid_alive(pid: int) -> bool:
    """True if a process ``pid`` exists (it may belong to another user)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(output: Path) -> list[Path]:
    """Delete the hidden temporaries of ``output`` left by runs that were killed (-9).

    Only names of vstyle's own pattern for this very output, whose process is gone.
    """
    stem, suffix = re.escape(_temporary_stem(output)), re.escape(output.suffix)
    pattern = re.compile(rf"\.{stem}\.partial-(\d+){suffix}", re.DOTALL)
    folder = output.parent
    removed = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            match = pattern.fullmatch(entry.name)
            if match and entry.is_file(follow_symlinks=False) and not pid_alive(int(match[1])):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
                    removed.append(folder / entry.name)
                    log.info("removed '%s', left by a run that was killed", folder / entry.name)
    return removed


def move_no_clobber(source: Path, target: Path) -> bool:
    """Rename ``source`` to ``target`` unless something is there (a dangling link too).

    A hard link is atomic about it; where links are not allowed, a check comes first.
    """
    try:
        os.link(source, target, follow_symlinks=False)
    except FileExistsError:
        return False
    except OSError as exc:
        if exc.errno not in NO_HARD_LINKS:  # FAT, some network file systems
            raise
        if os.path.lexists(target):
            return False
        os.replace(source, target)
        return True
    source.unlink()
    return True


def _named(exc: OSError) -> str:
    """How a failed write outside the sink (work files) names its file, for the message."""
    return f"writing '{exc.filename}'" if exc.filename else "writing work files"


def playable(path: Path) -> bool:
    """True if a video file opens and its first frame decodes."""
    try:
        with av.open(f"file:{path}") as container:
            return next(container.decode(video=0), None) is not None
    except (av.FFmpegError, OSError, IndexError, ValueError):
        return False


class Staging:
    """Where the sink writes, and what becomes of it on success or failure.

    Args:
        output: the user's output name (a file, a frame pattern or ``-``).
        kind: what that name asks for (from :func:`~vstyle.io.formats.output_kind`).
        overwrite: ``--overwrite``: success may replace an existing output.
    """

    def __init__(self, output: Path | str, kind: OutputKind, overwrite: bool = False) -> None:
        self.output, self.kind, self.overwrite = Path(str(output)), kind, overwrite
        # A FIFO or device is not replaced by a renamed file: it is written into.
        self.in_place = kind.stdout or kind.sequence or is_stream_file(self.output)
        self.existed = not self.in_place and os.path.lexists(self.output)
        if not self.in_place:
            remove_stale(self.output)
        self.path = self.output if self.in_place else temporary_path(self.output)

    def commit(self) -> None:
        if self.in_place:
            return
        if self.overwrite:
            os.replace(self.path, self.output)
        elif not move_no_clobber(self.path, self.output):  # it appeared while we ran
            keep = self._keep_beside()
            raise OutputError(
                f"output '{self.output}' appeared while vstyle ran; the result is in '{keep}'"
            )

    def discard(self) -> None:
        if not self.in_place:
            self.path.unlink(missing_ok=True)

    def keep_partial(self, frames: int, check: bool = False) -> str:
        """Keep the partial output; returns a phrase saying where it is.

        Args:
            frames: frames handed to the sink.
            check: keep it only if it plays (after a write failed, the file may be unfinished).
        """
        if self.kind.stdout:
            return f"the stream on stdout was closed after {frames} frame(s)"
        if frames == 0:
            self.discard()
            return "no frame was finished, nothing was written"
        done = "the frames written before it" if check else f"{frames} frame(s)"
        if self.in_place:
            return f"kept {done} as '{self.output}'"
        if check and (self.kind.image or not playable(self.path)):
            self.discard()
            return "the unfinished file was removed"
        if self.existed or not move_no_clobber(self.path, self.output):
            return f"kept {done} in '{self._keep_beside()}'"
        return f"kept {done} in '{self.output}'"

    @contextlib.contextmanager
    def saving(self, stop: threading.Event, done: Callable[[], int]) -> Iterator[None]:
        """Commit when the body succeeds; on a stop keep what is done and say where.

        Args:
            stop: set by a signal, also when the signal's exception was swallowed
                (inside a read callback): the run then still counts as interrupted.
            done: how many frames were handed to the sink so far.
        """
        try:
            yield
            if stop.is_set():
                raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise Interrupted(f"interrupted; {self.keep_partial(done())}") from None
        except DecodeError as exc:
            where = self.keep_partial(done())
            if stop.is_set():  # the input ended because the signal stopped its reading
                raise Interrupted(f"interrupted; {where}") from None
            raise DecodeError(f"{exc}; {where}", frames_done=done()) from None
        except OSError as exc:  # OutputError too: a write failed (the sink, work files)
            error = (
                exc
                if isinstance(exc, OutputError)
                else disk_full(_named(exc), self.output.parent, exc)
            )
            if error is None:
                self.discard()
                raise
            if done() == 0:
                self.discard()
                raise error from None
            kept = OutputError(f"{error}; {self.keep_partial(done(), check=True)}")
            kept.errno = error.errno
            raise kept from None
        except BaseException:
            self.discard()
            raise
        self.commit()

    def _keep_beside(self) -> Path:
        """Move the temporary file to the first free ``NAME.partial[-N].EXT``."""
        stem, suffix = self.output.stem, self.output.suffix
        for n in range(1, 10_000):
            keep = self.output.with_name(f"{stem}.partial{'' if n == 1 else f'-{n}'}{suffix}")
            try:
                if move_no_clobber(self.path, keep):
                    return keep
            except OSError:  # the name is too long, say: it stays where it is
                return self.path
        return self.path
