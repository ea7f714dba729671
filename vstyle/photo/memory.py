"""How much memory the optimizer and the fast networks need, and the tile that fits a
budget (``--max-memory``).

Either peak grows linearly with the pixels worked on at once: for the optimizer the VGG
activations and their gradients through relu5_1, the L-BFGS state, the picture; for a
fast network its activations. A :class:`PeakModel` is that line,
``base + per_pixel * pixels``. A picture whose peak would exceed the budget is worked
on in square tiles of the largest side that fits beside the whole picture's own
buffers (:mod:`.tiles` for the optimizer, :mod:`.fast_tiles` for the networks).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

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
# The optimizer's state grows on top of that line, measured at one iteration: L-BFGS
# keeps two picture-sized vectors for each step it remembers (up to LBFGS_HISTORY).
# Peak RSS (fp32, fresh process, as above) rose by 364 MB from 1 to 40 iterations at
# 512x512 (36 B/px a step) and by 283 MB from 1 to 120 at 256x256 (44 B/px over the
# 99 steps remembered); the larger is planned on. At 100 iterations and more the
# optimizer needs 2450 + 4356 B/px: planned on one iteration's line, a 300-iteration run
# would have used up to 2.8x its estimate per pixel. Adam, SGD and the others keep at
# most two moments.
LBFGS_STEP_BYTES_PER_PIXEL = 44
MOMENTS_BYTES_PER_PIXEL = 24
# While tiles are refined the whole picture stays in memory several times over: the
# uint8 content and result, the float32 upsampled coarse change, the blended sum and
# its weights (3 + 3 + 12 + 12 + 4 B/px), rounded up for the decoder's and encoder's copies.
# The fast networks' tiled path keeps fewer (the float32 input, sum, weights and their
# quotient, the uint8 frames): a 3000x2000 picture peaked 37-46 B/px above a
# 2000x1500 one at the same --tile 256 and 512, so the same figure covers it.
WHOLE_BYTES_PER_PIXEL = 64
# The share of the budget planned on: a 2000x1500 run at --max-memory 2GiB with a tile
# filling it all peaked 3.4% over (malloc's slack, the coarse pass's scales, decode and
# encode), and at 0.9 of it still 0.4% over in a CI run; tests/photo/test_large.py
# checks the peak stays under.
PLAN_SHARE = 0.8
TILE_STEP = 32  # tile sides chosen automatically are multiples of this
MIN_TILE = 64  # as --tile's own minimum

# The fast networks (--model), measured on the same machine: peak RSS of a fresh
# process running the whole CLI on one square picture (--device cpu, so the net,
# decode and encode are all in it; MB = 10^6 B):
#
#   net (width)       engine       256 px   512 px   1024 px   B/px, 512 -> 1024
#   vstyle (1)        eager fp32      424      618      1406    1002
#   vstyle (1)        onnx fp32       638      691      1710    1296
#   vstyle (1)        eager bf16      378      501       892     497
#   lengstrom (1)     eager fp32      406      526       851     414
#   lengstrom (1)     onnx fp32       626      618      1309     879
#
# Eager fp32 inference alone (torch, the net, one forward in no_grad) gave 984 B/px for
# vstyle at width 1, 333 at 0.25 and 1980 at 2: the activations grow with the width. The
# line planned on is ONNX Runtime's, the largest (what --engine auto runs in fp32 on a
# CPU): 1300 B/px at width 1, scaled by the width above 1, and 650 MB at zero pixels
# (its export and session peak about there even at 256 px; the eager line's own base is
# about 355 MB). The tiled path runs eager in fp32, under this line.
FAST_PEAK_BYTES_PER_PIXEL = 1300
FAST_PEAK_BASE_BYTES = 650 * 1000**2


@dataclass(frozen=True)
class PeakModel:
    """A peak that grows linearly with the pixels worked on at once.

    Attributes:
        base: bytes at zero pixels (Python, torch, the weights).
        per_pixel: bytes each pixel adds.
        verb: what is done at once, for messages (``optimize``, ``run the network``).
    """

    base: int
    per_pixel: int
    verb: str

    def peak(self, pixels: int) -> int:
        """Estimated peak bytes of working on ``pixels`` at once."""
        return self.base + self.per_pixel * pixels

    def tile(self, width: int, height: int, budget: int, batch: int = 1) -> int | None:
        """The tile side for a picture (``batch`` of them at once when whole) that would
        not fit ``PLAN_SHARE`` of ``budget`` bytes, else None.

        A tile's peak is its own beside the whole picture's buffers
        (``WHOLE_BYTES_PER_PIXEL``); tiles are worked on one at a time.

        Raises:
            OptionError: not even the smallest tile fits the budget.
        """
        usable = int(budget * PLAN_SHARE)
        if self.peak(width * height * batch) <= usable:
            return None
        whole = WHOLE_BYTES_PER_PIXEL * width * height
        room = max(usable - self.base - whole, 0) / self.per_pixel
        side = int(math.isqrt(int(room)) // TILE_STEP * TILE_STEP)
        if side < MIN_TILE:
            need = (self.peak(MIN_TILE * MIN_TILE) + whole) / PLAN_SHARE
            raise OptionError(
                f"--max-memory {_text(budget)} is too small to {self.verb} a {width}x{height} "
                f"picture: even {MIN_TILE} px tiles need about {_text(int(need))}; raise it"
            )
        return side


def optimizer_model(optimizer: str = "lbfgs", iters: int = 1) -> PeakModel:
    """The peak line of ``optimizer`` (``--optimizer``) run for up to ``iters`` iterations
    on one picture or tile."""
    from ..optimize.loop import LBFGS_HISTORY

    if optimizer == "lbfgs":
        state = LBFGS_STEP_BYTES_PER_PIXEL * max(0, min(iters, LBFGS_HISTORY) - 1)
    else:
        state = MOMENTS_BYTES_PER_PIXEL
    return PeakModel(PEAK_BASE_BYTES, PEAK_BYTES_PER_PIXEL + state, "optimize")


def fast_model(net_width: float = 1.0) -> PeakModel:
    """The peak line of a fast network of channel multiplier ``net_width``."""
    per_pixel = math.ceil(FAST_PEAK_BYTES_PER_PIXEL * max(1.0, net_width))
    return PeakModel(FAST_PEAK_BASE_BYTES, per_pixel, "run the network on")


def peak_bytes(width: int, height: int, optimizer: str = "lbfgs", iters: int = 1) -> int:
    """Estimated peak bytes of optimizing a ``width`` x ``height`` picture at once."""
    return optimizer_model(optimizer, iters).peak(width * height)


def auto_tile(
    width: int, height: int, budget: int, optimizer: str = "lbfgs", iters: int = 1
) -> int | None:
    """The optimizer's tile side for a picture that would not fit ``budget`` bytes, else
    None (:meth:`PeakModel.tile`)."""
    return optimizer_model(optimizer, iters).tile(width, height, budget)


def fast_peak_bytes(width: int, height: int, net_width: float = 1.0, batch: int = 1) -> int:
    """Estimated peak bytes of a fast network run on ``batch`` whole pictures at once."""
    return fast_model(net_width).peak(width * height * batch)


def auto_fast_tile(
    width: int, height: int, budget: int, net_width: float = 1.0, batch: int = 1
) -> int | None:
    """A fast network's tile side for pictures whose whole run (``batch`` at once) would
    not fit ``budget`` bytes, else None. The tiled path takes its instance-norm
    statistics from the picture downscaled to the tile's side, so that pass fits too."""
    return fast_model(net_width).tile(width, height, budget, batch)


def _text(size: int) -> str:
    return f"{size / 1024**2:.0f}MiB"
