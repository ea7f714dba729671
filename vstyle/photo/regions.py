"""Semantic regions (Luan et al. 2017): a style loss per colour label.

The content and style masks are colour-labelled pictures (as the DPST data set
ships them); pixels of one colour form one region. Each content region is painted
with the Gram matrices of the style's pixels of the same colour (or of its own
picture, ``--region-style COLOUR=picture.jpg``); a region the style lacks falls back
to the whole style, with a warning naming it. Masks are resized to every VGG
layer by area averaging, so a layer's Gram weighs each position by how much of its
receptive field lies in the region.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from ..errors import InputError, OptionError, VstyleError
from ..io.image import is_image_path, read_image
from ..losses.gatys import scaled_distance

log = logging.getLogger(__name__)

Colour = tuple[int, int, int]
NAMED = {
    "black": (0, 0, 0), "white": (255, 255, 255), "red": (255, 0, 0), "green": (0, 255, 0),
    "blue": (0, 0, 255), "yellow": (255, 255, 0), "cyan": (0, 255, 255),
    "magenta": (255, 0, 255), "grey": (128, 128, 128), "gray": (128, 128, 128),
}  # fmt: skip
MIN_SHARE = 0.001  # colours on fewer pixels are edge noise of a resized mask: snapped away


def parse_colour(text: str, flag: str = "--region-style") -> Colour:
    """'#ff8000', 'ff8000', '255,128,0' or a name such as 'red' -> (r, g, b)."""
    t = text.strip().lower()
    if t in NAMED:
        return NAMED[t]
    try:
        if "," in t:
            parts = tuple(int(p) for p in t.split(","))
        else:
            h = t.removeprefix("#")
            parts = tuple(int(h[i : i + 2], 16) for i in (0, 2, 4)) if len(h) == 6 else ()
    except ValueError:
        parts = ()
    if len(parts) != 3 or not all(0 <= p <= 255 for p in parts):
        raise OptionError(
            f"{flag} colour '{text}' is not a colour: use #rrggbb, r,g,b or one of "
            + ", ".join(NAMED)
        )
    return parts  # type: ignore[return-value]


def hex_colour(colour: Colour) -> str:
    return "#{:02x}{:02x}{:02x}".format(*colour)


def labels(mask: np.ndarray) -> dict[Colour, np.ndarray]:
    """A colour-labelled (H, W, 3) uint8 picture -> colour -> (H, W) float32 0/1 mask.

    Colours on fewer than ``MIN_SHARE`` of the pixels join the nearest main colour.
    """
    flat = mask.reshape(-1, 3)
    colours, inverse, counts = np.unique(flat, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    main = counts >= MIN_SHARE * flat.shape[0]
    main_colours = colours[main].astype(np.int32)
    dist = ((colours[:, None, :].astype(np.int32) - main_colours[None]) ** 2).sum(-1)
    snap = dist.argmin(1)  # each colour -> index of its nearest main colour
    ids = snap[inverse].reshape(mask.shape[:2])
    return {
        tuple(int(v) for v in c): (ids == k).astype(np.float32) for k, c in enumerate(main_colours)
    }


def read_mask(path: Path, flag: str) -> np.ndarray:
    """A mask picture as (H, W, 3) uint8, or a one-line InputError naming the flag."""
    return read_image(path, what=flag)


def read_masks(path: Path, flag: str) -> list[np.ndarray]:
    """A mask picture, or a mask video (one mask a frame), as (H, W, 3) uint8 masks."""
    if is_image_path(path):
        return [read_mask(path, flag)]
    from ..io import open_source
    from ..options import IOOptions

    try:
        with open_source(str(path), IOOptions(audio=False)) as source:
            masks = [frame.rgb for frame in source.frames()]
    except VstyleError as exc:
        raise InputError(
            f"{flag} '{path}' could not be read as a picture or video: {exc}"
        ) from None
    if not masks:
        raise InputError(f"{flag} '{path}' holds no frames; give a mask picture or video")
    return masks


def check_size(
    mask: np.ndarray, shape: Sequence[int], flag: str, path: Path | None, what: str
) -> None:
    """A mask must have the aspect ratio of its picture, of ``shape`` (H, W, ...)."""
    mh, mw = mask.shape[:2]
    ph, pw = shape[:2]
    if abs(mw / mh - pw / ph) > 0.02 * (pw / ph):
        raise InputError(
            f"{flag} '{path}' is {mw}x{mh} but the {what} is {pw}x{ph}: a mask must have "
            f"its picture's shape; give a {pw}x{ph} mask"
        )


@dataclass(frozen=True)
class Region:
    """One content label: its colour and the style picture(s) and masks painting it."""

    colour: Colour
    style: np.ndarray  # (H, W, 3) uint8 style picture
    mask: np.ndarray | None  # (H, W) float32 on ``style``, None: the whole picture


def plan_regions(
    content_mask: np.ndarray,
    styles: Sequence[np.ndarray],
    style_mask: np.ndarray | None,
    region_styles: Mapping[Colour, np.ndarray],
    mask_name: str = "--content-mask",
) -> list[Region]:
    """Which style paints each content label (first style picture for masked regions).

    Raises:
        InputError: a label of the style mask or of --region-style is not in the content.
    """
    content = labels(content_mask)
    style_labels = {}
    if style_mask is not None:
        h, w = styles[0].shape[:2]
        style_labels = labels(cv2.resize(style_mask, (w, h), interpolation=cv2.INTER_NEAREST))
    known = ", ".join(map(hex_colour, content))
    for colour in region_styles:
        if colour not in content:
            raise InputError(
                f"--region-style colour {hex_colour(colour)} is not in {mask_name} "
                f"(its colours: {known}); paint that region there or drop the option"
            )
    only_style = [c for c in style_labels if c not in content]
    if only_style:
        raise InputError(
            f"--style-mask label {hex_colour(only_style[0])} is not in {mask_name} "
            f"(its colours: {known}); a style region needs a content region of the same "
            "colour: recolour it or paint it in the content mask"
        )
    regions = []
    for colour in content:
        if colour in region_styles:
            regions.append(Region(colour, region_styles[colour], None))
        elif colour in style_labels:
            regions.append(Region(colour, styles[0], style_labels[colour]))
        else:
            if style_mask is not None:
                log.warning(
                    "content label %s is not in --style-mask: that region takes the whole style",
                    hex_colour(colour),
                )
            regions.append(Region(colour, styles[0], None))
    return regions


def layer_mask(mask: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """(1, 1, H, W) mask -> (1, 1, height, width) by area averaging."""
    if mask.shape[-2:] == (height, width):
        return mask
    return (
        F.adaptive_avg_pool2d(mask, (height, width))
        if height <= mask.shape[-2]
        else (F.interpolate(mask, size=(height, width), mode="bilinear", align_corners=False))
    )


def masked_gram(features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Gram matrix of the positions a mask covers, averaged over its weight.

    Args:
        features: (1, C, H, W).
        mask: (1, 1, h, w) in [0, 1] at any size (resized here).

    Returns:
        (1, C, C) = (F m)(F m)ᵀ / Σ m².
    """
    _, c, h, w = features.shape
    m = layer_mask(mask.to(features.device), h, w)
    f = (features.float() * m).reshape(c, h * w)
    return (f @ f.t() / m.pow(2).sum().clamp_min(1e-6))[None]


def region_style_loss(
    features: Mapping[str, torch.Tensor],
    targets: Sequence[Mapping[str, torch.Tensor]],
    masks: Sequence[torch.Tensor],
    shares: Sequence[float],
    kind: str = "mse",
) -> torch.Tensor:
    """Σ over regions (weighted by their share of the content) of the mean over layers
    of the scaled Gram distance inside that region.

    Args:
        features: layer -> (1, C, H, W) of the image being optimized.
        targets: per region, layer -> (1, C, C) Gram of its style pixels.
        masks: per region, (1, 1, H, W) content mask at the image's size.
        shares: per region, its share of the content's pixels (summing to 1).
    """
    total = next(iter(features.values())).new_zeros((), dtype=torch.float32)
    for grams, mask, share in zip(targets, masks, shares, strict=True):
        terms = [scaled_distance(masked_gram(features[n], mask), g, kind) for n, g in grams.items()]
        total = total + share * torch.stack(terms).mean()
    return total
