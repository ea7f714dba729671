"""The eager engine: the PyTorch module as it is, in the chosen precision.

Reduced precision casts the weights once (``net.half()``-style) rather than
autocasting every call: a feed-forward net has no loss to keep in fp32, and a
cast per op costs as much as the small convs of a slim net. On CUDA the weights
and batches are channels_last, the layout cuDNN's convolutions run fastest in;
on the CPU the default layout is kept (oneDNN reorders either way).
"""

from __future__ import annotations

import copy

import torch
from torch import nn

DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


def memory_format(device: torch.device) -> torch.memory_format:
    """channels_last where it helps (CUDA), else the default layout."""
    return torch.channels_last if device.type == "cuda" else torch.contiguous_format


def prepared(net: nn.Module, device: torch.device, precision: str) -> nn.Module:
    """A copy of ``net`` on ``device`` in ``precision`` and its layout, in eval mode.

    A copy, so the caller's net (often the one loaded once and handed to several
    engines, as the parity tests do) keeps its device and dtype.

    Instance norm's statistics stay accurate in fp16/bf16: PyTorch accumulates them
    in fp32 internally.
    """
    net = copy.deepcopy(net).eval().requires_grad_(False)
    return net.to(device=device, dtype=DTYPES[precision], memory_format=memory_format(device))


class EagerEngine:
    """``net(batch)`` under ``torch.inference_mode``, on any device (CPU, CUDA, MPS).

    Args:
        net: (B,3,H,W) [0,1] -> same; copied to ``device`` and ``precision``.
        device: where batches come from and results stay.
        precision: ``fp32``, ``fp16`` or ``bf16``.
    """

    name = "eager"

    def __init__(self, net: nn.Module, device: torch.device, precision: str = "fp32") -> None:
        self.precision = precision
        self.device = device
        self.dtype = DTYPES[precision]
        self.net = prepared(net, device, precision)

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) float in [0, 1] -> (B, 3, H, W) float32 in [0, 1]."""
        x = batch.to(self.device, self.dtype).contiguous(memory_format=memory_format(self.device))
        with torch.inference_mode():
            return self.net(x).float()
