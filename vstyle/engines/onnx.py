"""The ONNX engine: export the net once, run it with ONNX Runtime (CPU or CUDA provider).

The exported graph takes ``input`` (B, 3, H, W) with B, H and W dynamic, H and W
multiples of 4 and at least 8: the nets pad other sizes themselves with a branch
on the size, which an exported graph would freeze at the size it was traced with.
:func:`pad4` and the crop in :meth:`OnnxEngine.__call__` do that padding outside
the graph, by edge replication as :class:`~vstyle.nets.transformer.TransformerNet`
does, so any frame size runs. (The lengstrom layout pads odd sizes the TF way
inside; through ONNX its last 1-3 border pixels come from replicated edges.)
"""

from __future__ import annotations

import contextlib
import copy
import logging
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..errors import DeviceError, OutputError
from ..nets.modelfile import weights_hash
from .cache import cache_dir, cached
from .eager import DTYPES

OPSET = 18
INPUT, OUTPUT = "input", "output"
MULTIPLE = 4  # two stride-2 stages
MIN_SIDE = 8  # instance norm needs the H/4 map wider than 1 px


def padded_size(side: int) -> int:
    """The side the graph runs at: a multiple of 4, at least 8."""
    return max(MIN_SIDE, -(-side // MULTIPLE) * MULTIPLE)


def pad4(batch: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) -> (B, 3, H', W') with H', W' = :func:`padded_size`, edges replicated."""
    h, w = batch.shape[-2:]
    ph, pw = padded_size(h) - h, padded_size(w) - w
    return F.pad(batch, (0, pw, 0, ph), mode="replicate") if ph or pw else batch


def export_onnx(
    net: nn.Module, path: Path | str, precision: str = "fp32", size: tuple[int, int] | None = None
) -> Path:
    """Write ``net`` as ONNX (opset 18) with a dynamic batch, height and width.

    Args:
        size: (width, height) of the example traced; the graph accepts any multiple of 4
            from 8 up (pad with :func:`pad4`), so it only sets the shapes' hints.
        precision: ``fp32`` or ``fp16`` (weights and input/output in half).

    Raises:
        OutputError: the file cannot be written.
    """
    path = Path(path)
    w, h = (padded_size(s) for s in (size or (64, 64)))
    net = copy.deepcopy(net).eval().requires_grad_(False).to("cpu", DTYPES[precision])
    example = torch.rand(1, 3, h, w, dtype=DTYPES[precision])
    dims = {
        0: torch.export.Dim("batch", min=1, max=1024),
        2: MULTIPLE * torch.export.Dim("height_4", min=MIN_SIDE // MULTIPLE, max=4096),
        3: MULTIPLE * torch.export.Dim("width_4", min=MIN_SIDE // MULTIPLE, max=4096),
    }
    # The exporter reports its steps on stdout, which may be the video stream (OUT '-'),
    # and logs warnings about torchvision ops this net does not use.
    with warnings.catch_warnings(), contextlib.redirect_stdout(sys.stderr), _quiet("torch.onnx"):
        warnings.simplefilter("ignore")  # the exporter's deprecation chatter, not ours
        program = torch.onnx.export(
            net, (example,), input_names=[INPUT], output_names=[OUTPUT],
            dynamic_shapes=(dims,), dynamo=True, opset_version=OPSET, verbose=False,
        )  # fmt: skip
    try:
        program.save(str(path))
    except OSError as exc:
        raise OutputError(f"ONNX output '{path}' cannot be written: {exc.strerror}") from None
    return path


@contextlib.contextmanager
def _quiet(name: str) -> Iterator[None]:
    """Only errors from the logger ``name`` (and its children) while inside."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def onnx_bytes(net: nn.Module, precision: str = "fp32") -> bytes:
    """``net`` exported as ONNX, from the cache under ``$VSTYLE_HOME/engines`` when there.

    Exporting takes seconds; the export depends only on the weights, the precision
    and the exporter, so it is kept keyed by those.
    """
    fields = {
        "format": "onnx",
        "weights_sha256": weights_hash(net.state_dict()),
        "precision": precision,
        "torch": torch.__version__,
        "opset": OPSET,
    }

    def export() -> bytes:
        with tempfile.TemporaryDirectory() as tmp:
            return export_onnx(net, Path(tmp) / "net.onnx", precision).read_bytes()

    return cached(cache_dir(), fields, export, ".onnx")[0]


def import_onnxruntime():  # noqa: ANN201 - the module, whose type lives in onnxruntime
    """``onnxruntime``, or a one-line error naming the extra to install."""
    try:
        import onnxruntime
    except ImportError:
        raise DeviceError(
            "--engine onnx needs ONNX Runtime, which is not installed: "
            "pip install 'vstyle[onnx]' (or choose --engine eager)"
        ) from None
    return onnxruntime


class OnnxEngine:
    """The net exported to ONNX and run by ONNX Runtime.

    Args:
        net: (B,3,H,W) [0,1] -> same (left untouched).
        device: CPU (CPUExecutionProvider) or CUDA (CUDAExecutionProvider).
        precision: ``fp32``; ``fp16`` on CUDA only.
    """

    name = "onnx"

    def __init__(
        self,
        net: nn.Module,
        device: torch.device,
        precision: str = "fp32",
    ) -> None:
        ort = import_onnxruntime()
        if device.type not in ("cpu", "cuda"):
            raise DeviceError(f"--engine onnx runs on cpu or cuda, not {device.type}")
        if precision == "bf16" or (precision == "fp16" and device.type != "cuda"):
            raise DeviceError(
                f"--engine onnx runs fp32 (and fp16 on CUDA), not {precision} on {device.type}; "
                "use --precision fp32 or --engine eager"
            )
        provider = "CUDAExecutionProvider" if device.type == "cuda" else "CPUExecutionProvider"
        if provider not in ort.get_available_providers():
            raise DeviceError(
                f"--engine onnx on {device.type}: this onnxruntime has no {provider}; "
                "install onnxruntime-gpu, or use --engine compile"
            )
        self.device, self.precision, self.dtype = device, precision, DTYPES[precision]
        options = ort.SessionOptions()
        options.log_severity_level = 3  # warnings about unused initializers are noise
        model = onnx_bytes(net, precision)
        self.session = ort.InferenceSession(model, options, providers=[provider])

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) float in [0, 1] -> (B, 3, H, W) float32 in [0, 1]."""
        h, w = batch.shape[-2:]
        x = pad4(batch.to(self.device, self.dtype)).contiguous()
        if self.device.type == "cpu":
            y = torch.from_numpy(self.session.run([OUTPUT], {INPUT: x.numpy()})[0])
        else:  # bind device memory: no round trip through the host
            y = torch.empty_like(x)
            binding = self.session.io_binding()
            elem = np.float16 if self.dtype == torch.float16 else np.float32
            index = self.device.index or 0
            for bind, name, t in ((binding.bind_input, INPUT, x), (binding.bind_output, OUTPUT, y)):
                bind(name, "cuda", index, elem, tuple(t.shape), t.data_ptr())
            torch.cuda.current_stream(self.device).synchronize()
            self.session.run_with_iobinding(binding)
        return y[..., :h, :w].float()
