"""How much memory the optimizer needs, and the tile that fits a budget (``--max-memory``).

The optimizer's peak grows linearly with the pixels it optimizes at once (VGG
activations and their gradients through relu5_1, the L-BFGS state, the picture):
``PEAK_BASE_BYTES + PEAK_BYTES_PER_PIXEL * pixels``. A picture whose peak would exceed
the budget is refined in square tiles (:mod:`.tiles`) of the largest side that fits.
"""

from __future__ import annotations

import logging
import math

from ..errors import OptionError

log = logging.getLogger(__name__)

# Measured on this project's CPU machine (fp32, torch 2, VGG-19 of shared/assets,
# --scales 1, one L-BFGS iteration, content init): peak RSS (resource.getrusage
# ru_maxrss of a fresh process, which includes Python, torch and the VGG weights)
# was 752.7 MB at 256x256 and 1233.0 MB at 512x512. The line through them gives
# 2443 B/px and 592.6 MB at zero pixels; both are rounded up here. A third run at
# 1024x1024 peaked at 3166.2 MB, where the line says 3154: the peak is linear in pixels. On CUDA the
# activations take about the same bytes per pixel in fp32 (less in fp16), so the
# same line is a cautious estimate there.
PEAK_BYTES_PER_PIXEL = 2450
PEAK_BASE_BYTES = 600 * 1000**2
# While tiles are refined the whole picture stays in memory several times over: the
# uint8 content and result, the float32 upsampled coarse change, the blended sum and
# its weights (3 + 3 + 12 + 12 + 4 B/px), rounded up for the decoder's and encoder's copies.
WHOLE_BYTES_PER_PIXEL = 64
# The share of the budget planned on: a 2000x1500 run at --max-memory 2GiB with a tile
# filling it all peaked 3.4% over (malloc's slack, the coarse pass's scales, decode and
# encode), and at 0.9 of it still 0.4% over in a CI run; tests/photo/test_large.py
# checks the peak stays under.
PLAN_SHARE = 0.8
TILE_STEP = 32  # tile sides chosen automatically are multiples of this
MIN_TILE = 64  # as --tile's own minimum


def peak_bytes(width: int, height: int) -> int:
    """Estimated peak bytes of optimizing a ``width`` x ``height`` picture at once."""
    return PEAK_BASE_BYTES + PEAK_BYTES_PER_PIXEL * width * height


def auto_tile(width: int, height: int, budget: int) -> int | None:
    """The tile side for a picture that would not fit ``PLAN_SHARE`` of ``budget`` bytes,
    else None.

    Raises:
        OptionError: not even the smallest tile fits the budget.
    """
    usable = int(budget * PLAN_SHARE)
    if peak_bytes(width, height) <= usable:
        return None
    whole = WHOLE_BYTES_PER_PIXEL * width * height
    room = max(usable - PEAK_BASE_BYTES - whole, 0) / PEAK_BYTES_PER_PIXEL
    side = int(math.isqrt(int(room)) // TILE_STEP * TILE_STEP)
    if side < MIN_TILE:
        raise OptionError(
            f"--max-memory {_text(budget)} is too small: even a {MIN_TILE} px tile needs "
            f"about {_text(peak_bytes(MIN_TILE, MIN_TILE))}; raise it"
        )
    return side


def _text(size: int) -> str:
    return f"{size / 1024**2:.0f}MiB"
