"""The two arbitrary-style operations on VGG activations, as pure functions.

Style swap (Chen & Schmidt 2016): every 3x3 patch of the content's activations is
replaced by the style patch it correlates with best (cosine similarity), and the
overlapping patches are averaged back into a map. AdaIN (Huang & Belongie 2017):
the content's per-channel mean and spread are replaced by the style's.

Style patches and statistics depend on the style only, so callers compute them once
per run (:func:`style_patches`, :func:`channel_stats`) and reuse them every frame.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from ..errors import InputError

PATCH = 3  # the paper's patch size: 3x3 at relu3_1
CHUNK = 4096  # style patches per correlation: bounds memory at (B, CHUNK, H, W) scores
EPS = 1e-5


def style_patches(features: Sequence[torch.Tensor], size: int = PATCH) -> torch.Tensor:
    """All ``size`` x ``size`` patches, stride 1, of one or more style activation maps, pooled.

    Args:
        features: each (1, C, Hs, Ws) with Hs, Ws >= ``size``; the same C for all.

    Raises:
        InputError: a map is smaller than a patch.

    Returns:
        (N, C, size, size), N = Σ (Hs - size + 1)(Ws - size + 1): the patches as
        convolution filters, in the maps' order, row-major within each.
    """
    pooled = []
    for f in features:
        c, h, w = f.shape[1:]
        if min(h, w) < size:
            raise InputError(
                f"a style picture's activations are {w}x{h}, smaller than the {size}x{size} "
                "patches the swap takes; use a larger style picture or --style-size"
            )
        cols = F.unfold(f.float(), size)  # (1, C*size*size, L)
        pooled.append(cols[0].t().reshape(-1, c, size, size))
    return torch.cat(pooled)


def style_swap(content: torch.Tensor, patches: torch.Tensor, chunk: int = CHUNK) -> torch.Tensor:
    """Swap each patch of ``content`` for its most similar style patch (Chen & Schmidt 2016).

    The style patches, divided by their norms, are correlated with the content as the
    filters of a convolution; each position keeps its best patch (a one-hot map), and
    a transposed convolution with the raw patches pastes them back, divided by how many
    patches cover each pixel. Patches go through ``chunk`` at a time with a running
    best, so memory is bounded by ``chunk`` score maps whatever the style's size, and
    the result does not depend on ``chunk`` (ties keep the first patch either way).

    Args:
        content: (B, C, H, W) activations, H and W >= the patch size.
        patches: (N, C, k, k) from :func:`style_patches`.
        chunk: style patches per convolution.

    Returns:
        (B, C, H, W) float32 swapped activations.
    """
    x = content.float()
    index = best_patches(x, patches, chunk)
    return rebuild(index, patches.to(x), chunk) / overlap_count(
        index.shape[-2:], patches.shape[-1], x
    )


def best_patches(content: torch.Tensor, patches: torch.Tensor, chunk: int = CHUNK) -> torch.Tensor:
    """Index of the style patch most similar (cosine) to each content patch.

    Args:
        content: (B, C, H, W) activations.
        patches: (N, C, k, k) style patches.

    Returns:
        (B, 1, H-k+1, W-k+1) int64 indices into ``patches``.
    """
    x = content.float()
    patches = patches.to(x)
    normed = patches / patches.flatten(1).norm(dim=1).clamp_min(EPS).view(-1, 1, 1, 1)
    best, best_index = F.conv2d(x, normed[:chunk]).max(dim=1, keepdim=True)
    for start in range(chunk, len(patches), chunk):
        scores = F.conv2d(x, normed[start : start + chunk])  # (B, n, H-k+1, W-k+1)
        value, index = scores.max(dim=1, keepdim=True)
        better = value > best  # strict: an earlier chunk wins a tie, as argmax does
        best = torch.where(better, value, best)
        best_index = torch.where(better, index + start, best_index)
    return best_index


def rebuild(index: torch.Tensor, patches: torch.Tensor, chunk: int = CHUNK) -> torch.Tensor:
    """Paste the indexed patches back: a transposed convolution of their one-hot map.

    Args:
        index: (B, 1, h, w) from :func:`best_patches`.
        patches: (N, C, k, k).

    Returns:
        (B, C, h+k-1, w+k-1), the *sum* of the overlapping patches at each pixel.
    """
    b, _, h, w = index.shape
    n, c, k, _ = patches.shape
    out = patches.new_zeros(b, c, h + k - 1, w + k - 1)
    for start in range(0, n, chunk):
        ids = torch.arange(start, min(start + chunk, n), device=index.device)
        one_hot = (index == ids.view(1, -1, 1, 1)).to(patches.dtype)
        out = out + F.conv_transpose2d(one_hot, patches[start : start + chunk])
    return out


def overlap_count(positions: Sequence[int], k: int, like: torch.Tensor) -> torch.Tensor:
    """(1, 1, H, W) how many k x k patches at the (h, w) ``positions`` cover each pixel."""
    ones = like.new_ones(1, 1, *positions)
    return F.conv_transpose2d(ones, like.new_ones(1, 1, k, k))


def channel_stats(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and standard deviation over positions.

    Args:
        features: (B, C, H, W).

    Returns:
        mean, std: each (B, C, 1, 1) float32 (std with ``EPS`` added under the root).
    """
    f = features.float()
    mean = f.mean(dim=(2, 3), keepdim=True)
    std = (f.var(dim=(2, 3), keepdim=True, unbiased=False) + EPS).sqrt()
    return mean, std


def adain(
    content: torch.Tensor, mean: torch.Tensor, std: torch.Tensor, alpha: float = 1.0
) -> torch.Tensor:
    """Adaptive instance normalization: ``content`` with the style's channel statistics.

    Args:
        content: (B, C, H, W) activations.
        mean, std: (1 or B, C, 1, 1) the style's, from :func:`channel_stats` (a blend of
            styles is the weighted mean of their statistics: AdaIN is affine in them).
        alpha: 1 is the full style, 0 the content's own activations.

    Returns:
        (B, C, H, W) float32.
    """
    c_mean, c_std = channel_stats(content)
    styled = (content.float() - c_mean) / c_std * std + mean
    return blend(content, styled, alpha)


def blend(content: torch.Tensor, styled: torch.Tensor, alpha: float) -> torch.Tensor:
    """``alpha`` of the way from the content's activations to the styled ones (float32)."""
    if alpha == 1.0:
        return styled
    return torch.lerp(content.float(), styled, alpha)
