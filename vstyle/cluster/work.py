"""One chunk's work, as a Ray task runs it: a pure function of (chunk, options, files).

The chunk is rendered by the ordinary single-machine pipeline (``pipeline.run``)
with ``--start`` at the chunk's first frame (the source seeks to the keyframe before
and drops frames by timestamp) and ``--frames`` its length, into a lossless FFV1
file under the work folder. The file appears under its final name only when it is
complete, so a file there is a finished chunk whoever wrote it. Where the folder is
not shared, a small file also travels back to the driver through Ray's object store.
"""

from __future__ import annotations

import hashlib
import os
import socket
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from io import BytesIO
from pathlib import Path

import numpy as np

from ..errors import ClusterError
from ..frames import Frame
from ..options import ClusterOptions, Options
from ..records import FrameRecord
from .plan import Chunk

INTERMEDIATE = ".mkv"  # FFV1 in Matroska: lossless RGB, seekable, any size
SENT_BACK = 64 * 2**20  # chunk files up to this size also travel back through Ray


@dataclass(frozen=True)
class Done:
    """A finished chunk: where its frames are and how they were made.

    Attributes:
        path: the FFV1 file, ``chunk.rendered`` frames (warm-up first).
        records: the engine's record of each kept frame, indices in the run's frames.
        seconds: wall time of the render (0 when found finished).
        host: the machine that rendered it.
        data: the file's bytes, sent back through Ray's object store when at most
            :data:`SENT_BACK` (for a driver that cannot read the worker's folder).
    """

    chunk: Chunk
    path: str
    records: tuple[FrameRecord, ...] = ()
    seconds: float = 0.0
    host: str = ""
    data: bytes | None = None


def finished(chunk: Chunk, path: Path, **how: object) -> Done:
    """The Done of ``chunk``'s file at ``path``, with its bytes when small enough."""
    data = path.read_bytes() if path.stat().st_size <= SENT_BACK else None
    return Done(chunk, str(path), host=socket.gethostname(), data=data, **how)


def received(done: Done, folder: Path) -> Done:
    """``done`` with its file in the driver's ``folder``: written from the bytes it
    carries where the worker's folder is not this machine's.

    Raises:
        ClusterError: the file is neither here nor sent back (too large).
    """
    if Path(done.path).is_file():
        return replace(done, data=None)
    if done.data is None:
        raise ClusterError(
            f"its file '{done.path}' on {done.host} cannot be read here and is over "
            f"{SENT_BACK // 2**20} MiB to send back: give --work-dir a folder every machine shares"
        )
    local = chunk_path(folder, done.chunk)
    place(local, done.data)
    return replace(done, path=str(local), data=None)


