"""Temporal consistency losses of Ruder, Dosovitskiy & Brox (2016, 2018).

All are pure functions of tensors. ``warped`` is the stylized result of an
earlier frame brought onto the current frame's grid with
:func:`vstyle.flow.warp` and the backward flow; ``weight`` is the per-pixel
reliability c from :func:`vstyle.flow.reliability` (or a long-term weight).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


def short_term_loss(x: torch.Tensor, warped: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """(1/D) Σ c · (x − warped)², D = pixels × channels (Ruder et al., eq. 7).

    Args:
        x: (B, C, H, W) the image being optimized for frame ``i``.
        warped: (B, C, H, W) an earlier frame's result warped onto frame ``i``.
        weight: (B, 1, H, W) per-pixel weight c in [0, 1]; 0 removes a pixel.

    Returns:
        Scalar tensor, differentiable in ``x``.
    """
    if x.shape != warped.shape or weight.shape[-2:] != x.shape[-2:] or weight.shape[1] != 1:
        raise ValueError(
            f"short_term_loss needs x and warped of one shape and a (B, 1, H, W) weight; got "
            f"{tuple(x.shape)}, {tuple(warped.shape)}, {tuple(weight.shape)}"
        )
    return (weight * (x - warped).square()).sum() / x.numel()


def long_term_weights(reliabilities: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """Ties each pixel to its closest reliable earlier frames (Ruder et al., eq. 9).

    Follows Ruder's code (``closestFirst``), not the paper's formula: offsets are
    taken closest first and each gets what its reliability adds over the weights
    already handed out, ``c_long(i-j) = max(c(i-j) - Σ_{k<j} c_long(i-k), 0)``. The
    paper subtracts the raw ``Σ_{k<j} c(i-k)`` instead. Both agree for binary c; for
    soft c (see :func:`vstyle.flow.reliability`) the code's form makes the weights of
    a pixel sum to exactly ``max_j c(i-j)``, its best reliability, while the paper's
    can drop a fully reliable far frame behind two half-reliable near ones
    (c = 0.5, 0.5, 1 gives 0.5, 0, 0 by the paper, 0.5, 0, 0.5 by the code).

    Args:
        reliabilities: c(i-j, i) for the offsets j in increasing order, each
            (B, 1, H, W) in [0, 1].

    Returns:
        The long-term weights, same order and shapes: non-negative, closest first,
        summing per pixel to the largest c.
    """
    weights: list[torch.Tensor] = []
    given = torch.zeros_like(reliabilities[0]) if reliabilities else None
    for c in reliabilities:
        weight = (c - given).clamp_min(0)
        weights.append(weight)
        given = given + weight
    return weights


def long_term_loss(
    x: torch.Tensor, warped: Sequence[torch.Tensor], weights: Sequence[torch.Tensor]
) -> torch.Tensor:
    """Σ_j short_term_loss(x, warped_j, weights_j) (Ruder et al., eq. 10).

    Args:
        x: (B, C, H, W) the image being optimized for frame ``i``.
        warped: results of frames ``i-j`` warped onto frame ``i``, each (B, C, H, W).
        weights: matching :func:`long_term_weights`, each (B, 1, H, W).

    Returns:
        Scalar tensor; zero when there are no earlier frames.
    """
    if len(warped) != len(weights):
        raise ValueError(
            f"long_term_loss got {len(warped)} warped frames for {len(weights)} weights"
        )
    total = x.new_zeros(())
    for w, c in zip(warped, weights, strict=True):
        total = total + short_term_loss(x, w, c)
    return total
