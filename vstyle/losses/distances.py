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
    return gram_distance(image, style_grams(style, features, layers), features)


@torch.no_grad()
def style_grams(
    style: torch.Tensor, features: VGGFeatures, layers: Sequence[str] = DEFAULT_STYLE_LAYERS
) -> dict[str, torch.Tensor]:
    """layer -> (1, C, C) Gram matrices of a (1, 3, H, W) style picture, to compare many
    images against one style without recomputing them."""
    fs = features(style)
    return {name: gram(fs[name]) for name in layers}


@torch.no_grad()
def gram_distance(
    image: torch.Tensor, grams: dict[str, torch.Tensor], features: VGGFeatures
) -> float:
    """:func:`style_distance` against precomputed :func:`style_grams`."""
    return float(style_loss(features(image), grams))


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
