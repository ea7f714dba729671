"""Per-pixel reliability of a flow, as in Ruder, Dosovitskiy & Brox (2016, 2018).

For frame ``i`` with flows between ``i-1`` and ``i``: ``backward`` (ŵ) lives on
frame ``i``'s grid and points into ``i-1``; ``forward`` (w) lives on ``i-1``'s grid.
w̃ is the forward flow brought to frame ``i``'s grid by the backward flow. A pixel
is unreliable (c = 0) where

* forward and backward disagree (disocclusion):
  |w̃ + ŵ|² > 0.01 (|w̃|² + |ŵ|²) + 0.5,
* it sits on a motion boundary: |∇û|² + |∇v̂|² > 0.01 |ŵ|² + 0.002,
* the backward flow leaves the frame.
"""

from __future__ import annotations

import torch
from kornia.filters import spatial_gradient

from .warp import inside, warp


def _sq(flow: torch.Tensor) -> torch.Tensor:
    """(B, 2, H, W) -> squared length (B, 1, H, W)."""
    return flow.square().sum(1, keepdim=True)


def disocclusion(forward: torch.Tensor, backward: torch.Tensor) -> torch.Tensor:
    """Forward-backward consistency check failures, on ``backward``'s grid.

    Args:
        forward: (B, 2, H, W) flow from frame ``i-1`` to ``i``.
        backward: (B, 2, H, W) flow from frame ``i`` to ``i-1``.

    Returns:
        (B, 1, H, W) bool, True where the round trip does not come back.
    """
    # Zero padding: a forward flow read from outside the frame is meaningless anyway,
    # and those pixels are caught by the leaves-the-frame test.
    w_tilde = warp(forward, backward, padding_mode="zeros")
    return _sq(w_tilde + backward) > 0.01 * (_sq(w_tilde) + _sq(backward)) + 0.5


def motion_boundary(backward: torch.Tensor) -> torch.Tensor:
    """Where the backward flow changes fast relative to its own size.

    Args:
        backward: (B, 2, H, W) flow.

    Returns:
        (B, 1, H, W) bool, True on motion boundaries.
    """
    # Central differences, (f(x+1) - f(x-1)) / 2, as Ruder's consistencyChecker.
    grad = spatial_gradient(backward, mode="diff", order=1, normalized=True)  # (B, 2, 2, H, W)
    return grad.square().sum((1, 2)).unsqueeze(1) > 0.01 * _sq(backward) + 0.002


def reliability(forward: torch.Tensor, backward: torch.Tensor) -> torch.Tensor:
    """Ruder's per-pixel weight c for frame ``i``: 1 reliable, 0 unreliable.

    Args:
        forward: (B, 2, H, W) flow from frame ``i-j`` to ``i``.
        backward: (B, 2, H, W) flow from frame ``i`` to ``i-j``.

    Returns:
        (B, 1, H, W) float in {0, 1}, on ``backward``'s grid (frame ``i``).
    """
    bad = disocclusion(forward, backward) | motion_boundary(backward) | ~inside(backward)
    return (~bad).to(backward.dtype)
