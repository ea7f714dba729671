"""Per-pixel reliability of a flow, as in Ruder, Dosovitskiy & Brox (2016, 2018).

For frame ``i`` with flows between ``i-1`` and ``i``: ``backward`` (ŵ) lives on
frame ``i``'s grid and points into ``i-1``; ``forward`` (w) lives on ``i-1``'s grid.
w̃ is the forward flow brought to frame ``i``'s grid by the backward flow. As Ruder's
``consistencyChecker`` does, each pixel first gets a hard label

* -1 where forward and backward disagree (disocclusion):
  |w̃ + ŵ|² > 0.01 (|w̃|² + |ŵ|²) + 0.5,
* 0 where the backward flow leaves the frame, or on a motion boundary:
  |∇û|² + |∇v̂|² > 0.01 |ŵ|² + 0.002,
* 1 elsewhere,

then the labels are blurred (Gaussian, sigma 0.8, 5x5) and clipped to [0, 1]. The -1
makes disocclusions grow outward by a pixel or two (the flow next to an occlusion is
rarely right either), motion boundaries and the frame edge get partial weight, and an
isolated -1 pixel among reliable ones ends at about 0.5 (one-pixel noise in the check
counts half). ``sigma=0`` gives the paper's binary c in {0, 1}.

Where a single "unreliable" mask is needed (metrics, benchmarks), it is ``c < 0.5``.

Ruder's paper and code agree on what is built from c only while c is binary. With soft
c, vstyle follows the code for the long-term weights (closest first, each offset adding
what its c exceeds the weights already given, so a pixel's weights sum to its best c;
see :func:`vstyle.losses.temporal.long_term_weights`) and the paper for the multi-pass
blend, ``x + δ c (warp(x_neighbour) - x)``, linear in c (the code's
``(x + c warp) / (1 + c)`` gives a half-reliable pixel 1/3 instead of δ c = 1/4 at
δ = 1/2), so that δ (``--pass-blend``) stays the blend at full reliability.
"""

from __future__ import annotations

import math

import torch
from kornia.filters import gaussian_blur2d, spatial_gradient

from .warp import inside, warp

SIGMA = 0.8  # Ruder's SMOOTH_STRENGH
UNRELIABLE = 0.5  # c below this counts as unreliable where a yes/no answer is needed


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


def labels(forward: torch.Tensor, backward: torch.Tensor) -> torch.Tensor:
    """Ruder's hard labels before smoothing: 1 reliable, 0 edge or outside, -1 disoccluded.

    Args:
        forward: (B, 2, H, W) flow from frame ``i-j`` to ``i``.
        backward: (B, 2, H, W) flow from frame ``i`` to ``i-j``.

    Returns:
        (B, 1, H, W) in {-1, 0, 1}, dtype of ``backward``, on frame ``i``'s grid.
    """
    out = inside(backward)
    # The checker tests "outside" first, then consistency, then motion edges.
    label = torch.where(~out, 0.0, torch.where(disocclusion(forward, backward), -1.0, 1.0))
    label = torch.where(out & (label > 0) & motion_boundary(backward), 0.0, label)
    return label.to(backward.dtype)


def reliability(
    forward: torch.Tensor, backward: torch.Tensor, sigma: float = SIGMA
) -> torch.Tensor:
    """Ruder's per-pixel weight c for frame ``i``: 1 reliable, 0 unreliable, soft between.

    Args:
        forward: (B, 2, H, W) flow from frame ``i-j`` to ``i``.
        backward: (B, 2, H, W) flow from frame ``i`` to ``i-j``.
        sigma: Gaussian blur of the labels in pixels (0.8, as Ruder's tools); 0 gives
            the binary c of the paper.

    Returns:
        (B, 1, H, W) float in [0, 1], on ``backward``'s grid (frame ``i``).
    """
    c = labels(forward, backward)
    if sigma > 0:
        # Truncated at 2 sigma and normalized, as Ruder's CSmooth(sigma, 2.0).
        k = 2 * math.ceil(2 * sigma) + 1
        c = gaussian_blur2d(c, (k, k), (sigma, sigma), border_type="replicate")
    return c.clamp(0, 1)
