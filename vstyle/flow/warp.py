"""Backward warping by bilinear sampling, and where a flow leaves the frame.

Pixel centres sit at integer coordinates and ``align_corners=True`` throughout, so
a whole-pixel flow samples exactly at pixel centres: warping is exact there.
"""

from __future__ import annotations

import torch
from kornia.geometry.grid import create_meshgrid
from kornia.geometry.transform import remap


def _targets(flow: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, 2, H, W) flow -> absolute sample coordinates x, y, each (B, H, W)."""
    _, _, h, w = flow.shape
    grid = create_meshgrid(h, w, normalized_coordinates=False, device=flow.device, dtype=flow.dtype)
    return grid[..., 0] + flow[:, 0], grid[..., 1] + flow[:, 1]


def warp(image: torch.Tensor, flow: torch.Tensor, padding_mode: str = "border") -> torch.Tensor:
    """Backward-warp ``image`` by ``flow``: ``out(p) = image(p + flow(p))``, bilinear.

    With ``flow = flow(b, a)`` (see :mod:`vstyle.flow.estimators`), this moves
    something on ``a``'s grid onto ``b``'s grid. Differentiable in ``image``.

    Args:
        image: (B, C, H, W) float.
        flow: (B, 2, H, W) or (1, 2, H, W) float, x then y, in pixels.
        padding_mode: what samples outside the frame read: ``border`` (nearest edge
            pixel, a sensible initialization) or ``zeros``.

    Returns:
        (B, C, H, W), same dtype as ``image``.
    """
    if flow.dim() != 4 or flow.shape[1] != 2 or flow.shape[-2:] != image.shape[-2:]:
        raise ValueError(
            f"warp needs a (B, 2, H, W) flow matching the image's H, W; "
            f"got flow {tuple(flow.shape)} for image {tuple(image.shape)}"
        )
    # Sample coordinates in at least fp32: in fp16 a coordinate of 1000 is off by 0.5 px.
    grid_dtype = torch.promote_types(image.dtype, torch.float32)
    map_x, map_y = _targets(flow.to(image.device, grid_dtype))
    return remap(
        image, map_x, map_y, mode="bilinear", padding_mode=padding_mode, align_corners=True
    )


def inside(flow: torch.Tensor) -> torch.Tensor:
    """Where ``p + flow(p)`` stays within the frame.

    Args:
        flow: (B, 2, H, W).

    Returns:
        (B, 1, H, W) bool, False where the flow leaves the frame.
    """
    _, _, h, w = flow.shape
    x, y = _targets(flow)
    ok = (x >= 0) & (x <= w - 1) & (y >= 0) & (y <= h - 1)
    return ok.unsqueeze(1)
