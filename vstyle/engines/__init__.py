"""Engines: one small interface over the ways a feed-forward net can run.

An :class:`Engine` maps a batch ``(B, 3, H, W)`` float RGB in [0, 1] on its device to
a batch of the same shape, and says what it is (``name``) and at what ``precision``
it computes. :func:`build` is the one place engines are made; ``--engine auto``
is decided by :func:`choose`. onnxruntime and tensorrt are imported only inside
their builders, so vstyle runs without them.
"""

from __future__ import annotations

import importlib.util
from typing import Protocol

import torch
from torch import nn

from ..device import Runtime
from ..errors import DeviceError
from ..options import ENGINES


class Engine(Protocol):
    """A net ready to run: ``engine(batch) -> batch``.

    Attributes:
        name: the engine's name, one of :data:`~vstyle.options.ENGINES` but ``auto``.
        precision: ``fp32``, ``fp16`` or ``bf16``: what the arithmetic runs in.
        fixed_shape: (optional, False when absent) every call must have the shape of
            the first (CUDA graphs, TensorRT plans): callers pad a short last batch.
    """

    name: str
    precision: str

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) float in [0, 1] on the engine's device -> same shape, float32."""
        ...


def installed(module: str) -> bool:
    """Whether ``module`` can be imported, without importing it."""
    return importlib.util.find_spec(module) is not None


def choose(engine: str, device: torch.device, precision: str = "fp32") -> str:
    """The engine ``--engine auto`` means on ``device``; any other name is kept.

    TensorRT when importable on CUDA, else torch.compile on CUDA, else ONNX Runtime
    on the CPU when installed (fp32 only), else eager.
    """
    if engine != "auto":
        return engine
    if device.type == "cuda":
        return "tensorrt" if installed("tensorrt") else "compile"
    if device.type == "cpu" and precision == "fp32" and installed("onnxruntime"):
        return "onnx"
    return "eager"


def build(
    net: nn.Module,
    runtime: Runtime,
    engine_name: str = "auto",
    size: tuple[int, int] | None = None,
    precision: str | None = None,
    batch: int = 1,
) -> Engine:
    """Make the engine ``engine_name`` for ``net`` on ``runtime.device``.

    Args:
        net: a feed-forward net in eval mode ((B,3,H,W) [0,1] -> same), any device.
        engine_name: one of :data:`~vstyle.options.ENGINES`.
        size: (width, height) of every frame, known before the first one; fixed-shape
            engines (compile's CUDA graphs, TensorRT's profile) build for it.
        precision: ``fp32|fp16|bf16``; None takes ``runtime.precision``.
        batch: frames per call; fixed-shape engines expect exactly this many.

    Raises:
        DeviceError: the engine, or its precision, cannot run here (names the fix).
    """
    precision = precision or runtime.precision
    name = choose(engine_name, runtime.device, precision)
    if name not in ENGINES:
        raise DeviceError(f"--engine '{engine_name}' is not one of {', '.join(ENGINES)}")
    if precision == "fp16" and runtime.device.type == "cpu":
        raise DeviceError(f"--precision fp16 needs a GPU for --engine {name}; use fp32 or bf16")
    if name == "eager":
        from .eager import EagerEngine

        return EagerEngine(net, runtime.device, precision)
    if name == "compile":
        from .compiled import CompiledEngine

        return CompiledEngine(net, runtime.device, precision)
    if name == "onnx":
        from .onnx import OnnxEngine

        return OnnxEngine(net, runtime.device, precision)
    from .tensorrt import TensorRTEngine

    return TensorRTEngine.for_stream(net, runtime.device, precision, size, batch)


__all__ = ["Engine", "build", "choose", "installed"]
