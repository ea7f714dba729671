"""The Gatys objective for one image: content, style and TV terms, plus any
extra terms a caller adds (the temporal losses of the video engine).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..device import Runtime
from ..frames import to_tensor
from ..io.image import resize
from ..losses.gatys import content_loss, gram, style_loss, tv_loss
from ..nets.vgg import VGGFeatures
from ..options import LossOptions

ExtraLoss = Callable[[torch.Tensor], dict[str, torch.Tensor]]
# VGG features by layer -> unweighted style loss, in place of the Gram loss against
# ``grams`` (the region masks of vstyle.photo take the style region by region).
StyleTerm = Callable[[dict[str, torch.Tensor]], torch.Tensor]


def style_grams(
    vgg: VGGFeatures,
    runtime: Runtime,
    styles: Sequence[np.ndarray],
    weights: Sequence[float],
    layers: Sequence[str],
    long_side: int,
) -> dict[str, torch.Tensor]:
    """Blended target Gram matrices of the style pictures.

    Args:
        styles: (H, W, 3) uint8 RGB pictures.
        weights: blend weight of each, summing to 1.
        long_side: each style is resized so its long side has this many pixels.

    Returns:
        layer -> (1, C, C) fp32 Σ wᵢ G(sᵢ).
    """
    blended: dict[str, torch.Tensor] = {}
    for rgb, w in zip(styles, weights, strict=True):
        h, wd = rgb.shape[:2]
        scale = long_side / max(h, wd)
        picture = resize(rgb, max(1, round(wd * scale)), max(1, round(h * scale)))
        with torch.no_grad(), runtime.autocast():
            feats = vgg(runtime.tensor(to_tensor(picture)))
        for name in layers:
            g = gram(feats[name]) * w
            blended[name] = blended[name] + g if name in blended else g
    return blended


class GatysObjective:
    """loss(x) = α·content + β·style + γ·TV (+ extra terms), with named parts.

    Args:
        vgg: features with every content and style layer as a tap.
        runtime: device and precision (autocast for VGG; Grams and losses fp32).
        options: weights, layers and distance kind.
        content: (1, 3, H, W) content picture in [0, 1].
        grams: target Gram matrices from :func:`style_grams`.
        extra: optional image -> named weighted terms to add (already weighted).
        style_term: optional features -> style loss replacing the one against ``grams``.
    """

    def __init__(
        self,
        vgg: VGGFeatures,
        runtime: Runtime,
        options: LossOptions,
        content: torch.Tensor,
        grams: dict[str, torch.Tensor],
        extra: ExtraLoss | None = None,
        style_term: StyleTerm | None = None,
    ) -> None:
        self.vgg, self.runtime, self.options, self.extra = vgg, runtime, options, extra
        self.style_term = style_term
        self.grams = grams
        with torch.no_grad(), runtime.autocast():
            feats = vgg(content)
        self.content_targets = {n: feats[n].float() for n in options.content_layers}
        lw = options.style_layer_weights
        total = sum(lw) if lw else 0.0
        self.layer_weights = (
            {n: w / total for n, w in zip(options.style_layers, lw, strict=True)} if lw else None
        )

    def __call__(self, x: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        o = self.options
        with self.runtime.autocast():
            feats = self.vgg(x.contiguous(memory_format=self.runtime.memory_format))
        if self.style_term is not None:
            style = self.style_term(feats)
        else:
            style = style_loss(feats, self.grams, self.layer_weights, o.kind)
        parts = {
            "content": o.content_weight * content_loss(feats, self.content_targets, o.kind),
            "style": o.style_weight * style,
            "tv": o.tv_weight * tv_loss(x.float()),
        }
        if self.extra is not None:
            parts.update(self.extra(x))
        values = torch.stack(list(parts.values()))
        # One device-to-host copy for all the named terms, not one sync per term.
        return values.sum(), dict(zip(parts, values.detach().tolist(), strict=True))


def upsample(image: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Bilinear resize of a (1, 3, h, w) image to (1, 3, height, width)."""
    if image.shape[-2:] == (height, width):
        return image
    return F.interpolate(image, size=(height, width), mode="bilinear", align_corners=False)
