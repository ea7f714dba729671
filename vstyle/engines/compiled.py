"""The compiled engine: ``torch.compile`` over the eager net.

On CUDA it compiles with ``mode="reduce-overhead"``, which records the whole
forward as a CUDA graph and replays it: the launch cost of ~40 small kernels is
paid once, which is most of a slim net's time at video sizes. A CUDA graph has
fixed shapes, so the stream's frames (one size, ``--batch`` frames per call, the
last call padded by the stylizer) replay one graph. On the CPU inductor generates
C++ (it needs a compiler, g++ or clang) and fuses the norms and activations.
Compilation happens on the first call, so that call takes seconds.
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import DeviceError
from .eager import DTYPES, memory_format, prepared


class CompiledEngine:
    """``torch.compile(net)`` with static shapes; CUDA graphs on a GPU.

    Args:
        net: (B,3,H,W) [0,1] -> same; copied to ``device`` and ``precision``.
        device: where batches come from and results stay.
        precision: ``fp32``, ``fp16`` or ``bf16``.
    """

    name = "compile"
    fixed_shape = True  # every call the same shape: one graph, never recompiled

    def __init__(self, net: nn.Module, device: torch.device, precision: str = "fp32") -> None:
        if device.type == "mps":
            raise DeviceError("--engine compile does not run on MPS; use --engine eager")
        self.precision = precision
        self.device = device
        self.dtype = DTYPES[precision]
        mode = "reduce-overhead" if device.type == "cuda" else None
        self.net = torch.compile(prepared(net, device, precision), mode=mode, dynamic=False)

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) float in [0, 1] -> (B, 3, H, W) float32 in [0, 1]."""
        x = batch.to(self.device, self.dtype).contiguous(memory_format=memory_format(self.device))
        if self.device.type == "cuda":
            torch.compiler.cudagraph_mark_step_begin()
        with torch.inference_mode():
            # A CUDA graph's output lives in memory the next replay overwrites: copy it out
            # (the float() cast copies for reduced precision; clone() for fp32).
            y = self.net(x)
            return y.float() if y.dtype != torch.float32 else y.clone()
