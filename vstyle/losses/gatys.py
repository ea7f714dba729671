"""The Gatys et al. losses as pure functions: content, style (Gram), total variation.

Every loss compares features after dividing both sides by the root-mean-square
of the *target*, so its value does not depend on the activation scale of the
weights file (Caffe-trained VGG activations are ~100x torchvision's): one set of
default weights works for both.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch.autograd.function import FunctionCtx

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

_LOSSES: dict[str, LossFn] = {
    "mse": F.mse_loss,
    "l1": F.l1_loss,
    "smooth_l1": F.smooth_l1_loss,
    "huber": F.huber_loss,
}


def loss_fn(kind: str) -> LossFn:
    """The elementwise distance named by ``--loss`` (mean-reduced)."""
    return _LOSSES[kind]


class _SelfProduct(torch.autograd.Function):
    """F Fᵀ of a (C, N) matrix F, with a one-product backward.

    Autograd's mm sees F twice and spends two (C, C) x (C, N) products on the
    gradient; (G' + G'ᵀ) F is the same sum in one. That is a third of the Gram
    cost, ~4% of an L-BFGS iteration at 256 px on the CPU.
    """

    @staticmethod
    def forward(ctx: FunctionCtx, f: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(f)
        return torch.mm(f, f.t())

    @staticmethod
    def backward(ctx: FunctionCtx, grad: torch.Tensor) -> torch.Tensor:
        (f,) = ctx.saved_tensors
        both = grad + grad.t()
        if f.stride(0) == 1 and f.size(0) > 1:
            # channels_last features: give the gradient their layout (no reorder later).
            return torch.mm(f.t(), both).t()
        return torch.mm(both, f)


def gram(features: torch.Tensor) -> torch.Tensor:
    """Gram matrix averaged over positions, computed in fp32.

    Args:
        features: (B, C, H, W).

    Returns:
        (B, C, C) = F Fᵀ / (H W), independent of the picture size.
    """
    b, c, h, w = features.shape
    f = features.float().reshape(b, c, h * w)
    if b == 1:
        # One picture is the usual case: mm's forward+backward is ~10% cheaper than
        # bmm's on the CPU, and dividing its fresh output in place saves a (C, C) copy.
        return _SelfProduct.apply(f[0]).div_(h * w).unsqueeze(0)
    return torch.bmm(f, f.transpose(1, 2)) / (h * w)


def rms(target: torch.Tensor) -> torch.Tensor:
    """Root-mean-square of a target (a detached scalar; eps avoids 0/0)."""
    return target.detach().float().pow(2).mean().sqrt().clamp_min(1e-8)


def scaled_distance(x: torch.Tensor, target: torch.Tensor, kind: str = "mse") -> torch.Tensor:
    """``loss_fn(kind)`` between ``x`` and ``target``, both divided by ``rms(target)``.

    Args:
        x, target: tensors of the same shape; ``target`` is treated as constant.
    """
    scale = rms(target)
    return loss_fn(kind)(x.float() / scale, target.detach().float() / scale)


def content_loss(
    features: dict[str, torch.Tensor], targets: dict[str, torch.Tensor], kind: str = "mse"
) -> torch.Tensor:
    """Mean over content layers of the scaled feature distance.

    Args:
        features: layer -> (B, C, H, W) of the image being optimized.
        targets: layer -> (B, C, H, W) of the content picture, same sizes.
    """
    terms = [scaled_distance(features[name], t, kind) for name, t in targets.items()]
    return torch.stack(terms).mean()


def style_loss(
    features: dict[str, torch.Tensor],
    target_grams: dict[str, torch.Tensor],
    layer_weights: dict[str, float] | None = None,
    kind: str = "mse",
) -> torch.Tensor:
    """Weighted sum over style layers of the scaled Gram distance.

    Args:
        features: layer -> (B, C, H, W) of the image being optimized.
        target_grams: layer -> (B or 1, C, C) target Gram matrices.
        layer_weights: layer -> weight; equal weights summing to 1 when None.
    """
    n = len(target_grams)
    total = features[next(iter(target_grams))].new_zeros((), dtype=torch.float32)
    for name, g in target_grams.items():
        w = layer_weights[name] if layer_weights else 1.0 / n
        gx = gram(features[name])
        total = total + w * scaled_distance(gx, g.expand_as(gx), kind)
    return total


def tv_loss(image: torch.Tensor) -> torch.Tensor:
    """Total variation: mean squared difference of neighbouring pixels.

    Args:
        image: (B, 3, H, W) in [0, 1].
    """
    dy = image[:, :, 1:, :] - image[:, :, :-1, :]
    dx = image[:, :, :, 1:] - image[:, :, :, :-1]
    return dy.pow(2).mean() + dx.pow(2).mean()
