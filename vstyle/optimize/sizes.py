"""Sizes the optimization engine works at, checked before any work.

VGG halves a picture at each 2x2 pool, and a pool of a 1-pixel side leaves nothing:
a tap behind ``p`` pools needs every side of its input to be at least ``2**p``
pixels (16 for ``relu5_1``). The content is optimized at each ``--scales`` size
and each style is scaled to the content's long side times ``--style-scale``, so
both are checked at every scale, before the first frame, by :func:`check_sizes`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..errors import OptionError
from ..io.image import read_image
from ..nets.vgg import LAYER_INDEX, LAYER_NAMES
from ..options import Options

MIN_SIDE = 16  # relu5_1 sits behind four 2x pools; smaller scales are raised to this
MAX_STYLE_SIDE = 16384  # a style scaled beyond this is a typo in --style-scale


def scale_sizes(width: int, height: int, scales: int) -> list[tuple[int, int]]:
    """(width, height) of each scale, coarsest first, halving per level, sides >= MIN_SIDE."""
    sizes = []
    for k in range(scales - 1, -1, -1):
        f = 0.5**k
        sizes.append((max(MIN_SIDE, round(width * f)), max(MIN_SIDE, round(height * f))))
    return sizes


def max_scales(width: int, height: int) -> int:
    """The most ``--scales`` for a ``width`` x ``height`` picture before the coarsest
    scale is clamped to MIN_SIDE on both sides and further scales only repeat it."""
    n = 1
    while len(set(scale_sizes(width, height, n + 1))) == n + 1:
        n += 1
    return n


def min_side(layers: Sequence[str]) -> int:
    """Smallest side VGG can take up to the deepest of ``layers`` (2 ** pools before it)."""
    known = [LAYER_INDEX[t] for t in layers if t in LAYER_INDEX]  # VGGFeatures names the rest
    if not known:
        return 1
    return 2 ** sum(name.startswith("pool") for name in LAYER_NAMES[: max(known) + 1])


def style_size(style: tuple[int, int], long_side: int, style_scale: float) -> tuple[int, int]:
    """(width, height) a ``style`` picture is scaled to for content whose long side is
    ``long_side`` (as ``FrameOptimizer.grams`` and ``objective.style_grams`` do)."""
    side = max(MIN_SIDE, round(long_side * style_scale))
    w, h = style
    f = side / max(w, h)
    return max(1, round(w * f)), max(1, round(h * f))


def check_sizes(options: Options, width: int, height: int) -> None:
    """Refuse, before any work, sizes at which VGG's pooling would run out of pixels.

    Args:
        width, height: the processing size of the content.

    Raises:
        OptionError: the content, a scale or a style would be too small; the message
            names the option and the value that works.
    """
    need = min_side(options.loss.content_layers + options.loss.style_layers)
    if min(width, height) < need:
        raise OptionError(
            f"content {width}x{height} is too small: each side must be at least {need} px "
            "for VGG; use a larger --max-side or --size"
        )
    scales, most = options.optim.scales, max_scales(width, height)
    if scales > most:
        raise OptionError(
            f"--scales {scales} is too many for {width}x{height}: the coarsest scale would be "
            f"below {MIN_SIDE} px; use --scales {most} or fewer"
        )
    if max(width, height) * options.style.scale > MAX_STYLE_SIDE:
        most = math.floor(MAX_STYLE_SIDE / max(width, height) * 1000) / 1000
        raise OptionError(
            f"--style-scale {options.style.scale} would scale the style to more than "
            f"{MAX_STYLE_SIDE} px for content of {max(width, height)} px; use {most} or less"
        )
    # The style is smallest at the coarsest scale, so that is the one to check.
    coarsest = max(scale_sizes(width, height, scales)[0])
    for path in options.style.paths:
        h0, w0 = read_image(path, what="style").shape[:2]
        w, h = style_size((w0, h0), coarsest, options.style.scale)
        if min(w, h) < need:
            # round(short * side / long) >= need  <=  side >= need * long / short
            side = math.ceil(need * max(w0, h0) / min(w0, h0))
            fix = math.ceil(side / coarsest * 1000) / 1000
            raise OptionError(
                f"style '{path}' ({w0}x{h0}) would be scaled to {w}x{h} for content of "
                f"{coarsest} px, below the {need} px VGG needs; use --style-scale {fix} or "
                "more, a larger --max-side, fewer --scales, or crop the style closer to square"
            )
