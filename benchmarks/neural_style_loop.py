"""neural-style-pt's per-iteration work as a plain-torch loop, for benchmarks/speed.py.

Mirrors github.com/ProGamerGov/neural-style-pt ``neural_style.py`` (read, not copied):
loss modules inside one ``nn.Sequential`` (TV first, in-place ReLUs, ``mm`` Gram over
``nelement``, ``MSELoss`` times 5 / 100, TV L1 times 1e-3), Caffe conventions (the
pixels being optimized are BGR 0-255 minus the mean, so the first conv of the shared
file, folded for torchvision input, is un-folded back), one ``LBFGS.step`` with
``max_iter`` = the iteration count and ``history_size`` 100, started from the content
picture (its ``-init image``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from vstyle.frames import to_tensor
from vstyle.io.image import resize
from vstyle.nets.vgg import LAYER_NAMES, make_features
from vstyle.options import LossOptions

TV_MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
TV_STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
CAFFE_MEAN_BGR = torch.tensor([103.939, 116.779, 123.68]).view(1, 3, 1, 1)
# content picture, iterations -> (time stamp at the end of each iteration, picture in [0, 1])
Run = Callable[[np.ndarray, int], tuple[list[float], torch.Tensor]]


def fit(rgb: np.ndarray, side: int) -> np.ndarray:
    """``rgb`` resized so its long side is ``side`` pixels."""
    h, w = rgb.shape[:2]
    s = side / max(h, w)
    return resize(rgb, round(w * s), round(h * s))


def caffe_features(state: dict[str, torch.Tensor]) -> nn.Sequential:
    """VGG-19 features taking Caffe input: the first conv of the shared file un-folded."""
    feats = make_features()
    feats.load_state_dict({k.removeprefix("features."): v for k, v in state.items()})
    conv = feats[0]
    with torch.no_grad():
        w_rgb = conv.weight / (255 * TV_STD.view(1, 3, 1, 1))
        shift = 255 * TV_MEAN.view(3) - CAFFE_MEAN_BGR.view(3).flip(0)
        conv.bias -= (w_rgb.sum((2, 3)) * shift).sum(1)
        conv.weight.copy_(w_rgb.flip(1))
    return feats


def to_caffe(rgb01: torch.Tensor) -> torch.Tensor:
    return rgb01.flip(1) * 255 - CAFFE_MEAN_BGR.to(rgb01.device)


def from_caffe(bgr: torch.Tensor) -> torch.Tensor:
    return ((bgr + CAFFE_MEAN_BGR.to(bgr.device)) / 255).flip(1).clamp(0, 1)


class Tap(nn.Module):
    """A loss module inside the Sequential, as neural-style-pt inserts them."""

    def __init__(self, kind: str, weight: float) -> None:
        super().__init__()
        self.kind, self.weight = kind, weight
        self.target: torch.Tensor | None = None
        self.captured: torch.Tensor | None = None
        self.loss: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.kind == "tv":
            dy, dx = x[:, :, 1:, :] - x[:, :, :-1, :], x[:, :, :, 1:] - x[:, :, :, :-1]
            self.loss = self.weight * (dy.abs().sum() + dx.abs().sum())
            return x
        value = x
        if self.kind == "style":
            f = x.view(x.size(1), -1)
            value = torch.mm(f, f.t()).div(x.nelement())
        if self.target is None:
            self.captured = value.detach()
        else:
            self.loss = self.weight * nn.functional.mse_loss(value, self.target)
        return x


def peer_runner(state: dict[str, torch.Tensor], style: np.ndarray, device: torch.device) -> Run:
    """neural-style-pt's loop in plain torch (see the module docstring)."""
    o = LossOptions()
    feats, net, taps = caffe_features(state), nn.Sequential(Tap("tv", 1e-3)), []
    for name, layer in zip(LAYER_NAMES, feats, strict=False):
        net.append(nn.ReLU(inplace=True) if isinstance(layer, nn.ReLU) else layer)
        for kind, layers, weight in (
            ("content", o.content_layers, 5.0),
            ("style", o.style_layers, 100.0),
        ):
            if name in layers:
                taps.append(Tap(kind, weight))
                net.append(taps[-1])
        if name == max(o.content_layers + o.style_layers, key=LAYER_NAMES.index):
            break
    net.requires_grad_(False).to(device)

    def capture(image: torch.Tensor, kind: str) -> dict[Tap, torch.Tensor]:
        net(image)
        return {t: t.captured for t in taps if t.kind == kind}

    def run(content: np.ndarray, iters: int) -> tuple[list[float], torch.Tensor]:
        for t in taps:
            t.target = None
        c = to_caffe(to_tensor(content, device).contiguous())
        targets = capture(to_caffe(to_tensor(fit(style, max(content.shape[:2])), device)), "style")
        targets.update(capture(c, "content"))
        for t, target in targets.items():
            t.target = target
        img = nn.Parameter(c.clone())
        opt = torch.optim.LBFGS([img], max_iter=iters, tolerance_change=-1, tolerance_grad=-1)
        stamps: list[float] = []

        def feval() -> torch.Tensor:
            opt.zero_grad()
            net(img)
            loss = net[0].loss + sum(t.loss for t in taps)
            loss.backward()
            stamps.append(time.perf_counter())
            return loss

        opt.step(feval)
        return stamps, from_caffe(img.detach())

    return run
