"""Style swap by optimization (Chen & Schmidt 2016, eq. 5): from the content, minimize

    ||Phi(I) - Phi_ss(C, S)||^2 + lambda TV(I)

where Phi is VGG up to ``--swap-layer`` (relu3_1) and Phi_ss the swapped activations.
The optimization engines (:mod:`vstyle.optimize`) do the rest: the loop, ``--optimizer``,
``--scales``, progress and, for video, the warped start, the temporal losses, passes
and ``--work-dir``. Only two of their parts change here: the style targets (the style
patches, computed once per run instead of Gram matrices) and the objective.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from ..device import Runtime
from ..losses.gatys import scaled_distance, tv_loss
from ..nets.vgg import VGGFeatures
from ..optimize.objective import ExtraLoss
from ..optimize.stylizer import FrameOptimizer, grey_matched
from ..optimize.video import VideoOptimizer
from ..options import Options
from ..records import OnIteration, OnRecord
from .target import StyleTarget, style_target


class SwapObjective:
    """loss(x) = w·||Phi(x) - Phi_ss(C, S)||² (scaled as the content loss) + γ·TV (+ extra).

    The swapped target is computed once, here, from the content.

    Args:
        vgg: features with ``layer`` as a tap.
        content: (1, 3, H, W) in [0, 1].
        target: the style patches from :func:`~.target.style_target`.
        weight: of the swap term (``--content-weight``); ``tv_weight`` of TV.
        extra: image -> named weighted terms to add (the temporal losses).
    """

    def __init__(
        self,
        vgg: VGGFeatures,
        runtime: Runtime,
        layer: str,
        content: torch.Tensor,
        target: StyleTarget,
        weights: tuple[float, float] = (1.0, 1.0),
        alpha: float = 1.0,
        extra: ExtraLoss | None = None,
    ) -> None:
        self.vgg, self.runtime, self.layer, self.extra = vgg, runtime, layer, extra
        self.weight, self.tv_weight = weights
        with torch.no_grad(), runtime.autocast():
            feats = vgg(content)[layer]
        with torch.no_grad():
            self.target = target.apply(feats, alpha)

    def __call__(self, x: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        with self.runtime.autocast():
            feats = self.vgg(x.contiguous(memory_format=self.runtime.memory_format))[self.layer]
        parts = {
            "swap": self.weight * scaled_distance(feats, self.target),
            "tv": self.tv_weight * tv_loss(x.float()),
        }
        if self.extra is not None:
            parts.update(self.extra(x))
        values = torch.stack(list(parts.values()))
        return values.sum(), dict(zip(parts, values.detach().tolist(), strict=True))


class SwapOptimizer(FrameOptimizer):
    """``--method swap`` on pictures and independent frames; mixed in before
    :class:`VideoOptimizer` it makes the video engine (:class:`SwapVideoOptimizer`)."""

    def __init__(
        self,
        options: Options,
        runtime: Runtime,
        on_record: OnRecord | None = None,
        on_iteration: OnIteration | None = None,
    ) -> None:
        # VGG only up to the swap layer: the engine builds it from the loss's layers.
        layers = (options.arbitrary.layer,)
        loss = replace(
            options.loss, content_layers=layers, style_layers=layers, style_layer_weights=None
        )
        super().__init__(replace(options, loss=loss), runtime, on_record, on_iteration)
        self._target: StyleTarget | None = None

    def grams(self, long_side: int, content: np.ndarray) -> StyleTarget:  # type: ignore[override]
        """The style patches, computed once per run whatever the content's size (with
        ``--preserve-color`` from the styles' luminance matched to the first content)."""
        if self._target is None:
            o, styles = self.options, self.styles
            if o.style.preserve_color:
                styles = [grey_matched(s, content) for s in styles]
            vgg, layer = self.vgg, o.arbitrary.layer
            self._target = style_target(
                lambda x: vgg(x)[layer], self.runtime, styles, "swap",
                o.style.blend and o.style.weights, o.arbitrary.style_size,
            )  # fmt: skip
        return self._target

    def objective(
        self, content: torch.Tensor, targets: StyleTarget, extra: ExtraLoss | None
    ) -> SwapObjective:
        o = self.options
        return SwapObjective(
            self.vgg, self.runtime, o.arbitrary.layer, content, targets,
            (o.loss.content_weight, o.loss.tv_weight), o.arbitrary.alpha, extra,
        )  # fmt: skip


class SwapVideoOptimizer(SwapOptimizer, VideoOptimizer):
    """``--method swap`` on video: the temporal engine of :mod:`vstyle.optimize.video`."""


def swap_optimizer(
    options: Options,
    runtime: Runtime,
    on_record: OnRecord | None,
    on_iteration: OnIteration | None,
    frame_count: int | None,
) -> FrameOptimizer:
    """The swap engine for one picture or a video (temporal unless ``--no-temporal``)."""
    cls = SwapOptimizer if frame_count == 1 else SwapVideoOptimizer
    return cls(options, runtime, on_record, on_iteration)
