"""What an arbitrary-style op needs of the style pictures, computed once per run.

For the swap, the 3x3 patches of every style's activations (pooled into one bank, or
one bank per style when ``--style-blend`` weighs them); for AdaIN, the channel means
and spreads (blended by weight: AdaIN is affine in them). Frames then only encode,
apply (:meth:`StyleTarget.apply`) and decode or optimize.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ..device import Runtime
from ..frames import to_tensor
from ..io.image import resize
from .ops import CHUNK, adain, blend, channel_stats, style_patches, style_swap

Encoder = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class StyleTarget:
    """The styles, ready for the op.

    Attributes:
        op: ``swap`` or ``adain``.
        patches: swap: one (N, C, 3, 3) bank per group (all styles pooled in one group
            unless blend weights were given); empty for AdaIN.
        weights: each group's weight (summing to 1).
        mean, std: AdaIN: (1, C, 1, 1) blended statistics; None for the swap.
    """

    op: str
    patches: tuple[torch.Tensor, ...] = ()
    weights: tuple[float, ...] = (1.0,)
    mean: torch.Tensor | None = None
    std: torch.Tensor | None = None

    def apply(self, features: torch.Tensor, alpha: float = 1.0, chunk: int = CHUNK) -> torch.Tensor:
        """The styled activations of ``features`` (B, C, H, W) -> (B, C, H, W) float32."""
        if self.mean is not None and self.std is not None:
            return adain(features, self.mean, self.std, alpha)
        swapped = sum(
            w * style_swap(features, p, chunk)
            for w, p in zip(self.weights, self.patches, strict=True)
        )
        return blend(features, swapped, alpha)


def capped(rgb: np.ndarray, long_side: int) -> np.ndarray:
    """``rgb`` (H, W, 3) shrunk so its long side is at most ``long_side`` (never enlarged)."""
    h, w = rgb.shape[:2]
    if max(h, w) <= long_side:
        return rgb
    f = long_side / max(h, w)
    return resize(rgb, max(1, round(w * f)), max(1, round(h * f)))


def style_target(
    encoder: Encoder,
    runtime: Runtime,
    styles: Sequence[np.ndarray],
    op: str,
    weights: Sequence[float] | None = None,
    style_size: int = 512,
) -> StyleTarget:
    """Encode the style pictures once and keep what ``op`` needs.

    Args:
        encoder: (1, 3, H, W) in [0, 1] -> (1, C, h, w) activations at the op's layer.
        styles: (H, W, 3) uint8 pictures.
        op: ``swap`` or ``adain``.
        weights: blend weights summing to 1, or None: swap patches pooled from all
            styles, AdaIN statistics averaged.
        style_size: each style's long side is capped at this many pixels.

    Raises:
        InputError: a style too small for the swap's patches at the layer.
    """
    feats = []
    with torch.no_grad():
        for rgb in styles:
            with runtime.autocast():
                f = encoder(runtime.tensor(to_tensor(capped(rgb, style_size))))
            feats.append(f.float())
    shares = tuple(weights) if weights is not None else tuple(1 / len(feats) for _ in feats)
    if op == "adain":
        stats = [channel_stats(f) for f in feats]
        mean = sum(w * m for w, (m, _) in zip(shares, stats, strict=True))
        std = sum(w * s for w, (_, s) in zip(shares, stats, strict=True))
        return StyleTarget(op, mean=mean, std=std)  # type: ignore[arg-type]
    if weights is None:
        return StyleTarget(op, (style_patches(feats),))
    return StyleTarget(op, tuple(style_patches([f]) for f in feats), shares)
