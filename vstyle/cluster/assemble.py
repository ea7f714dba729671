"""The driver's last step: the chunks' frames, in order, into the one output.

Assembly is the single-machine pipeline again, with a stylizer that swaps each
source frame's picture for the chunk's painting of it: the source gives the exact
timestamps and the audio (muxed once, never per chunk), and the sink, staging,
``--output-size source`` and progress behave as in any run.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import av
import numpy as np

from ..errors import ClusterError
from ..frames import Frame
from ..options import ClusterOptions, Options, RuntimeOptions
from ..records import FrameRecord, OnRecord
from .work import Done

if TYPE_CHECKING:
    from ..pipeline import Hooks
    from ..records import Report


def decoded(part: Done) -> Iterator[tuple[np.ndarray, FrameRecord | None]]:
    """A chunk's frames in order (warm-up first), each with its record if it has one."""
    records = {r.index: r for r in part.records}
    with av.open(part.path) as container:
        for i, frame in enumerate(container.decode(video=0)):
            index = part.chunk.begins + i
            yield frame.to_ndarray(format="rgb24"), records.get(index)


def blend(a: np.ndarray, b: np.ndarray, weight: float) -> np.ndarray:
    """``(1 - weight) * a + weight * b``, rounded, as uint8."""
    mixed = (1 - weight) * a.astype(np.float32) + weight * b.astype(np.float32)
    return np.clip(np.rint(mixed), 0, 255).astype(np.uint8)


def painted(done: Sequence[Done]) -> Iterator[tuple[np.ndarray, FrameRecord | None]]:
    """Each frame of the run in order, as (RGB, its record or None).

    Where a chunk starts inside a scene, its warm-up frames overlap the end of the
    chunk before and fade from that chunk's chain into its own: frame ``j`` of a
    warm-up of ``K`` weighs the new chain ``(j + 1) / (K + 1)``, so no pair of frames
    jumps from one chain to the other at once. (Dropping the warm-up alone leaves the
    jump: an optimizer's chain keeps the picture it started from, see the report.)
    """
    tail: list[tuple[np.ndarray, FrameRecord | None]] = []
    for n, part in enumerate(done):
        hold = done[n + 1].chunk.warmup if n + 1 < len(done) else 0
        frames = decoded(part)
        warmup = part.chunk.warmup
        for j in range(warmup):
            (b, _), (a, record) = next(frames), tail[j]
            yield blend(a, b, (j + 1) / (warmup + 1)), record
        yield from itertools.islice(frames, max(part.chunk.frames - hold, 0))
        tail = list(frames)  # the last ``hold`` frames, blended by the next chunk


class Assembly:
    """A stylizer that paints nothing: frame ``i`` gets the chunks' frame ``i``.

    ``resizes`` is true because the chunks come at the processing size already.
    """

    resizes = True

    def __init__(self, done: Sequence[Done], frames: int, on_record: OnRecord | None) -> None:
        self.done, self.frames, self.on_record = done, frames, on_record

    def __call__(self, frames: Iterable[Frame]) -> Iterator[Frame]:
        chunks = painted(self.done)
        count = 0
        for frame in frames:
            item = next(chunks, None)
            if item is None:
                break
            rgb, record = item
            if self.on_record and record is not None:
                self.on_record(replace(record, index=frame.index))
            count += 1
            yield frame.with_rgb(rgb)
        if count != self.frames or next(chunks, None) is not None:
            raise ClusterError(
                f"the chunks hold other frames than the input's {self.frames} (the input "
                "changed during the run?); remove the work folder and run again"
            )


def assemble(options: Options, done: Sequence[Done], frames: int, hooks: Hooks) -> Report:
    """Write ``options.output`` from the finished chunks (in order); returns the Report."""
    from ..pipeline import run

    def build(opts: Options, runtime: object, size: object, engine_hooks: Hooks, count) -> Assembly:
        return Assembly(done, frames, engine_hooks.on_record)

    # Nothing is painted here: no model, VGG or accelerator is needed on the driver.
    quiet = replace(
        options,
        method="copy",
        fast=replace(options.fast, model=None, stabilize=False),
        runtime=RuntimeOptions(device="cpu", precision="fp32"),
        temporal=replace(options.temporal, work_dir=None),
        cluster=ClusterOptions(),
    )
    began = time.perf_counter()
    report = run(quiet, hooks, build=build)
    report.seconds = time.perf_counter() - began
    return report