def place(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` under a name of its own first, then rename it there: a
    file at ``path`` is always whole, whichever worker or retry wrote it."""
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    try:
        partial.write_bytes(data)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def chunk_path(folder: Path | str, chunk: Chunk) -> Path:
    return Path(folder) / f"{chunk.name}{INTERMEDIATE}"


def chunk_options(options: Options, chunk: Chunk, target: Path | str) -> Options:
    """The single-machine options that render ``chunk`` (warm-up included) to ``target``."""
    io = replace(
        options.io,
        start=chunk.start,
        duration=None,
        frames=chunk.rendered,
        audio=False,  # muxed once by the driver, from the source
        codec="ffv1",
        pix_fmt=None,  # bgr0: the RGB frames exactly
        crf=None,
        preset=None,
        bitrate=None,
        output_format=None,
    )
    return replace(
        options,
        output=str(target),
        io=io,
        size=replace(options.size, output_size="processing"),  # the driver scales back
        temporal=replace(options.temporal, work_dir=None, restart=False),
        cluster=ClusterOptions(),
        overwrite=True,
        report=None,
    )


def localize(options: Options, shipped: dict[str, object]) -> Options:
    """``options`` with each file this machine lacks replaced by the copy shipped for it.

    Args:
        shipped: original path -> Ray object reference of the file's bytes. A reference
            is fetched only where the path is missing here (a machine without the
            shared folder), and written once to a cache folder named by its content.
    """

    def here(path: Path | None) -> Path | None:
        if path is None or Path(path).is_file() or str(path) not in shipped:
            return path
        import ray

        data = ray.get(shipped[str(path)])
        digest = hashlib.sha256(data).hexdigest()[:16]
        local = Path(tempfile.gettempdir()) / "vstyle-cluster" / digest / Path(path).name
        if not local.is_file():
            local.parent.mkdir(parents=True, exist_ok=True)
            place(local, data)
        return local

    return replace(
        options,
        style=replace(options.style, paths=tuple(here(p) for p in options.style.paths)),
        fast=replace(options.fast, model=here(options.fast.model)),
        runtime=replace(options.runtime, vgg_weights=here(options.runtime.vgg_weights)),
    )


def anchor_path(folder: Path | str, frame: int) -> Path:
    return Path(folder) / f"anchor-{frame:07d}.npz"


def render_anchor(chunk: Chunk, options: Options, shipped: dict[str, object], folder: str) -> bytes:
    """The anchor of ``chunk``'s scene (``chunk`` starts the scene): its first frame and
    that frame's stylization as a chain's first frame, as ``.npz`` bytes (content,
    result), also kept in ``folder`` (a rerun reads them there)."""
    from .. import pipeline
    from ..optimize.video import VideoOptimizer

    final = anchor_path(folder, chunk.first)
    if final.is_file():
        return final.read_bytes()
    kept: dict[str, np.ndarray] = {}

    def build(opts: Options, runtime: object, size: object, hooks: object, count: object):
        opt = pipeline.build_stylizer(opts, runtime, size, hooks, None)  # a chain, not a picture
        if not isinstance(opt, VideoOptimizer):
            raise ClusterError(f"an anchor needs the optimizer's chain, not {type(opt).__name__}")

        def seen(frames: Iterable[Frame]) -> Iterator[Frame]:
            for frame in frames:
                kept.setdefault("content", frame.rgb)
                yield frame

        def first(frames: Iterable[Frame]) -> Iterator[Frame]:
            for out in opt(seen(frames)):
                kept.setdefault("result", out.rgb)
                yield out

        return first

    one = replace(chunk, end=chunk.first + 1, warmup=0, anchor=None)
    scratch = final.with_name(f".{final.stem}.{uuid.uuid4().hex}{INTERMEDIATE}")
    try:
        pipeline.run(chunk_options(localize(options, shipped), one, scratch), build=build)
    finally:
        scratch.unlink(missing_ok=True)  # the frame's video: only its arrays are kept
    if "result" not in kept:
        raise ClusterError(f"the anchor at frame {chunk.first} decoded no frame")
    buffer = BytesIO()
    np.savez(buffer, content=kept["content"], result=kept["result"])
    place(final, buffer.getvalue())
    return buffer.getvalue()


def anchored(chunk: Chunk, anchor: bytes | None) -> Callable[..., object]:
    """The pipeline's ``build`` for ``chunk``: its optimizer starts from ``anchor``."""
    from .. import pipeline
    from ..optimize.video import Anchor, VideoOptimizer

    def build(opts: Options, runtime: object, size: object, hooks: object, count: object):
        opt = pipeline.build_stylizer(opts, runtime, size, hooks, count)
        if anchor is not None and isinstance(opt, VideoOptimizer):
            with np.load(BytesIO(anchor)) as data:
                opt.anchor = Anchor(data["content"], data["result"],
                                    here=chunk.anchor == chunk.begins)  # fmt: skip
        return opt

    return build


def render_chunk(
    chunk: Chunk,
    options: Options,
    shipped: dict[str, object],
    folder: str,
    anchor: bytes | None = None,
) -> Done:
    """Render ``chunk`` into ``folder`` (skipped when its file is there) and say where.

    Args:
        anchor: the ``.npz`` of :func:`render_anchor` for a chunk with an anchor.

    Raises:
        ClusterError: the source gave fewer frames than the plan counted.
        VstyleError: whatever the single-machine run raises for these options.
    """
    from .. import pipeline

    final = chunk_path(folder, chunk)
    if final.is_file():  # a retry or another attempt finished it
        return finished(chunk, final)
    final.parent.mkdir(parents=True, exist_ok=True)  # a worker's own disk, unshared
    partial = final.with_name(f".{final.stem}.{uuid.uuid4().hex}{INTERMEDIATE}")
    began = time.perf_counter()
    try:
        report = pipeline.run(chunk_options(localize(options, shipped), chunk, partial),
                              build=anchored(chunk, anchor))  # fmt: skip
        if report.frames != chunk.rendered:
            raise ClusterError(
                f"{chunk.describe()} decoded {report.frames} frame(s), not {chunk.rendered}: "
                f"input '{options.input}' reads differently on {socket.gethostname()}"
            )
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    records = tuple(  # counted from the chunk's first frame rendered
        replace(r, index=r.index + chunk.begins) for r in report.records if r.index >= chunk.warmup
    )
    return finished(chunk, final, records=records, seconds=time.perf_counter() - began)
