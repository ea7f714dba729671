"""What the streaming pass and the multi-pass refinement share: the temporal loss as an
extra term at any scale, the reliability-weighted start, and the quantized chain.

Kept apart from :mod:`.video` and :mod:`.multipass` so neither imports the other.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..device import Runtime
from ..frames import to_tensor
from ..losses.temporal import long_term_loss
from ..options import Options
from .objective import ExtraLoss
from .stylizer import fit, luminance


def quantized(rgb: np.ndarray, runtime: Runtime) -> torch.Tensor:
    """(H, W, 3) uint8 -> (1, 3, H, W) on the device: what the temporal chain continues from."""
    return runtime.tensor(to_tensor(rgb))


def temporal_on(options: Options, pass_number: int) -> bool:
    """Temporal losses apply from pass ceil(N/2) on (every pass when N <= 2)."""
    t = options.temporal
    return t.weight > 0 and 2 * pass_number >= t.passes


def temporal_extra(
    warped: Sequence[torch.Tensor], weights: Sequence[torch.Tensor], weight: float, grey: bool
) -> ExtraLoss:
    """The weighted temporal term as an ``extra`` loss for :meth:`FrameOptimizer.stylize`.

    It applies at every scale of ``--scales``: targets and weights are resized (with
    antialiasing, so a coarse weight is the share of reliable pixels it covers) to the
    size of the image being optimized, once per size.

    Args:
        warped: earlier results on this frame's grid, each (1, 3, H, W).
        weights: per-pixel weights, each (1, 1, H, W); they sum to <= 1 in the streaming
            pass (long-term weights) and to <= 2 in later passes (both neighbours).
        weight: ``--temporal-weight``.
        grey: compare luminance only (``--preserve-color`` optimizes a grey picture).
    """
    if grey:
        warped = [luminance(w).expand_as(w) for w in warped]
    cache: dict[tuple[int, int], tuple[list[torch.Tensor], list[torch.Tensor]]] = {}

    def extra(x: torch.Tensor) -> dict[str, torch.Tensor]:
        h, w = x.shape[-2:]
        if (h, w) not in cache:
            cache[(h, w)] = ([fit(t, h, w) for t in warped], [fit(c, h, w) for c in weights])
        targets, masks = cache[(h, w)]
        return {"temporal": weight * long_term_loss(x, targets, masks)}

    return extra


def fill_unreliable(
    content: torch.Tensor, warped: torch.Tensor, c: torch.Tensor, levels: int = 8
) -> torch.Tensor:
    """The start for frame ``i``: the warped result where reliable, a stylized guess elsewhere.

    The guess carries the *stylization* (warped result minus content) of the reliable
    neighbours into the unreliable pixels by push-pull (normalized convolution over a
    pyramid), and adds it to this frame's content. Revealed regions thus start as
    stylized as their surroundings with this frame's structure, instead of as the raw
    content (which iterations at the normal count never fully stylize) or as the
    warped result (which repeats whatever covered them in the previous frame).

    Args:
        content: (1, 3, H, W) this frame in [0, 1].
        warped: (1, 3, H, W) the previous result warped onto this frame.
        c: (1, 1, H, W) reliability in [0, 1].
        levels: pyramid depth (2^levels px is the widest gap filled from its rim).

    Returns:
        (1, 3, H, W) in [0, 1]; equal to ``warped`` where c = 1.
    """
    change = push_pull(warped - content, c, levels)
    guess = (content + change).clamp(0, 1)
    return torch.lerp(guess, warped, c)


def push_pull(values: torch.Tensor, weight: torch.Tensor, levels: int) -> torch.Tensor:
    """Fill low-weight pixels of (1, C, H, W) ``values`` from weighted neighbours.

    Push: average ``weight * values`` and ``weight`` over 2x2 blocks, level by level.
    Pull: from the coarsest level down, each level keeps its own average where its
    weight is 1 and takes the coarser level's elsewhere, in proportion.
    """
    num, den = [values * weight], [weight]
    for _ in range(levels):
        if min(num[-1].shape[-2:]) < 2:
            break
        num.append(F.avg_pool2d(num[-1], 2, ceil_mode=True))
        den.append(F.avg_pool2d(den[-1], 2, ceil_mode=True))
    filled = num[-1] / den[-1].clamp_min(1e-6)
    for n, d in zip(reversed(num[:-1]), reversed(den[:-1]), strict=True):
        coarse = F.interpolate(filled, size=n.shape[-2:], mode="bilinear", align_corners=False)
        own = n / d.clamp_min(1e-6)
        trust = d.clamp(0, 1)
        filled = trust * own + (1 - trust) * coarse
    return filled
