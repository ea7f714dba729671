"""The TensorRT engine: the ONNX export compiled for this GPU, cached on disk.

Building a TensorRT engine takes tens of seconds to minutes, so the serialized
plan is kept under ``$VSTYLE_HOME/engines/`` named by :func:`cache_key`: a hash of
everything the plan depends on (the weights' sha256, the stream's size and batch,
the precision, the GPU's name and the TensorRT version). Change any of these and
the key changes, so a new plan is built; a plan TensorRT cannot deserialize (a
truncated file, a driver update) is rebuilt too. The plan has one optimization
profile whose min, opt and max are the stream's padded shape: the pipeline knows
the size before the first frame, and a single shape lets TensorRT pick its
fastest kernels for exactly it.

Written against the TensorRT 10 Python API (named I/O tensors,
``execute_async_v3``); ``tensorrt`` is imported only here.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import torch
from torch import nn

from ..errors import DeviceError
from ..nets.modelfile import weights_hash
from .cache import cache_dir, cache_key, cached
from .onnx import INPUT, OUTPUT, export_onnx, pad4, padded_size

EXTRA_HINT = "pip install 'vstyle[tensorrt]' on a machine with an NVIDIA GPU"


def import_tensorrt():  # noqa: ANN201 - the module, whose type lives in tensorrt
    """``tensorrt``, or a one-line error naming the extra to install."""
    try:
        import tensorrt
    except ImportError:
        raise DeviceError(
            "TensorRT (--engine tensorrt, --format tensorrt) is not installed: "
            f"{EXTRA_HINT}, or use --engine compile / --format onnx"
        ) from None
    return tensorrt


def cache_fields(
    weights_sha256: str,
    size: tuple[int, int],
    batch: int,
    precision: str,
    gpu: str,
    trt_version: str,
) -> dict[str, object]:
    """Everything a plan depends on, as JSON-ready fields (stored beside the plan)."""
    return {
        "weights_sha256": weights_sha256,
        "size": [int(size[0]), int(size[1])],
        "batch": int(batch),
        "precision": precision,
        "gpu": gpu,
        "tensorrt": trt_version,
    }


def build_plan(onnx_path: Path, shape: tuple[int, int, int, int], precision: str) -> bytes:
    """Compile an ONNX file into a serialized TensorRT plan for one input shape.

    Args:
        shape: (B, 3, H, W) the plan runs at (H, W padded, see :func:`~.onnx.pad4`).
        precision: ``fp32``, ``fp16`` or ``bf16`` (the precision TensorRT may use).
    """
    trt = import_tensorrt()
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    network = builder.create_network(0)  # TensorRT 10: explicit batch is the only mode
    parser = trt.OnnxParser(network, logger)
    if not parser.parse(onnx_path.read_bytes()):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise DeviceError(f"TensorRT cannot parse the exported network: {errors}")
    config = builder.create_builder_config()
    if precision == "fp16":
        config.set_flag(trt.BuilderFlag.FP16)
    elif precision == "bf16":
        config.set_flag(trt.BuilderFlag.BF16)
    profile = builder.create_optimization_profile()
    profile.set_shape(INPUT, shape, shape, shape)
    config.add_optimization_profile(profile)
    plan = builder.build_serialized_network(network, config)
    if plan is None:
        raise DeviceError(f"TensorRT could not build an engine for input {shape} ({precision})")
    return bytes(plan)


class TensorRTEngine:
    """A deserialized TensorRT plan run on the current CUDA stream.

    Build it with :meth:`for_stream`; the plan runs at one shape, the stream's
    (``--batch`` frames of the padded size), as the stylizer calls it.
    """

    name = "tensorrt"
    fixed_shape = True  # the plan's one optimization profile

    def __init__(self, plan: bytes, device: torch.device, precision: str, shape) -> None:
        trt = import_tensorrt()
        self.device, self.precision, self.shape = device, precision, tuple(shape)
        self.logger = trt.Logger(trt.Logger.WARNING)
        self.runtime = trt.Runtime(self.logger)
        self.engine = self.runtime.deserialize_cuda_engine(plan)
        if self.engine is None:
            raise DeviceError("TensorRT could not load its cached engine; delete it and rerun")
        self.context = self.engine.create_execution_context()
        self.context.set_input_shape(INPUT, self.shape)

    @classmethod
    def for_stream(
        cls,
        net: nn.Module,
        device: torch.device,
        precision: str,
        size: tuple[int, int] | None,
        batch: int = 1,
    ) -> TensorRTEngine:
        """Load the cached plan for this net, size, batch, precision and GPU, or build it.

        Raises:
            DeviceError: tensorrt is not installed (names the extra), no CUDA device,
                no size given, or TensorRT cannot build the net.
        """
        trt = import_tensorrt()
        if device.type != "cuda":
            raise DeviceError("--engine tensorrt needs a CUDA GPU; use --engine onnx or eager")
        if size is None:
            raise DeviceError("--engine tensorrt needs the frame size before the first frame")
        shape = (batch, 3, padded_size(size[1]), padded_size(size[0]))
        fields = cache_fields(
            weights_hash(net.state_dict()), size, batch, precision,
            torch.cuda.get_device_name(device), trt.__version__,
        )  # fmt: skip

        def build() -> bytes:
            with tempfile.TemporaryDirectory() as tmp:
                onnx = export_onnx(net, Path(tmp) / "net.onnx", "fp32", size)
                return build_plan(onnx, shape, precision)

        plan, _ = cached(cache_dir(), fields, build, ".plan")
        try:
            return cls(plan, device, precision, shape)
        except DeviceError:  # a stale plan (driver update): rebuild once
            for f in cache_dir().glob(f"{cache_key(fields)}.*"):
                f.unlink(missing_ok=True)
            return cls(cached(cache_dir(), fields, build, ".plan")[0], device, precision, shape)

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) float in [0, 1] -> (B, 3, H, W) float32 in [0, 1]."""
        h, w = batch.shape[-2:]
        x = pad4(batch.to(self.device, torch.float32)).contiguous()
        if tuple(x.shape) != self.shape:
            raise DeviceError(f"TensorRT engine built for {self.shape}, given {tuple(x.shape)}")
        y = torch.empty_like(x)
        self.context.set_tensor_address(INPUT, x.data_ptr())
        self.context.set_tensor_address(OUTPUT, y.data_ptr())
        stream = torch.cuda.current_stream(self.device)
        if not self.context.execute_async_v3(stream.cuda_stream):
            raise DeviceError("TensorRT failed to run the engine")
        return y[..., :h, :w]
