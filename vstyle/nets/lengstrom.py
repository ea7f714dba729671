"""The layout of Logan Engstrom's fast-style-transfer nets (TensorFlow), read from torch files.

Same encoder and residual blocks as :mod:`vstyle.nets.transformer`, but as trained
in TensorFlow: TF-"SAME" zero padding, no conv biases, instance norm with eps 1e-3,
a transposed-conv decoder, 0-255 input and a ``150 * tanh + 127.5`` output. The
module takes and gives vstyle's [0, 1] RGB, so engines never know which layout
they run. State dict keys are the files' own (``conv1``, ``in1``, ``res1.conv1``,
``deconv1``, ``conv_out``, ``in6``, ...), so a file loads strictly as it is.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ModelError

EPS = 1e-3  # TF's tf.nn.moments-based instance norm in the original code


def same_pad(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TF "SAME" padding (before, after) of one axis: the smaller half goes first."""
    total = max((-(-size // stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class Residual(nn.Module):
    """``x + IN(conv(ReLU(IN(conv(x)))))``: keys ``conv1, in1, conv2, in2``."""

    def __init__(self, ch: int) -> None:
        super().__init__()
        self.conv1, self.in1 = nn.Conv2d(ch, ch, 3, bias=False), _norm(ch)
        self.conv2, self.in2 = nn.Conv2d(ch, ch, 3, bias=False), _norm(ch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.in1(self.conv1(F.pad(x, (1, 1, 1, 1)))))
        return x + self.in2(self.conv2(F.pad(y, (1, 1, 1, 1))))


def _norm(ch: int) -> nn.InstanceNorm2d:
    return nn.InstanceNorm2d(ch, eps=EPS, affine=True)


class LengstromNet(nn.Module):
    """lengstrom/fast-style-transfer's net behind vstyle's contract.

    Shapes:
        input (B, 3, H, W) RGB in [0, 1], any H, W >= 1; output the same shape, in [0, 1]
        (the original's range is -22.5..277.5 of 255, clamped here).
    """

    layout = "lengstrom"

    def __init__(self, width: float = 1.0) -> None:
        super().__init__()
        if width != 1.0:
            raise ModelError(f"layout 'lengstrom' has one width, 1.0, not {width}")
        self.width = width
        self.conv1, self.in1 = nn.Conv2d(3, 32, 9, bias=False), _norm(32)
        self.conv2, self.in2 = nn.Conv2d(32, 64, 3, 2, bias=False), _norm(64)
        self.conv3, self.in3 = nn.Conv2d(64, 128, 3, 2, bias=False), _norm(128)
        for r in range(1, 6):
            self.add_module(f"res{r}", Residual(128))
        self.deconv1, self.in4 = nn.ConvTranspose2d(128, 64, 3, 2, bias=False), _norm(64)
        self.deconv2, self.in5 = nn.ConvTranspose2d(64, 32, 3, 2, bias=False), _norm(32)
        self.conv_out, self.in6 = nn.Conv2d(32, 3, 9, bias=False), _norm(3)

    @staticmethod
    def _same(x: torch.Tensor, conv: nn.Conv2d) -> torch.Tensor:
        k, s = conv.kernel_size[0], conv.stride[0]
        top, bottom = same_pad(x.shape[-2], k, s)
        left, right = same_pad(x.shape[-1], k, s)
        return conv(F.pad(x, (left, right, top, bottom)))

    @staticmethod
    def _up(x: torch.Tensor, deconv: nn.ConvTranspose2d) -> torch.Tensor:
        # stride 2, no padding gives 2H+1; keeping [:2H] is TF's conv2d_transpose "SAME"
        # (starting at 1 instead shifts the picture by 3 px after both stages).
        h, w = x.shape[-2:]
        return deconv(x)[..., : 2 * h, : 2 * w]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        # Under 8 px the third conv's map is 1x1 and instance norm is undefined; the original
        # cannot run such sizes at all, so growing them changes nothing it could do.
        if h < 8 or w < 8:
            x = F.pad(x, (0, max(8 - w, 0), 0, max(8 - h, 0)), mode="replicate")
        y = x * 255.0
        for conv, norm in ((self.conv1, self.in1), (self.conv2, self.in2), (self.conv3, self.in3)):
            y = F.relu(norm(self._same(y, conv)))
        y = self.res5(self.res4(self.res3(self.res2(self.res1(y)))))
        y = F.relu(self.in4(self._up(y, self.deconv1)))
        y = F.relu(self.in5(self._up(y, self.deconv2)))
        y = self.in6(self._same(y, self.conv_out))
        # odd sizes: SAME stride 2 rounds up, so the decoder ends a pixel too large
        y = y[..., :h, :w]
        return (150.0 * torch.tanh(y) + 127.5).div(255.0).clamp(0.0, 1.0)


def read_lengstrom(path: Path) -> dict[str, torch.Tensor]:
    """Read a lengstrom-layout torch state dict (``weights_only=True``) and check it.

    Raises:
        ModelError: unreadable, not a state dict of tensors, or another layout.
    """
    try:
        with open(path, "rb") as f:
            magic = f.read(2)
    except OSError as exc:
        raise ModelError(f"model '{path}' cannot be read: {exc.strerror}") from None
    if magic != b"PK" and magic[:1] != b"\x80":  # torch.save's zip, or a bare pickle
        raise ModelError(f"model '{path}' is not a PyTorch file (.pth) of layout 'lengstrom'")
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:  # what weights_only refuses: objects other than tensors
        raise ModelError(
            f"model '{path}' holds Python objects besides tensors; only plain state dicts "
            "are read (weights_only=True), save one with torch.save(net.state_dict(), FILE)"
        ) from None
    except Exception as exc:  # torch raises many kinds for a broken file
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ModelError(f"model '{path}' cannot be read as a torch state dict: {first}") from None
    if not isinstance(raw, dict) or not all(isinstance(v, torch.Tensor) for v in raw.values()):
        raise ModelError(f"model '{path}' is not a state dict of tensors")
    return raw
