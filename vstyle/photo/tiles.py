"""Pictures of any size: a coarse whole-picture pass, then tiles at full size.

The whole picture is first stylized at ``--tile`` px on its long side, which fixes
the global composition (where the style's large shapes go). That result, upsampled,
starts every tile; each tile is then refined at full resolution against the style
statistics of the whole picture (the Grams for the full size, not the tile's), and
the tiles are blended with linear feathers across their ``--tile-overlap``, so
neighbours that disagree slightly meet without a step. Only one tile's VGG
activations are ever on the device; the picture itself is assembled on the CPU.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import torch

from ..device import Runtime
from ..frames import to_tensor
from ..io.image import resize
from ..nets.vgg import VGGFeatures
from ..optimize.loop import Result, optimize
from ..optimize.objective import GatysObjective, style_grams, upsample
from ..optimize.sizes import MIN_SIDE
from ..options import Options
from .terms import PhotoTerms


class FrameOptimizer(Protocol):
    """What tiling uses of :class:`vstyle.optimize.stylizer.FrameOptimizer` (which imports
    this module: naming the class here would close an import circle)."""

    options: Options
    runtime: Runtime
    vgg: VGGFeatures
    photo: PhotoTerms | None

    def stylize(self, rgb: np.ndarray, *, iters: int | None = None) -> tuple[torch.Tensor, Any]: ...

    def grams(self, long_side: int, content: np.ndarray) -> dict[str, torch.Tensor]: ...

    def style_pictures(self, content: np.ndarray) -> list[np.ndarray]: ...


def fitted_overlap(overlap: int, tile: int) -> int:
    """``--tile-overlap`` for tiles of ``tile`` px: a tile chosen for ``--max-memory`` may
    be too small for it (half a tile or more), and then gets a quarter tile."""
    return overlap if 2 * overlap < tile else tile // 4


def starts(length: int, tile: int, overlap: int) -> list[int]:
    """Tile starts along one side: steps of ``tile - overlap``, the last flush with the end."""
    if length <= tile:
        return [0]
    step = tile - overlap
    out = list(range(0, length - tile, step))
    return [*out, length - tile]


def feather(length: int, start: int, tile: int, total: int, overlap: int) -> torch.Tensor:
    """(tile,) blending weights: linear ramps over ``overlap`` at inner edges, 1 elsewhere."""
    w = torch.ones(length)
    if overlap <= 0:
        return w
    ramp = (torch.arange(overlap, dtype=torch.float32) + 0.5) / overlap
    if start > 0:
        w[:overlap] = ramp
    if start + tile < total:
        w[-overlap:] = torch.minimum(w[-overlap:], ramp.flip(0))
    return w


def boxes(height: int, width: int, tile: int, overlap: int) -> list[tuple[int, int, int, int]]:
    """(y0, y1, x0, x1) of every tile covering the picture."""
    return [
        (y, min(y + tile, height), x, min(x + tile, width))
        for y in starts(height, tile, overlap)
        for x in starts(width, tile, overlap)
    ]


def whole_grams(
    opt: FrameOptimizer, rgb: np.ndarray, tile: int, piece: int | None = None
) -> dict[str, torch.Tensor]:
    """The style Grams for the full picture's size, taken tile by tile.

    A Gram matrix is a mean over positions, so the style resized to the full size
    (possibly 4000 px, whose VGG activations would not fit) gives nearly the same
    Grams as the area-weighted mean of its pieces' (they differ only at the pieces'
    borders). Pieces are twice the tile's side (fewer borders) for a ``--tile`` given,
    the tile's side for one chosen for ``--max-memory``: VGG at twice the side, even
    without gradients, took a 2000x1500 run with a 768 px tile chosen for 2GiB to a
    2.7 GiB peak RSS (tests/photo/test_large.py).
    """
    o = opt.options
    side = max(MIN_SIDE, round(max(rgb.shape[:2]) * o.style.scale))
    piece = 2 * tile if piece is None else piece
    if side <= piece:
        return opt.grams(max(rgb.shape[:2]), rgb)
    styles = opt.style_pictures(rgb)
    out: dict[str, torch.Tensor] = {}
    for style, weight in zip(styles, o.style.weights, strict=True):
        sh, sw = style.shape[:2]
        scale = side / max(sh, sw)
        big = resize(style, max(1, round(sw * scale)), max(1, round(sh * scale)))
        area = big.shape[0] * big.shape[1]
        for y0, y1, x0, x1 in boxes(*big.shape[:2], piece, 0):
            crop = np.ascontiguousarray(big[y0:y1, x0:x1])
            layers = o.loss.style_layers
            part = style_grams(opt.vgg, opt.runtime, [crop], [1.0], layers, max(crop.shape[:2]))
            share = weight * (y1 - y0) * (x1 - x0) / area
            for name, g in part.items():
                out[name] = out[name] + share * g if name in out else share * g
    return out


def stylize_tiled(
    opt: FrameOptimizer,
    rgb: np.ndarray,
    iters: int | None = None,
    coarse_share: float = 0.25,
    tile: int | None = None,
) -> tuple[torch.Tensor, Result]:
    """Stylize a picture larger than ``--tile``: coarse whole pass, then feathered tiles.

    Args:
        opt: the optimizer (its VGG, style, options and photo terms).
        rgb: (H, W, 3) uint8 content, long side over ``--tile``.
        iters: iterations of each tile (``--iters`` when None); the coarse pass gets
            ``coarse_share`` of them (the stylizer's share for its coarse scales).
        tile: the tile side; ``--tile`` when None. A tile chosen for ``--max-memory``
            may be too small for ``--tile-overlap`` (half a tile or more): the overlap
            is then a quarter tile.

    Returns:
        (1, 3, H, W) in [0, 1] on the device, and the last tile's result.
    """
    p, o, runtime = opt.options.photo, opt.options.optim, opt.runtime
    tile = p.tile if tile is None else tile
    overlap = fitted_overlap(p.tile_overlap, tile)
    h, w = rgb.shape[:2]
    iters = o.iters if iters is None else iters
    scale = tile / max(h, w)
    small = resize(rgb, max(1, round(w * scale)), max(1, round(h * scale)))
    # As between the scales of FrameOptimizer.stylize: the coarse pass gets a share of
    # the iterations, and the tiles start from the content plus its upsampled change
    # (an upsampled picture would lose the content's fine detail).
    coarse, result = opt.stylize(small, iters=max(1, round(iters * coarse_share)))
    change = upsample(coarse - runtime.tensor(to_tensor(small)), h, w).cpu()
    # The whole picture's style statistics; in pieces of one tile within --max-memory.
    grams = whole_grams(opt, rgb, tile, None if p.tile is not None else tile)
    total = torch.zeros(1, 3, h, w)
    weight = torch.zeros(1, 1, h, w)
    for y0, y1, x0, x1 in boxes(h, w, tile, overlap):
        content = runtime.tensor(to_tensor(np.ascontiguousarray(rgb[y0:y1, x0:x1])))
        extra, style_term = None, None
        if opt.photo is not None:
            extra = opt.photo.extra(content, None)
            style_term = opt.photo.style_term(content, (h, w), (y0, y1, x0, x1))
        objective = GatysObjective(
            opt.vgg, runtime, opt.options.loss, content, grams, extra, style_term
        )
        start = (content + runtime.tensor(change[..., y0:y1, x0:x1])).clamp(0, 1)
        result = optimize(start, objective, iters, o.optimizer, o.lr, o.tolerance, o.patience)
        ramp = feather(y1 - y0, y0, tile, h, overlap)[:, None] * feather(
            x1 - x0, x0, tile, w, overlap
        )
        total[..., y0:y1, x0:x1] += result.image.float().cpu() * ramp
        weight[..., y0:y1, x0:x1] += ramp
    return runtime.tensor(total / weight), result
