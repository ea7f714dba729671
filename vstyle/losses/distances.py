"""Style and content distances for evaluation (metrics, tests, benchmarks).

They use the same normalized terms as the optimization losses, unweighted, so
numbers are comparable across weights files and picture sizes.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ..nets.vgg import VGGFeatures
from ..options import DEFAULT_CONTENT_LAYERS, DEFAULT_STYLE_LAYERS
from .gatys import content_loss, gram, style_loss


@torch.no_grad()
def style_distance(
    image: torch.Tensor,
    style: torch.Tensor,
    features: VGGFeatures,
    layers: Sequence[str] = DEFAULT_STYLE_LAYERS,
) -> float:
    """Mean scaled Gram distance between an image and a style picture.

    Args:
        image: (1, 3, H, W) in [0, 1].
        style: (1, 3, H', W') in [0, 1]; any size (Grams are size-independent).
        features: VGG with every layer in ``layers`` as a tap.
    """
    fi, fs = features(image), features(style)
    grams = {name: gram(fs[name]) for name in layers}
    return float(style_loss(fi, grams))


@torch.no_grad()
def content_distance(
    image: torch.Tensor,
    content: torch.Tensor,
    features: VGGFeatures,
    layers: Sequence[str] = DEFAULT_CONTENT_LAYERS,
) -> float:
    """Scaled feature distance between an image and its content picture (same size).

    Args:
        image, content: (1, 3, H, W) in [0, 1].
        features: VGG with every layer in ``layers`` as a tap.
    """
    fi, fc = features(image), features(content)
    return float(content_loss(fi, {name: fc[name] for name in layers}))
