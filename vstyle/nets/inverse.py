"""The inverse network of Chen & Schmidt (2016): VGG-19 up to relu3_1, and a decoder
that maps those activations back to pixels.

The file holds both halves: a decoder is only the inverse of the encoder it was
trained against (a Caffe VGG's activations are ~100x torchvision's). The decoder
mirrors the encoder, upsampling with nearest neighbour + conv rather than a
transposed conv (no checkerboard, as in pytorch/examples fast_neural_style), and
reflection padding (no dark borders).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ModelError
from .vgg import _MEAN, _STD, CONV_INDEX, LAYER_INDEX, WIDTHS, make_features

LAYER = "relu3_1"
_ENCODER_CONVS = 5  # conv1_1 .. conv3_1
MULTIPLE = 4  # two 2x pools: sides are padded to a multiple of this and cropped back


def encoder_widths(width: float) -> tuple[int, ...]:
    """Channels of conv1_1 .. conv3_1 at ``width`` (VGG-19's 64, 64, 128, 128, 256 at 1)."""
    if not 0 < width <= 1:
        raise ModelError(f"inverse-network width {width:g} must be in (0, 1], e.g. 1")
    return tuple(max(1, round(c * width)) for c in WIDTHS[:_ENCODER_CONVS])


def _conv(cin: int, cout: int, relu: bool = True) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.ReflectionPad2d(1), nn.Conv2d(cin, cout, 3)]
    return layers + [nn.ReLU()] if relu else layers


def make_decoder(widths: Sequence[int]) -> nn.Sequential:
    """relu3_1 (B, w4, h, w) -> RGB (B, 3, 4h, 4w): the encoder's convs in reverse."""
    w0, _, w2, _, w4 = widths
    return nn.Sequential(
        *_conv(w4, w2), nn.Upsample(scale_factor=2, mode="nearest"),
        *_conv(w2, w2), *_conv(w2, w0), nn.Upsample(scale_factor=2, mode="nearest"),
        *_conv(w0, w0), *_conv(w0, 3, relu=False),
    )  # fmt: skip


def pad_to_multiple(image: torch.Tensor) -> torch.Tensor:
    """Edge-pad (B, C, H, W) on the bottom and right to sides divisible by ``MULTIPLE``."""
    h, w = image.shape[-2:]
    ph, pw = -h % MULTIPLE, -w % MULTIPLE
    return F.pad(image, (0, pw, 0, ph), mode="replicate") if ph or pw else image


class InverseNet(nn.Module):
    """Encoder (VGG-19 to relu3_1, frozen) and its trained decoder.

    Forward: (B, 3, H, W) RGB in [0, 1] -> the decoded reconstruction, same shape.
    """

    def __init__(self, width: float = 1.0) -> None:
        super().__init__()
        widths = encoder_widths(width)
        self.encoder = make_features(widths + WIDTHS[_ENCODER_CONVS:])[: LAYER_INDEX[LAYER] + 1]
        self.encoder.requires_grad_(False)
        self.decoder = make_decoder(widths)
        self.register_buffer("mean", torch.tensor(_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(_STD).view(1, 3, 1, 1), persistent=False)

    def encode(self, image: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) in [0, 1], H and W multiples of 4 -> (B, C, H/4, W/4) relu3_1."""
        return self.encoder((image - self.mean) / self.std)

    def decode(self, features: torch.Tensor) -> torch.Tensor:
        """(B, C, h, w) activations -> (B, 3, 4h, 4w) RGB (not clamped)."""
        return self.decoder(features)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        h, w = image.shape[-2:]
        return self.decode(self.encode(pad_to_multiple(image)))[..., :h, :w]

    def load_encoder(self, vgg_state: Mapping[str, torch.Tensor], source: str) -> None:
        """Copy conv1_1 .. conv3_1 from a VGG-19 ``features.N`` state dict.

        Raises:
            ModelError: the VGG's widths are not this net's (another ``--width``).
        """
        own = self.encoder.state_dict()
        for i in CONV_INDEX[:_ENCODER_CONVS]:
            for part in ("weight", "bias"):
                value = vgg_state.get(f"features.{i}.{part}", vgg_state.get(f"{i}.{part}"))
                if value is None or value.shape != own[f"{i}.{part}"].shape:
                    got = None if value is None else tuple(value.shape)
                    raise ModelError(
                        f"VGG weights '{source}': features.{i}.{part} is {got}, the inverse net "
                        f"needs {tuple(own[f'{i}.{part}'].shape)}; use --width to match the VGG"
                    )
                own[f"{i}.{part}"] = value
        self.encoder.load_state_dict(own)
