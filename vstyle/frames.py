"""The frame nouns: :class:`Frame`, :class:`VideoInfo`, and the one pair of
functions that turn uint8 pictures into float tensors and back
(:func:`batch_to_float`, :func:`batch_to_uint8`, on any device; :func:`to_tensor` and
:func:`to_array` apply them to one NumPy picture).

A source yields :class:`Frame` objects, a stylizer maps an iterator of frames to
an iterator of frames, and a sink consumes them. Frames carry their own
timestamps so that variable frame rates survive the trip.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction

import numpy as np
import torch


@dataclass(frozen=True)
class Frame:
    """One decoded picture.

    Attributes:
        index: 0-based position in the stream as decoded.
        rgb: (H, W, 3) uint8 RGB, C-contiguous, upright (rotation already applied).
        pts: presentation timestamp in ``time_base`` units, or None for stills.
        time_base: unit of ``pts``.
    """

    index: int
    rgb: np.ndarray
    pts: int | None = None
    time_base: Fraction | None = None

    @property
    def time(self) -> float | None:
        """Presentation time in seconds, if known."""
        if self.pts is None or self.time_base is None:
            return None
        return float(self.pts * self.time_base)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return self.rgb.shape[1], self.rgb.shape[0]

    def with_rgb(self, rgb: np.ndarray) -> Frame:
        """The same frame (index, timing) with another picture."""
        return replace(self, rgb=rgb)


@dataclass(frozen=True)
class VideoInfo:
    """What a source knows about its video before the first frame.

    Attributes:
        width, height: upright picture size in pixels (after rotation).
        rate: average frame rate as an exact fraction (30000/1001 stays so), or None.
        time_base: unit of frame pts.
        frame_count: number of frames if the container says, else None.
        sample_aspect_ratio: SAR of the upright picture (1 for square pixels).
        color: colour description of the source (matrix, range, primaries, trc).
    """

    width: int
    height: int
    rate: Fraction | None = None
    time_base: Fraction | None = None
    frame_count: int | None = None
    sample_aspect_ratio: Fraction = Fraction(1)
    color: dict[str, object] = field(default_factory=dict)


def batch_to_float(pictures: torch.Tensor) -> torch.Tensor:
    """uint8 pictures to the float batch nets take, on their own device.

    Args:
        pictures: (B, H, W, 3) uint8 RGB.

    Returns:
        (B, 3, H, W) float32 in [0, 1].
    """
    return pictures.permute(0, 3, 1, 2).float().div_(255.0)


def batch_to_uint8(images: torch.Tensor) -> torch.Tensor:
    """Float batch to uint8 pictures (the inverse of :func:`batch_to_float`), on its device.

    Args:
        images: (B, 3, H, W) float, nominally in [0, 1]; clamped.

    Returns:
        (B, H, W, 3) uint8 RGB, contiguous.
    """
    x = images.detach().float().clamp(0, 1).mul(255).round().to(torch.uint8)
    return x.permute(0, 2, 3, 1).contiguous()


def to_tensor(rgb: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """uint8 picture to float tensor.

    Args:
        rgb: (H, W, 3) uint8 RGB.
        device: where the tensor goes.

    Returns:
        (1, 3, H, W) float32 in [0, 1].
    """
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected (H, W, 3) uint8, got {rgb.shape} {rgb.dtype}")
    return batch_to_float(torch.from_numpy(np.ascontiguousarray(rgb)).to(device)[None])


def to_array(image: torch.Tensor) -> np.ndarray:
    """Float tensor to uint8 picture (the inverse of :func:`to_tensor`).

    Args:
        image: (1, 3, H, W) or (3, H, W) float, nominally in [0, 1]; clamped.

    Returns:
        (H, W, 3) uint8 RGB, C-contiguous.
    """
    if image.dim() == 4:
        if image.shape[0] != 1:
            raise ValueError(f"expected a batch of one, got {tuple(image.shape)}")
        image = image[0]
    return np.ascontiguousarray(batch_to_uint8(image[None])[0].cpu().numpy())
