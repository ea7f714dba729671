"""RAFT (Teed & Deng, ECCV 2020) in plain torch, laid out so torchvision's published
weights load strictly: the module names and tensor shapes are torchvision's, the code
is not (no torchvision import).

Two sizes, as torchvision publishes them: ``large`` (5,257,536 parameters; residual
encoders, 4-level correlation pyramid of radius 4, two separable GRUs, learned convex
upsampling) and ``small`` (990,162; bottleneck encoders, radius 3, one GRU, bilinear
upsampling). Inputs are RGB in [0, 1]; flow is in pixels, x then y, from ``image1`` to
``image2`` (the :mod:`vstyle.flow` convention).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class Config:
    """The hyper-parameters that distinguish RAFT-large from RAFT-small."""

    block: str  # "residual" or "bottleneck"
    feature: tuple[int, ...]  # channels: stem, layer1..3, output
    context: tuple[int, ...]
    context_norm: str | None
    radius: int
    corr_layers: tuple[int, ...]
    flow_layers: tuple[int, int]
    motion_out: int
    hidden: int
    gru_kernels: tuple[tuple[int, int], ...]
    head_hidden: int
    mask: bool


LARGE = Config("residual", (64, 64, 96, 128, 256), (64, 64, 96, 128, 256), "batch", 4,
               (256, 192), (128, 64), 128, 128, ((1, 5), (5, 1)), 256, True)  # fmt: skip
SMALL = Config("bottleneck", (32, 32, 64, 96, 128), (32, 32, 64, 96, 160), None, 3,
               (96,), (64, 32), 82, 96, ((3, 3),), 128, False)  # fmt: skip
LEVELS = 4  # correlation pyramid levels


def conv(cin: int, cout: int, k: int | tuple[int, int], stride: int = 1,
         norm: str | None = None, relu: bool = True) -> nn.Sequential:  # fmt: skip
    """Conv (with bias), optional norm, optional ReLU: torchvision's Conv2dNormActivation keys."""
    k = (k, k) if isinstance(k, int) else k
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, stride, (k[0] // 2, k[1] // 2))]
    if norm == "instance":
        layers.append(nn.InstanceNorm2d(cout))  # no parameters, as torchvision's
    elif norm == "batch":
        layers.append(nn.BatchNorm2d(cout))
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class Block(nn.Module):
    """A residual (two 3x3) or bottleneck (1x1, 3x3, 1x1) block with a final ReLU."""

    def __init__(self, kind: str, cin: int, cout: int, norm: str | None, stride: int) -> None:
        super().__init__()
        if kind == "residual":
            self.convnormrelu1 = conv(cin, cout, 3, stride, norm)
            self.convnormrelu2 = conv(cout, cout, 3, 1, norm)
        else:
            self.convnormrelu1 = conv(cin, cout // 4, 1, 1, norm)
            self.convnormrelu2 = conv(cout // 4, cout // 4, 3, stride, norm)
            self.convnormrelu3 = conv(cout // 4, cout, 1, 1, norm)
        skip = stride == 1
        self.downsample = nn.Identity() if skip else conv(cin, cout, 1, stride, norm, relu=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.convnormrelu2(self.convnormrelu1(x))
        if hasattr(self, "convnormrelu3"):
            y = self.convnormrelu3(y)
        return F.relu(self.downsample(x) + y)


class Encoder(nn.Module):
    """(B, 3, H, W) -> (B, C, H/8, W/8): a 7x7 stride-2 stem and three pairs of blocks."""

    def __init__(self, kind: str, ch: tuple[int, ...], norm: str | None) -> None:
        super().__init__()
        self.convnormrelu = conv(3, ch[0], 7, 2, norm)
        for i, stride in enumerate((1, 2, 2), start=1):
            pair = [Block(kind, ch[i - 1], ch[i], norm, stride), Block(kind, ch[i], ch[i], norm, 1)]
            setattr(self, f"layer{i}", nn.Sequential(*pair))
        self.conv = nn.Conv2d(ch[3], ch[4], 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layer3(self.layer2(self.layer1(self.convnormrelu(x))))
        return self.conv(x)


class MotionEncoder(nn.Module):
    """Correlation features and the current flow -> motion features (flow appended)."""

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        corr_in = LEVELS * (2 * cfg.radius + 1) ** 2
        self.convcorr1 = conv(corr_in, cfg.corr_layers[0], 1)
        two = len(cfg.corr_layers) == 2
        self.convcorr2 = conv(cfg.corr_layers[0], cfg.corr_layers[-1], 3) if two else nn.Identity()
        self.convflow1 = conv(2, cfg.flow_layers[0], 7)
        self.convflow2 = conv(cfg.flow_layers[0], cfg.flow_layers[1], 3)
        self.conv = conv(cfg.corr_layers[-1] + cfg.flow_layers[1], cfg.motion_out - 2, 3)

    def forward(self, flow: torch.Tensor, corr: torch.Tensor) -> torch.Tensor:
        c = self.convcorr2(self.convcorr1(corr))
        f = self.convflow2(self.convflow1(flow))
        return torch.cat([self.conv(torch.cat([c, f], 1)), flow], 1)


class ConvGRU(nn.Module):
    """h' = (1 - z) h + z tanh(W_q [r h, x]), with z, r gates from [h, x]."""

    def __init__(self, inputs: int, hidden: int, k: tuple[int, int]) -> None:
        super().__init__()
        pad = (k[0] // 2, k[1] // 2)
        self.convz = nn.Conv2d(hidden + inputs, hidden, k, padding=pad)
        self.convr = nn.Conv2d(hidden + inputs, hidden, k, padding=pad)
        self.convq = nn.Conv2d(hidden + inputs, hidden, k, padding=pad)

    def forward(self, h: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        hx = torch.cat([h, x], 1)
        z, r = torch.sigmoid(self.convz(hx)), torch.sigmoid(self.convr(hx))
        q = torch.tanh(self.convq(torch.cat([r * h, x], 1)))
        return h + z * (q - h)


class Recurrent(nn.Module):
    """One or two ConvGRUs in a row (RAFT-large: 1x5 then 5x1)."""

    def __init__(self, inputs: int, hidden: int, kernels: tuple[tuple[int, int], ...]) -> None:
        super().__init__()
        for i, k in enumerate(kernels, start=1):
            setattr(self, f"convgru{i}", ConvGRU(inputs, hidden, k))
        self.count = len(kernels)

    def forward(self, h: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        for i in range(1, self.count + 1):
            h = getattr(self, f"convgru{i}")(h, x)
        return h


class FlowHead(nn.Module):
    """Hidden state -> flow update (B, 2, h, w)."""

    def __init__(self, hidden: int, width: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(hidden, width, 3, padding=1)
        self.conv2 = nn.Conv2d(width, 2, 3, padding=1)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.conv2(F.relu(self.conv1(h)))


class UpdateBlock(nn.Module):
    """Motion encoder, GRU and flow head: one refinement step."""

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.motion_encoder = MotionEncoder(cfg)
        inputs = cfg.motion_out + cfg.context[-1] - cfg.hidden
        self.recurrent_block = Recurrent(inputs, cfg.hidden, cfg.gru_kernels)
        self.flow_head = FlowHead(cfg.hidden, cfg.head_hidden)

    def forward(self, h: torch.Tensor, context: torch.Tensor, corr: torch.Tensor,
                flow: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
        x = torch.cat([context, self.motion_encoder(flow, corr)], 1)
        h = self.recurrent_block(h, x)
        return h, self.flow_head(h)


class MaskPredictor(nn.Module):
    """Hidden state -> weights of the convex 8x upsampling (9 neighbours x 8 x 8)."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.convrelu = conv(hidden, 256, 3)
        self.conv = nn.Conv2d(256, 8 * 8 * 9, 1)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        # The 0.25 is the published model's (it scaled this branch's gradients in training).
        return 0.25 * self.conv(self.convrelu(h))


def coords_grid(b: int, h: int, w: int, device: torch.device) -> torch.Tensor:
    """(B, 2, h, w) pixel coordinates, x then y."""
    ys, xs = torch.meshgrid(
        torch.arange(h, device=device), torch.arange(w, device=device), indexing="ij"
    )
    return torch.stack([xs, ys]).float()[None].expand(b, 2, h, w)


def correlation_pyramid(f1: torch.Tensor, f2: torch.Tensor) -> list[torch.Tensor]:
    """All-pairs dot products / sqrt(C), (B*h*w, 1, h, w), pooled by 2 per level."""
    b, c, h, w = f1.shape
    corr = torch.einsum("bci,bcj->bij", f1.flatten(2), f2.flatten(2)) / c**0.5
    levels = [corr.reshape(b * h * w, 1, h, w)]
    for _ in range(LEVELS - 1):
        levels.append(F.avg_pool2d(levels[-1], 2, stride=2))
    return levels


def lookup(pyramid: list[torch.Tensor], coords: torch.Tensor, radius: int) -> torch.Tensor:
    """Correlations in a (2r+1)² window around ``coords`` (B, 2, h, w) at every level.

    Returns:
        (B, LEVELS * (2r+1)², h, w); channel ``level*(2r+1)² + a*(2r+1) + b`` holds the
        offset x = a - r, y = b - r (the published weights expect this order).
    """
    b, _, h, w = coords.shape
    side = torch.arange(-radius, radius + 1, device=coords.device, dtype=coords.dtype)
    dx, dy = torch.meshgrid(side, side, indexing="ij")
    delta = torch.stack([dx, dy], -1)  # (side, side, 2)
    centre = coords.permute(0, 2, 3, 1).reshape(b * h * w, 1, 1, 2)
    out = []
    for level, volume in enumerate(pyramid):
        hl, wl = volume.shape[-2:]
        at = centre / 2**level + delta
        scale = torch.tensor([2 / (wl - 1), 2 / (hl - 1)], device=at.device, dtype=at.dtype)
        sampled = F.grid_sample(volume, at * scale - 1, align_corners=True)
        out.append(sampled.view(b, h, w, -1))
    return torch.cat(out, -1).permute(0, 3, 1, 2).contiguous()


def upsample(flow: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """(B, 2, h, w) flow at 1/8 -> (B, 2, 8h, 8w), convex (with a mask) or bilinear."""
    b, _, h, w = flow.shape
    if mask is None:
        return 8 * F.interpolate(flow, size=(8 * h, 8 * w), mode="bilinear", align_corners=True)
    weights = mask.view(b, 1, 9, 8, 8, h, w).softmax(2)
    patches = F.unfold(8 * flow, 3, padding=1).view(b, 2, 9, 1, 1, h, w)
    up = (weights * patches).sum(2)  # (B, 2, 8, 8, h, w)
    return up.permute(0, 1, 4, 2, 5, 3).reshape(b, 2, 8 * h, 8 * w)


class RAFT(nn.Module):
    """RAFT with torchvision's module layout.

    Call:
        image1, image2: (B, 3, H, W) RGB in [0, 1], H and W multiples of 8 and at
            least 128 (see :func:`vstyle.flow.raft_flow.RaftFlow`, which pads).
        iters: refinement steps (torchvision's default 12).
        Returns (B, 2, H, W) flow from ``image1`` to ``image2`` in pixels.
    """

    def __init__(self, cfg: Config = LARGE) -> None:
        super().__init__()
        self.cfg = cfg
        self.feature_encoder = Encoder(cfg.block, cfg.feature, "instance")
        self.context_encoder = Encoder(cfg.block, cfg.context, cfg.context_norm)
        self.update_block = UpdateBlock(cfg)
        self.mask_predictor = MaskPredictor(cfg.hidden) if cfg.mask else None

    def forward(self, image1: torch.Tensor, image2: torch.Tensor, iters: int = 12) -> torch.Tensor:
        b, _, h, w = image1.shape
        if h % 8 or w % 8 or image2.shape != image1.shape:
            raise ValueError(f"RAFT needs two images of one shape, H and W multiples of 8; got "
                             f"{tuple(image1.shape)} and {tuple(image2.shape)}")  # fmt: skip
        x1, x2 = 2 * image1 - 1, 2 * image2 - 1  # torchvision's OpticalFlow preset: [-1, 1]
        f1, f2 = self.feature_encoder(torch.cat([x1, x2])).chunk(2)
        pyramid = correlation_pyramid(f1, f2)
        hidden, context = self.context_encoder(x1).split(
            [self.cfg.hidden, self.cfg.context[-1] - self.cfg.hidden], 1
        )
        hidden, context = torch.tanh(hidden), F.relu(context)
        coords0 = coords_grid(b, h // 8, w // 8, image1.device)
        coords1 = coords0.clone()
        for _ in range(iters):
            corr = lookup(pyramid, coords1, self.cfg.radius)
            hidden, delta = self.update_block(hidden, context, corr, coords1 - coords0)
            coords1 = coords1 + delta
        mask = None if self.mask_predictor is None else self.mask_predictor(hidden)
        return upsample(coords1 - coords0, mask)
