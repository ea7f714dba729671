"""The plan of a ``--cluster`` run: probe the input, find scene cuts, cut chunks.

The temporal chain (previous output warped onto the next frame) breaks at a scene
cut anyway, so chunks start there. A scene longer than ``--chunk-frames`` is split
further; each extra chunk starts ``--warmup`` frames early, and the assembler fades
over those frames from the chunk before into its chain (``assemble.painted``). An
optimizer's chain keeps the picture it starts from, so the chunks of a split scene all
start from one stylization of the scene's first frame, its anchor (rendered first).
Methods without a chain (a ``--model`` without ``--stabilize``, ``copy``) split
anywhere with no warm-up; multi-pass optimization needs whole scenes and is never
split inside one.

Cuts come from ``--cuts FILE`` or from a content test equal to PySceneDetect's
``ContentDetector``: the mean change of hue, saturation and value between
consecutive frames over a threshold (27 of 255), at least ``--min-scene`` apart.
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from ..errors import InputError
from ..io import open_source
from ..options import Options

PROBE_WIDTH = 128  # the content test reads frames at this width: cuts, not detail


@dataclass(frozen=True)
class Chunk:
    """Frames ``first`` to ``end - 1`` of the run, rendered from ``first - warmup``.

    Attributes:
        index: position in the output order.
        first, end: the frames kept (0-based within the run, end exclusive).
        warmup: frames rendered before ``first``, faded in over the chunk before.
        start: ``--start`` (seconds) that makes a source begin at ``first - warmup``;
            None at the top of the run (the run's own ``--start``).
        anchor: the first frame of the chunk's scene when the scene is an optimizer's
            chain split in several chunks: each starts from that frame's stylization
            (``vstyle.optimize.video.Anchor``), made once, so the chains agree at seams.
    """

    index: int
    first: int
    end: int
    warmup: int = 0
    start: float | None = None
    anchor: int | None = None

    @property
    def frames(self) -> int:
        return self.end - self.first

    @property
    def rendered(self) -> int:
        return self.frames + self.warmup

    @property
    def name(self) -> str:
        return f"chunk-{self.index:05d}-{self.first:07d}-{self.end:07d}"

    @property
    def begins(self) -> int:
        """The first frame rendered (warm-up included)."""
        return self.first - self.warmup

    def describe(self) -> str:
        early = f", warm-up {self.warmup}" if self.warmup else ""
        if self.anchor is not None and self.anchor != self.begins:
            early += f", from the anchor at {self.anchor}"
        return f"chunk {self.index} (frames {self.first}-{self.end - 1}{early})"


@dataclass(frozen=True)
class Plan:
    """What the driver renders: the run's frame times, its cuts and its chunks."""

    times: tuple[Fraction, ...]  # seconds of each frame from the run's start
    cuts: tuple[int, ...]  # frames that start a scene (0 excluded)
    chunks: tuple[Chunk, ...]

    @property
    def frames(self) -> int:
        return len(self.times)


def stateful(options: Options) -> bool:
    """Whether a frame's painting depends on the frames before it (a temporal chain)."""
    from ..pipeline import network_paints

    if options.method == "copy":
        return False
    if network_paints(options):
        return options.fast.stabilize
    return options.temporal.enabled


def content_score(prev: np.ndarray, hsv: np.ndarray) -> float:
    """Mean absolute change of H, S and V (0-255 each, averaged): ContentDetector's score."""
    return float(np.abs(hsv.astype(np.int16) - prev.astype(np.int16)).mean())


def to_hsv(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 RGB to HSV at :data:`PROBE_WIDTH` wide."""
    height, width = rgb.shape[:2]
    if width > PROBE_WIDTH:
        size = (PROBE_WIDTH, max(1, round(height * PROBE_WIDTH / width)))
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)


def probe(options: Options, detect: bool) -> tuple[list[Fraction], list[int]]:
    """Decode the run's frames once: their times, and the cuts the content test finds.

    Raises:
        InputError: the input is not a video with timestamps (stdin, a picture, raw).
    """
    if str(options.input) == "-":
        raise InputError("--cluster needs an input file every worker can read, not stdin")
    io = replace(options.io, audio=False)
    times: list[Fraction] = []
    cuts: list[int] = []
    prev = None
    with open_source(str(options.input), io) as source:
        for frame in source.frames():
            if frame.pts is None or frame.time_base is None:
                raise InputError(f"--cluster needs timestamps; input '{options.input}' has none")
            times.append(frame.pts * frame.time_base)
            if not detect:
                continue
            hsv = to_hsv(frame.rgb)
            since = frame.index - (cuts[-1] if cuts else 0)
            if prev is not None and since >= options.cluster.min_scene:
                if content_score(prev, hsv) >= options.cluster.threshold:
                    cuts.append(frame.index)
            prev = hsv
    if len(times) < 2:
        raise InputError(f"--cluster renders videos; input '{options.input}' has one frame")
    return times, cuts


def read_cuts(path: Path, frames: int) -> list[int]:
    """Frame numbers from ``--cuts FILE``: whole numbers split by spaces, commas or lines;
    ``#`` starts a comment. 0 and numbers past the end are ignored."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise InputError(f"--cuts '{path}' cannot be read ({exc.strerror})") from None
    words = re.split(r"[\s,;]+", re.sub(r"#[^\n]*", "", text).strip())
    bad = [w for w in words if w and not w.isdigit()]
    if bad:
        raise InputError(
            f"--cuts '{path}' holds '{bad[0]}'; write frame numbers (0-based), e.g. 120 348"
        )
    return sorted({int(w) for w in words if w and 0 < int(w) < frames})


def split(
    times: Sequence[Fraction],
    cuts: Iterable[int],
    chunk_frames: int,
    warmup: int,
    whole: bool,
    anchored: bool = False,
) -> list[Chunk]:
    """Chunks that start at every cut and, unless ``whole``, every ``chunk_frames`` or so.

    Args:
        times: seconds of each frame from the run's start.
        warmup: frames an extra chunk inside a scene renders first (0 for no chain).
        whole: keep each scene in one chunk (multi-pass).
        anchored: the chunks of a scene split in several start from its first frame's
            stylization (an optimizer's chain; see :class:`Chunk`).
    """
    bounds = [0, *sorted(set(cuts)), len(times)]
    chunks: list[Chunk] = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        pieces = 1 if whole else math.ceil((b - a) / chunk_frames)
        edges = [a + round(i * (b - a) / pieces) for i in range(pieces + 1)]
        for before, first, end in zip([a, *edges], edges, edges[1:], strict=False):
            early = min(warmup, first - before)  # fades over the chunk before: at most it
            start = start_seconds(times, first - early)
            anchor = a if anchored and pieces > 1 else None
            chunks.append(Chunk(len(chunks), first, end, early, start, anchor))
    return chunks


def start_seconds(times: Sequence[Fraction], frame: int) -> float | None:
    """A ``--start`` (from the run's start) that keeps ``frame`` and drops the one before:
    half-way between them, so rounding to a float can never land on either."""
    if frame == 0:
        return None
    return float((times[frame - 1] + times[frame]) / 2)


def make_plan(options: Options) -> Plan:
    """Probe ``options.input`` and cut it into chunks (see the module's docstring)."""
    c = options.cluster
    times, cuts = probe(options, detect=c.cuts is None)
    if c.cuts is not None:
        cuts = read_cuts(c.cuts, len(times))
    from ..pipeline import network_paints

    chain = stateful(options)
    optimizer = chain and not network_paints(options)  # a fast net's chain forgets its start
    whole = optimizer and options.temporal.passes > 1
    chunks = split(times, cuts, c.chunk_frames, c.warmup if chain else 0, whole, optimizer)
    offset = options.io.start or 0.0  # the workers' --start counts from the input's start
    chunks = [replace(k, start=k.start + offset if k.start is not None else options.io.start)
              for k in chunks]  # fmt: skip
    return Plan(tuple(times), tuple(cuts), tuple(chunks))


@dataclass(frozen=True)
class Cost:
    """Measured seconds: per frame rendered, per chunk (start-up, seek, write), and per
    frame on the driver alone (probing for cuts, then decoding and encoding the output)."""

    frame: float
    chunk: float
    serial: float = 0.0


def estimate(plan: Plan, cost: Cost, workers: int) -> float:
    """Seconds for ``workers`` to render the plan: longest chunks first, each to the
    worker free soonest (Ray's queue behaves so when chunks outnumber workers), plus
    the driver's own work, which no worker count shortens."""
    loads = [0.0] * min(workers, len(plan.chunks))
    heapq.heapify(loads)
    for chunk in sorted(plan.chunks, key=lambda k: -k.rendered):
        heapq.heappush(loads, heapq.heappop(loads) + cost.chunk + chunk.rendered * cost.frame)
    # Anchors come first, a wave of one frame each (a first frame: twice the iterations).
    anchors = len({k.anchor for k in plan.chunks if k.anchor is not None})
    wave = math.ceil(anchors / max(workers, 1)) * (cost.chunk + 2 * cost.frame)
    return max(loads, default=0.0) + wave + plan.frames * cost.serial


def describe(plan: Plan, cost: Cost | None, workers: Sequence[int]) -> str:
    """The text ``--plan`` prints: one line per chunk, then the estimates."""
    rendered = sum(k.rendered for k in plan.chunks)
    lines = [
        f"{plan.frames} frames, {len(plan.cuts) + 1} scene(s) (cuts at "
        f"{', '.join(map(str, plan.cuts)) or 'none'}), {len(plan.chunks)} chunk(s), "
        f"{rendered - plan.frames} warm-up frame(s)"
    ]
    lines += [f"  {k.describe()}" for k in plan.chunks]
    if cost is not None:
        lines.append(
            f"measured: {cost.frame:.3f} s a frame, {cost.chunk:.2f} s a chunk (start-up), "
            f"{cost.serial:.4f} s a frame on the driver (cuts, assembly)"
        )
        for n in workers:
            lines.append(f"  {n} worker(s): about {format_seconds(estimate(plan, cost, n))}")
    return "\n".join(lines)


def format_seconds(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"
