"""The photorealism loss of Luan et al. (2017): Σ_c V_cᵀ M V_c over the output's
colour channels V_c, with M the Matting Laplacian of the content
(:func:`vstyle.photo.laplacian.matting_laplacian`). Zero where the output is a
locally affine colour transform of the content; edges the content lacks cost.
"""

from __future__ import annotations

import torch
from torch.autograd.function import FunctionCtx


class _Quadratic(torch.autograd.Function):
    """Σ_c V_cᵀ M V_c with the gradient 2 M V (M symmetric): one sparse product in all."""

    @staticmethod
    def forward(ctx: FunctionCtx, laplacian: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        mv = laplacian @ v
        ctx.save_for_backward(mv)
        return (v * mv).sum()

    @staticmethod
    def backward(ctx: FunctionCtx, grad: torch.Tensor) -> tuple[None, torch.Tensor]:
        (mv,) = ctx.saved_tensors
        return None, 2 * grad * mv


def photo_loss(image: torch.Tensor, laplacian: torch.Tensor) -> torch.Tensor:
    """Matting-Laplacian quadratic form per pixel (independent of the picture size).

    Args:
        image: (1, 3, H, W) output being optimized.
        laplacian: (H W, H W) sparse, symmetric, on ``image``'s device.

    Returns:
        Scalar fp32: Σ_c V_cᵀ M V_c / (H W).
    """
    _, c, h, w = image.shape
    v = image[0].float().reshape(c, h * w).t().contiguous()  # (N, 3): pixels row-major, as M's rows
    return _Quadratic.apply(laplacian, v) / (h * w)
