"""The optimization engine for pictures and independent frames.

:class:`FrameOptimizer` owns the VGG features and the style targets, and
stylizes one picture at a time (coarse-to-fine when ``--scales`` > 1). Called on
an iterator of frames it stylizes each on its own; the temporal engine builds
on :meth:`FrameOptimizer.stylize` with its own initialization and extra losses.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import kornia
import numpy as np
import torch
import torch.nn.functional as F

from ..device import Runtime
from ..errors import InputError, OptionError
from ..frames import Frame, to_array, to_tensor
from ..io.image import read_image, resize
from ..nets.vgg import VGGFeatures
from ..nets.weights import find_weights, load_state
from ..options import Options
from ..records import Detail, FrameRecord, IterationProgress, OnIteration, OnRecord
from .loop import Objective, Result, Step, optimize
from .objective import ExtraLoss, GatysObjective, style_grams, upsample
from .sizes import MIN_SIDE, scale_sizes

log = logging.getLogger(__name__)

# Iterations at each coarse scale, as a share of --iters. Measured on tubingen at 256 px
# (benchmarks/RESULTS.md): a quarter already gives the finest scale its better start;
# more only costs time (small pictures are not proportionally cheaper per iteration).
COARSE_SHARE = 0.25

# Paints a start image for content: (H, W, 3) uint8 -> (1, 3, H, W) in [0, 1] on the
# device (the fast net's output, :class:`.hybrid.NetworkStart`).
StartImage = Callable[[np.ndarray], torch.Tensor]


def fit(image: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Resize a (1, C, h, w) tensor to (1, C, height, width): antialiased when shrinking."""
    if image.shape[-2:] == (height, width):
        return image
    shrink = height < image.shape[-2] or width < image.shape[-1]
    return F.interpolate(
        image, size=(height, width), mode="bilinear", align_corners=False, antialias=shrink
    )


