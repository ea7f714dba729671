"""Video style transfer by optimization with temporal constraints (Ruder, Dosovitskiy & Brox
2016, 2018).

Frame ``i`` starts from frame ``i-1``'s result warped by the optical flow (where the
flow is unreliable, a stylized fill from the reliable neighbours; see
:func:`.temporal.fill_unreliable`) and adds the temporal loss: the distance to the warped
results of frames ``i-j``, ``j`` in J, weighted per pixel by the long-term weights.
Flow runs ahead on a thread (:func:`vstyle.flow.prefetch_flows`); only ``max(J)``
frames are held. With ``--passes N`` the clip is spooled to a work folder and refined
in alternating directions (:mod:`.multipass`). With ``--work-dir`` finished frames are
kept there and a rerun resumes (:mod:`.workdir`).

The temporal chain always continues from the *quantized* result, ``to_tensor(to_array(x))``,
so a resumed run (which reads uint8 frames back) sees exactly what a fresh run saw.

A chain may start from an :class:`Anchor` (``--cluster``): the stylized first frame of its
scene, made once and shared by every chunk of the scene.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from ..device import Runtime
from ..errors import InputError
from ..flow import (
    FlowDir,
    FlowPair,
    FlowWindow,
    TemporalMemory,
    TemporalTarget,
    flow_pair,
    flow_source,
    make_flow,
    prefetch_flows,
    reliability,
    warp,
    window_offsets,
)
from ..frames import Frame, to_array, to_tensor
from ..io.image import resize
from ..nets.modelfile import read_info
from ..nets.weights import find_weights
from ..options import Options
from ..records import OnIteration, OnRecord
from .loop import Result
from .multipass import later_passes
from .stylizer import FrameOptimizer, StartImage, fit, scale_sizes
from .temporal import fill_unreliable, quantized, temporal_extra, temporal_on
from .workdir import WorkDir, digest


def manifest(options: Options, runtime: Runtime, first: Frame) -> dict:
    """Everything that changes the frames a run produces (compared on resume)."""
    temporal = {
        k: v for k, v in asdict(options.temporal).items() if k not in ("work_dir", "restart")
    }
    io = options.io
    clip = {"start": io.start, "input_rate": io.input_rate}
    if options.temporal.passes > 1:  # later frames change earlier ones only with passes
        clip |= {"frames": io.frames, "duration": io.duration}
    record = {
        "styles": [digest(Path(p).read_bytes()) for p in options.style.paths],
        "style": {k: v for k, v in asdict(options.style).items() if k != "paths"},
        "loss": asdict(options.loss),
        "optim": asdict(options.optim),
        "temporal": temporal,
        "size": list(first.size),
        "input": {"first_frame": digest(first.rgb), **clip},
        "runtime": {
            "device": runtime.device.type,
            "precision": runtime.precision,
            "vgg": digest(find_weights(options.runtime.vgg_weights).read_bytes()),
        },
    }
    if options.fast.model is not None:  # the hybrid start; absent, older folders still match
        weights = read_info(options.fast.model).weights_sha256
        record["start"] = {"model": weights, "engine": options.fast.engine}
    if options.method == "swap":  # only then: folders of earlier optimize runs still resume
        record |= {"method": options.method, "arbitrary": asdict(options.arbitrary)}
    return record


@dataclass(frozen=True)
class Anchor:
    """The first frame of a scene, stylized as a chain's first frame, for chains that
    start later in the scene (``--cluster`` chunks).

    An optimizer keeps the picture it starts from: two chains started apart carry
    different textures for as long as they run, and their seam shows it. A chain that
    starts from the anchor warped onto its first frame (where the flow reaches it)
    carries the anchor's texture, as the chain from the scene's start does.

    Attributes:
        content: (H, W, 3) uint8, the scene's first frame at the processing size.
        result: (H, W, 3) uint8, its stylization.
        here: the chain starts at that very frame, whose result is then ``result``.
    """

    content: np.ndarray
    result: np.ndarray
    here: bool = False


class VideoOptimizer(FrameOptimizer):
    """Ruder et al.'s temporally coherent optimizer: frames in, stylized frames out, in order.

    Same arguments as :class:`FrameOptimizer`; ``options.temporal`` and ``options.optim.init``
    (``prev-warped``, ``content`` or ``random``) choose the method. A ``start`` (the hybrid
    method) replaces the content as the first frame's start and as the fill of the
    unreliable pixels of the ``prev-warped`` start.
    """

    def __init__(
        self,
        options: Options,
        runtime: Runtime,
        on_record: OnRecord | None = None,
        on_iteration: OnIteration | None = None,
        start: StartImage | None = None,
    ) -> None:
        super().__init__(options, runtime, on_record, on_iteration, start)
        t = options.temporal
        # Offsets beyond 1 feed only the temporal loss of this pass; offset 1 also feeds
        # the prev-warped start and the flows later passes read back.
        self.offsets = window_offsets(t.long_term if temporal_on(options, 1) else ())
        self.needs_flow = (
            temporal_on(options, 1) or options.optim.init == "prev-warped" or t.passes > 1
        )
        self.flow = flow_source(t.flow, t.flow_dir, runtime.device)
        self.anchor: Anchor | None = None  # set by the caller before frames flow

    def __call__(self, frames: Iterable[Frame]) -> Iterator[Frame]:
        t = self.options.temporal
        if not t.enabled:
            yield from super().__call__(frames)
            return
        if t.passes == 1:
            work = WorkDir(t.work_dir, t.restart) if t.work_dir else None
            yield from self.first_pass(frames, work)
            return
        work = WorkDir(t.work_dir, t.restart)  # no --work-dir: a temporary folder
        try:
            if work.progress["passes_done"] == 0:
                count = sum(1 for _ in self.first_pass(frames, work, spool=True))
                work.finish_pass(1, count)
            else:
                self.check_inputs(frames, work)
            yield from later_passes(self, work)
        finally:
            work.remove()

    def first_pass(
        self, frames: Iterable[Frame], work: WorkDir | None, spool: bool = False
    ) -> Iterator[Frame]:
        """The streaming forward pass: flow ahead on a thread, ``max(J)`` frames in memory."""
        memory = TemporalMemory(self.offsets)
        if self.photo is not None:  # each frame's Laplacian built ahead, like its flow
            frames = self.photo.ahead(frames)
        for n, (frame, pairs) in enumerate(self.with_flows(frames)):
            if n == 0:
                self.prime(frame, work)
            if work is not None:
                work.admit(n, frame, spool)
                if spool and 1 in pairs:
                    pair = pairs[1]
                    work.write_flow(
                        n, pair.forward[0].cpu().numpy(), pair.backward[0].cpu().numpy()
                    )
            rgb = None if work is None else work.read_png("pass1", n)
            if rgb is None:
                start = time.perf_counter()
                image, result = self.first_pass_frame(frame, pairs, memory, n == 0)
                rgb = to_array(image)
                if work is not None:
                    work.write_png("pass1", n, rgb)
                self.record(frame, result, time.perf_counter() - start)
            memory.remember(frame.index, quantized(rgb, self.runtime))
            yield frame.with_rgb(rgb)

    def with_flows(self, frames: Iterable[Frame]) -> Iterator[tuple[Frame, dict[int, FlowPair]]]:
        """Each frame with its flow pairs by offset; no flow at all when nothing reads it."""
        if not self.needs_flow:
            yield from ((frame, {}) for frame in frames)
            return
        window = FlowWindow(self.flow, self.offsets)
        for item in prefetch_flows(frames, window, self.runtime.device):
            yield item.frame, item.pairs

    def first_pass_frame(
        self, frame: Frame, pairs: dict[int, FlowPair], memory: TemporalMemory, first: bool
    ) -> tuple[torch.Tensor, Result]:
        """Stylize one frame of the first pass: initialization, temporal loss, iterations."""
        if first and self.anchor is not None:
            return self.from_anchor(frame, self.anchor)
        targets = memory.targets(frame.index, pairs)
        o = self.options
        # Offset 1 comes first in J, so its long-term weight is exactly its reliability c.
        prev = next((t for t in targets if t.offset == 1), None)
        init = keep = None
        if o.optim.init == "prev-warped" and prev is not None:
            init, keep = self.prev_warped(frame, prev), prev.weight
        extra = None
        if targets and temporal_on(o, 1):
            warped, weights = [t.warped for t in targets], [t.weight for t in targets]
            extra = temporal_extra(warped, weights, o.temporal.weight, o.style.preserve_color)
        iters = self.first_iters() if first else None
        if self.photo is not None:
            self.photo.select(frame.index)  # its own mask when the mask is a video
        return self.stylize(frame.rgb, init, extra, iters, keep=keep)

    def from_anchor(self, frame: Frame, anchor: Anchor) -> tuple[torch.Tensor, Result]:
        """A chain's first frame started from ``anchor``: its result warped onto this frame
        where the flow between the two is reliable, a stylized fill elsewhere, then the
        first frame's iterations (none where the frame is the anchor's own)."""
        result = self.runtime.tensor(to_tensor(anchor.result))
        if anchor.here:
            return result, Result(result, [], {}, 0, False)
        w, h = frame.size
        content = self.runtime.tensor(to_tensor(frame.rgb))
        before = self.runtime.tensor(to_tensor(resize(anchor.content, w, h)))
        result = fit(result, h, w)
        flow = self.flow
        if isinstance(flow, FlowDir):  # its files pair neighbours, not the anchor
            flow = make_flow(self.options.temporal.flow, self.runtime.device)
        forward, backward = flow_pair(flow, before, content)
        c = reliability(forward, backward).to(content.dtype)
        init = fill_unreliable(content, warp(result, backward.to(content.dtype)), c)
        return self.stylize(frame.rgb, init, None, self.first_iters(), keep=c)

    def most_iters(self) -> int:
        return max(self.options.optim.iters, self.first_iters())

    def first_iters(self) -> int:
        """Iterations of a chain's first frame: ``--first-iters``, else twice ``--iters``."""
        n = self.options.temporal.first_iters
        return 2 * self.options.optim.iters if n is None else n

    def prev_warped(self, frame: Frame, prev: TemporalTarget) -> torch.Tensor:
        """The previous result warped onto this frame where reliable, a stylized fill elsewhere.

        With a ``start`` (the hybrid method) the fill is the net's painting of this
        frame, ``c * warped + (1 - c) * start``; else :func:`.temporal.fill_unreliable`:
        revealed regions start from the neighbours' stylization added to this frame's
        content.

        Args:
            prev: the offset-1 target (warped previous result, reliability c).

        Returns:
            (1, 3, H, W) in [0, 1].
        """
        if self.start is not None:
            return torch.lerp(self.start_image(frame.rgb), prev.warped, prev.weight)
        content = self.runtime.tensor(to_tensor(frame.rgb))
        return fill_unreliable(content, prev.warped, prev.weight)

    def prime(self, first: Frame, work: WorkDir | None) -> None:
        """Open the work folder, and fill the style-target cache from the first frame.

        The cache keeps the targets of the first content it sees (with ``--preserve-color``
        they depend on it), so a resumed run must fill it from the same frame.
        """
        if work is not None:
            work.open(manifest(self.options, self.runtime, first))
        w, h = first.size
        for sw, sh in scale_sizes(w, h, self.options.optim.scales):
            self.grams(max(sw, sh), resize(first.rgb, sw, sh))

    def check_inputs(self, frames: Iterable[Frame], work: WorkDir) -> None:
        """A resumed multi-pass run past pass 1: the input must be the clip spooled before."""
        count = 0
        for count, frame in enumerate(frames, start=1):
            if count == 1:
                self.prime(frame, work)
            work.admit(count - 1, frame)
        expected = work.progress["frames"]
        if count != expected:
            raise InputError(
                f"--work-dir '{work.root}' was made from a clip of {expected} frames, "
                f"this input has {count}; add --restart to discard it"
            )
