"""The feed-forward style network of Johnson, Alahi & Fei-Fei (2016), vstyle's own layout.

Top-down, as in the paper's supplementary table (channels at ``width=1``)::

    conv 9x9/32 -> conv 3x3/64 stride 2 -> conv 3x3/128 stride 2     (encoder)
    5 x residual block (conv 3x3/128, conv 3x3/128)
    upsample x2 + conv 3x3/64 -> upsample x2 + conv 3x3/32           (decoder)
    conv 9x9/3 -> sigmoid

Every conv but the last is followed by instance norm (with affine scale and shift)
and ReLU; every conv pads by reflection, so borders look like the picture rather
than a black frame. The decoder upsamples with nearest neighbour and then
convolves instead of using transposed convs: a stride-2 transposed 3x3 conv
overlaps its kernel unevenly (every other output pixel gets 4 taps, the others 1
or 2), which paints a checkerboard into flat areas (Odena et al., "Deconvolution
and Checkerboard Artifacts", Distill 2016); resize-then-convolve weighs every
output pixel alike.

Contract shared by every layout (see :mod:`vstyle.nets.lengstrom`): input
(B, 3, H, W) RGB float in [0, 1], output the same shape and range, any H and W.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import OptionError

BASE_CHANNELS = (32, 64, 128)
RESIDUAL_BLOCKS = 5
MAX_WIDTH = 4.0


def channels(width: float) -> tuple[int, int, int]:
    """The three channel counts of the net at ``width`` (1.0: 32, 64, 128).

    Raises:
        OptionError: ``width`` is not in (0, 4].
    """
    if not 0 < width <= MAX_WIDTH:
        raise OptionError(f"--width {width} must be above 0 and at most {MAX_WIDTH:g}, e.g. 0.5")
    return tuple(max(1, round(c * width)) for c in BASE_CHANNELS)  # type: ignore[return-value]


class ConvLayer(nn.Sequential):
    """Reflection pad + conv (+ instance norm + ReLU): output is ``ceil(H / stride)``."""

    def __init__(
        self,
        cin: int,
        cout: int,
        kernel: int,
        stride: int = 1,
        norm: bool = True,
        relu: bool = True,
    ) -> None:
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(kernel // 2),
            nn.Conv2d(cin, cout, kernel, stride, bias=not norm),  # a norm's shift is the bias
        ]
        if norm:
            layers.append(nn.InstanceNorm2d(cout, affine=True))
        if relu:
            layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)


class ResidualBlock(nn.Module):
    """``x + IN(conv(ReLU(IN(conv(x)))))``, no ReLU after the sum (Gross & Wilber 2016)."""

    def __init__(self, ch: int) -> None:
        super().__init__()
        self.body = nn.Sequential(ConvLayer(ch, ch, 3), ConvLayer(ch, ch, 3, relu=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class UpsampleConv(nn.Sequential):
    """Nearest-neighbour x2, then a 3x3 conv layer: the checkerboard-free upsampling."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__(nn.Upsample(scale_factor=2, mode="nearest"), ConvLayer(cin, cout, 3))


class TransformerNet(nn.Module):
    """Johnson et al.'s image transformation network with an upsample decoder.

    Args:
        width: channel multiplier; 0.5 or 0.25 give slimmer, faster nets
            (about ``width**2`` of the arithmetic).

    Shapes:
        input (B, 3, H, W) RGB in [0, 1], any H, W >= 1; output the same shape, in (0, 1).

    The output goes through a sigmoid: it lands in the [0, 1] contract by
    construction and keeps a gradient for every pixel during training (a clamp
    would give saturated pixels none). 1/255 from black or white is only a
    pre-activation of about -/+5.5 away, well within the last conv's reach.
    """

    layout = "vstyle"

    def __init__(self, width: float = 1.0) -> None:
        super().__init__()
        c1, c2, c3 = channels(width)
        self.width = width
        self.encoder = nn.Sequential(
            ConvLayer(3, c1, 9), ConvLayer(c1, c2, 3, stride=2), ConvLayer(c2, c3, 3, stride=2)
        )
        self.residuals = nn.Sequential(*(ResidualBlock(c3) for _ in range(RESIDUAL_BLOCKS)))
        self.decoder = nn.Sequential(
            UpsampleConv(c3, c2), UpsampleConv(c2, c1), ConvLayer(c1, 3, 9, norm=False, relu=False)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        # Two stride-2 convs then two x2 upsamples give back H only when 4 divides it;
        # at least 8 keeps the smallest map (H/4) wider than the reflection pad of 1.
        ph, pw = max(8, -(-h // 4) * 4) - h, max(8, -(-w // 4) * 4) - w
        if ph or pw:  # replicate: unlike reflection it works for any size, even 1 px
            x = F.pad(x, (0, pw, 0, ph), mode="replicate")
        y = self.decoder(self.residuals(self.encoder(x)))
        return torch.sigmoid(y[..., :h, :w])