def luminance(image: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) RGB -> (B, 1, H, W) Y of YCbCr."""
    return kornia.color.rgb_to_ycbcr(image)[:, :1]


def with_chroma_of(image: torch.Tensor, colour: torch.Tensor) -> torch.Tensor:
    """``image``'s luminance with ``colour``'s chroma (Gatys et al. 2016, luminance-only)."""
    y = luminance(image)
    cbcr = kornia.color.rgb_to_ycbcr(colour)[:, 1:]
    return kornia.color.ycbcr_to_rgb(torch.cat([y, cbcr], 1)).clamp(0, 1)


def grey_matched(style: np.ndarray, content: np.ndarray) -> np.ndarray:
    """The style's luminance as grey RGB, its mean and spread matched to the content's."""
    ys = luminance(to_tensor(style))
    yc = luminance(to_tensor(content))
    y = (ys - ys.mean()) / ys.std().clamp_min(1e-6) * yc.std() + yc.mean()
    return to_array(y.expand(-1, 3, -1, -1))


@dataclass(frozen=True)
class OptimizerRecord(FrameRecord):
    """A frame made by optimization: how many iterations, the final losses, which pass.

    Attributes:
        iterations: iterations at the finest scale.
        loss: the final total loss, None after zero iterations.
        terms: the final weighted loss terms by name (content, style, tv, temporal).
        stopped_early: the loss stopped changing before the last iteration.
        pass_number: 1 for the first (streaming) pass, 2.. with ``--passes``.
        tile: the tile side the picture was refined in (``--tile``, or chosen for
            ``--max-memory``); None when it was optimized whole.
    """

    iterations: int = 0
    loss: float | None = None
    terms: Mapping[str, float] = field(default_factory=dict)
    stopped_early: bool = False
    pass_number: int = 1
    tile: int | None = None

    def details(self) -> Mapping[str, Detail]:
        return {
            **({"tile": self.tile} if self.tile is not None else {}),
            "iterations": self.iterations,
            "stopped_early": self.stopped_early,
            "loss": self.loss,
            "terms": dict(self.terms),
            "pass": self.pass_number,
        }


class FrameOptimizer:
    """Gatys et al. style transfer by optimization, one picture at a time.

    Args:
        on_record: called with an :class:`OptimizerRecord` per frame stylized.
        on_iteration: called after every iteration (progress bars).
        start: paints the start image where the content would be (the hybrid method,
            :mod:`.hybrid`); None starts as ``--init`` says.
    """

    def __init__(
        self,
        options: Options,
        runtime: Runtime,
        on_record: OnRecord | None = None,
        on_iteration: OnIteration | None = None,
        start: StartImage | None = None,
    ) -> None:
        if not options.style.paths:
            raise OptionError("--style is required: give at least one style picture")
        self.options, self.runtime = options, runtime
        self.on_record, self.on_iteration = on_record, on_iteration
        self.start = start
        self.styles = [read_image(p, what="style") for p in options.style.paths]
        state = load_state(find_weights(options.runtime.vgg_weights))
        taps = options.loss.content_layers + options.loss.style_layers
        self.vgg = runtime.prepare(VGGFeatures(state, taps))
        self._grams: dict[int, dict[str, torch.Tensor]] = {}
        self._tiles: dict[tuple[int, int], int | None] = {}  # chosen tiles by picture size
        self.tiled: int | None = None  # the tile side the last picture was refined in
        self.photo = None  # photorealism and regions (vstyle.photo), when asked for
        if options.photo.enabled or options.photo.regions:
            from ..photo.terms import PhotoTerms

            self.photo = PhotoTerms(options, runtime, self.vgg, self.styles)

    def tile_for(self, width: int, height: int) -> int | None:
        """``--tile``, or else a tile chosen so that the optimizer's estimated peak fits
        ``--max-memory`` (a share of the device's free memory without it); None when the
        whole picture fits. Chosen once per picture size and logged."""
        p = self.options.photo
        if p.tile is not None:
            return p.tile
        if (width, height) not in self._tiles:
            from ..device import memory_budget
            from ..photo.memory import auto_tile, peak_bytes

            budget = p.max_memory or memory_budget(self.runtime.device)
            how = (self.options.optim.optimizer, self.most_iters())
            tile = auto_tile(width, height, budget, *how)
            self._tiles[width, height] = tile
            if tile is not None:
                log.info(
                    "%dx%d needs about %.0f MiB to optimize at once, over the %.0f MiB "
                    "budget: tiling it in %d px tiles (--tile %d)",
                    width, height, peak_bytes(width, height, *how) / 1024**2, budget / 1024**2,
                    tile, tile,
                )  # fmt: skip
        return self._tiles[width, height]

    def most_iters(self) -> int:
        """The most iterations one picture gets (what the optimizer's state grows with)."""
        return self.options.optim.iters

    def grams(self, long_side: int, content: np.ndarray) -> dict[str, torch.Tensor]:
        """Style targets for content whose long side is ``long_side`` (cached per size)."""
        side = max(MIN_SIDE, round(long_side * self.options.style.scale))
        if side not in self._grams:
            self._grams[side] = style_grams(
                self.vgg, self.runtime, self.style_pictures(content), self.options.style.weights,
                self.options.loss.style_layers, side,
            )  # fmt: skip
        return self._grams[side]

    def style_pictures(self, content: np.ndarray) -> list[np.ndarray]:
        """The style pictures as the Grams see them (grey, matched to ``content``, with
        ``--preserve-color``)."""
        if self.options.style.preserve_color:
            return [grey_matched(s, content) for s in self.styles]
        return self.styles

    def initial(self, content: torch.Tensor) -> torch.Tensor:
        """The starting image named by ``--init`` (prev-warped falls back to content here)."""
        kind = self.options.optim.init
        if kind == "random":
            g = torch.Generator().manual_seed(self.options.optim.seed)
            return self.runtime.tensor(torch.rand(content.shape, generator=g))
        if kind == "style":
            h, w = content.shape[-2:]
            return self.runtime.tensor(to_tensor(resize(self.styles[0], w, h)))
        return content

    def stylize(
        self,
        rgb: np.ndarray,
        init: torch.Tensor | None = None,
        extra: ExtraLoss | None = None,
        iters: int | None = None,
        stop_early: bool = True,
        keep: torch.Tensor | None = None,
        coarse: bool = True,
    ) -> tuple[torch.Tensor, Result]:
        """Stylize one picture (coarse scales get ``COARSE_SHARE`` of the iterations).

        Each finer scale starts from a base plus the coarser scale's change to its base,
        upsampled: the base is the content (``init`` None), the ``start`` image (``init``
        None, a ``start`` given) or ``init``, resized to that scale. Where ``keep`` is 1
        the start is ``init`` itself at every scale: the warped previous result keeps
        its fine detail where the flow is reliable, and the coarse scales stylize only
        what it does not cover (a coarse change added there would flicker: L-BFGS's
        first steps at a coarse scale move a lot).

        Args:
            rgb: (H, W, 3) uint8 content picture.
            init: (1, 3, H, W) start image at full size; when None, the ``start``
                image if there is one, else ``--init``.
            extra: extra weighted loss terms, applied at every scale (an ``ExtraLoss``
                that accepts any size, see :func:`.temporal.temporal_extra`).
            iters: iterations at the finest scale; ``--iters`` when None.
            stop_early: False runs all iterations whatever ``--tolerance`` says.
            keep: (1, 1, H, W) in [0, 1], how much of ``init`` each finer scale keeps
                over the upsampled coarse result (e.g. the flow's reliability c).
            coarse: False skips the coarse scales (a start stylized everywhere, as in
                later passes, needs none).

        Returns:
            (1, 3, H, W) stylized image in [0, 1] on the device, and the last scale's result.
        """
        h, w = rgb.shape[:2]
        if min(h, w) < MIN_SIDE:
            raise InputError(
                f"content {w}x{h} is too small: each side must be at least {MIN_SIDE} px"
            )
        tile = self.tile_for(w, h)
        self.tiled = None
        if tile is not None and max(h, w) > tile and init is None and extra is None:
            from ..photo.tiles import stylize_tiled  # a picture larger than a tile

            image, result = stylize_tiled(self, rgb, iters, COARSE_SHARE, tile)
            self.tiled = tile  # after the coarse pass, which is whole
            return image, result
        o = self.options.optim
        torch.manual_seed(o.seed)
        if init is None and self.start is not None:
            init = self.start_image(rgb)
        iters = o.iters if iters is None else iters
        tolerance = o.tolerance if stop_early else 0.0
        sizes = scale_sizes(w, h, o.scales if coarse else 1)
        grey = self.options.style.preserve_color
        change: torch.Tensor | None = None  # result minus base at the previous scale
        for k, (sw, sh) in enumerate(sizes):
            last = k == len(sizes) - 1
            target, grams = self.content_at(rgb, sw, sh)
            base = target if init is None else fit(init, sh, sw)
            if grey:
                base = luminance(base).expand_as(base).contiguous()
            if change is None:
                start = self.initial(target) if init is None else base
            else:
                # Carry the coarse change, not the coarse picture: added to this scale's
                # base it keeps the fine detail an upsampled picture would blur.
                start = (base + upsample(change, sh, sw)).clamp(0, 1)
                if keep is not None:
                    start = torch.lerp(start, base, fit(keep, sh, sw))
            if grey:
                start = luminance(start).expand_as(start).contiguous()
            objective = self.objective(target, grams, extra)
            n = iters if last else max(1, round(iters * COARSE_SHARE))
            result = optimize(
                start, objective, n, o.optimizer, o.lr, tolerance, o.patience,
                self.on_step if self.on_iteration else None, k, len(sizes),
            )  # fmt: skip
            change = result.image - base
        image = result.image
        if grey:
            image = with_chroma_of(image, self.runtime.tensor(to_tensor(rgb)))
        return image, result

    def objective(
        self, content: torch.Tensor, targets: dict[str, torch.Tensor], extra: ExtraLoss | None
    ) -> Objective:
        """The loss of one scale: Gatys's, against the style ``targets`` of :meth:`grams`
        (the style swap's engine puts its own here, see ``vstyle.arbitrary.optimize``)."""
        style_term = None
        if self.photo is not None:
            extra = self.photo.extra(content, extra)
            style_term = self.photo.style_term(content)
        return GatysObjective(
            self.vgg, self.runtime, self.options.loss, content, targets, extra, style_term
        )

    def start_image(self, rgb: np.ndarray) -> torch.Tensor:
        """The ``start`` image of ``rgb`` on this device, (1, 3, H, W) in [0, 1]."""
        if self.start is None:
            raise ValueError("start_image needs a start (FrameOptimizer(start=...))")
        return self.runtime.tensor(self.start(rgb).clamp(0, 1))

    def content_at(
        self, rgb: np.ndarray, width: int, height: int
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The content target (1, 3, height, width) and the style Grams for that size.

        With ``--preserve-color`` the target is the content's luminance as grey RGB.
        """
        small = resize(rgb, width, height)
        content = self.runtime.tensor(to_tensor(small))
        if self.options.style.preserve_color:
            content = luminance(content).expand_as(content).contiguous()
        return content, self.grams(max(width, height), small)

    def __call__(self, frames: Iterable[Frame]) -> Iterator[Frame]:
        if self.photo is not None:
            frames = self.photo.ahead(frames)
        for frame in frames:
            start = time.perf_counter()
            if self.photo is not None:
                self.photo.select(frame.index)  # its own mask when the mask is a video
            image, result = self.stylize(frame.rgb)
            self.record(frame, result, time.perf_counter() - start)
            yield frame.with_rgb(to_array(image))

    def on_step(self, step: Step) -> None:
        """The loop's step as the engine-neutral progress event."""
        if self.on_iteration:
            self.on_iteration(
                IterationProgress(step.iteration, step.total, step.loss, step.scale, step.scales)
            )

    def record(self, frame: Frame, result: Result, seconds: float, pass_number: int = 1) -> None:
        """Hand one frame's losses, timing and pass to ``on_record``."""
        if self.on_record is None:
            return
        self.on_record(
            OptimizerRecord(
                frame.index, seconds, "optimize",
                iterations=result.iterations,
                loss=result.losses[-1] if result.losses else None,
                terms=dict(result.terms),
                stopped_early=result.stopped_early,
                pass_number=pass_number,
                tile=self.tiled,
            )
        )  # fmt: skip
