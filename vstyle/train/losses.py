"""The training objective of a feed-forward net: perceptual terms on VGG-19 features,
total variation, noise stability and, for video pairs, a masked temporal term.

Perceptual terms are the optimizer's normalized ones (:mod:`vstyle.losses.gatys`),
so the same weights suit the Caffe and the torchvision VGG files. The two stability
terms are pure functions of tensors; :class:`TrainObjective` only adds them up.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..device import Runtime
from ..flow import warp
from ..losses.gatys import content_loss, style_loss, tv_loss
from ..losses.temporal import short_term_loss
from ..nets.vgg import VGGFeatures
from ..options import TrainOptions

# Rainy & de Berker's noise-stability loss: a few pixels changed a lot (not all pixels a
# little), as sensor noise and compression speckle change a video from frame to frame.
NOISE_FRACTION = 0.1  # share of pixels that get noise
NOISE_SIGMA = 0.2  # std of the Gaussian noise on those pixels, in [0, 1] units


def add_pixel_noise(
    images: torch.Tensor,
    g: torch.Generator,
    fraction: float = NOISE_FRACTION,
    sigma: float = NOISE_SIGMA,
) -> torch.Tensor:
    """``images`` with Gaussian noise on a random ``fraction`` of pixels (all channels).

    The noise is drawn on the CPU from ``g`` so a run is reproducible on any device.

    Args:
        images: (B, 3, H, W) in [0, 1]; not modified.

    Returns:
        (B, 3, H, W) in [0, 1].
    """
    b, c, h, w = images.shape
    chosen = torch.rand((b, 1, h, w), generator=g) < fraction
    noise = torch.randn((b, c, h, w), generator=g) * sigma * chosen
    return (images + noise.to(images.device, images.dtype)).clamp(0, 1)


def noise_stability_loss(output: torch.Tensor, noisy_output: torch.Tensor) -> torch.Tensor:
    """Mean squared change of the net's output when its input got pixel noise.

    Args:
        output, noisy_output: (B, 3, H, W), the net on the clean and the noisy input.

    Returns:
        Scalar, 0 exactly when the outputs are equal.
    """
    return F.mse_loss(noisy_output.float(), output.float())


def temporal_loss(
    output: torch.Tensor,
    previous_output: torch.Tensor,
    backward: torch.Tensor,
    weight: torch.Tensor,
) -> torch.Tensor:
    """The previous frame's output warped onto this frame, compared where c says it is
    reliable: (1/D) Σ c · (output − warp(previous_output))².

    Args:
        output, previous_output: (P, 3, H, W) the net on consecutive frames.
        backward: (P, 2, H, W) flow from the current frame into the previous one.
        weight: (P, 1, H, W) reliability c; 0 removes a pixel (occlusions, boundaries).
    """
    warped = warp(previous_output.float(), backward)
    return short_term_loss(output.float(), warped, weight.to(output.device))


class TrainObjective:
    """Weighted content (one layer), style (Gram, relu1_1..relu4_1) and TV terms.

    Args:
        vgg: features with the content layer and every style layer as taps.
        runtime: autocast for VGG; Grams and distances stay fp32.
        options: weights and the content layer.
        grams: layer -> (1, C, C) target Grams of the style picture.
    """

    def __init__(
        self,
        vgg: VGGFeatures,
        runtime: Runtime,
        options: TrainOptions,
        grams: dict[str, torch.Tensor],
    ) -> None:
        self.vgg, self.runtime, self.options, self.grams = vgg, runtime, options, grams

    def __call__(self, images: torch.Tensor, outputs: torch.Tensor) -> dict[str, torch.Tensor]:
        """Weighted terms for a batch.

        Args:
            images: (B, 3, S, S) the net's inputs (content targets).
            outputs: (B, 3, S, S) the net's outputs.
        """
        o, layer = self.options, self.options.content_layer
        with self.runtime.autocast():
            with torch.no_grad():
                target = self.vgg(images)[layer].float()
            feats = self.vgg(outputs)
        return {
            "content": o.content_weight * content_loss(feats, {layer: target}),
            "style": o.style_weight * style_loss(feats, self.grams),
            "tv": o.tv_weight * tv_loss(outputs.float()),
        }
