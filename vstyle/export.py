"""``vstyle export``: a ``.vsm`` model as an ONNX file or a TensorRT plan.

The ONNX file takes ``input`` (B, 3, H, W) RGB in [0, 1] with B, H and W dynamic
(H and W multiples of 4, at least 8: pad other sizes by replicating the edges and
crop the ``output`` back, as :func:`vstyle.engines.onnx.pad4` does). A TensorRT
plan is built for one GPU, TensorRT version and input shape (``--size``,
``--batch``), which is why it needs both.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from .errors import DeviceError, OptionError, OutputError, check_choice
from .nets.modelfile import load_model
from .options import EXPORT_FORMATS, PRECISIONS, FastOptions


def export_model(
    model: Path,
    output: Path,
    format: str = "onnx",
    size: tuple[int, int] | None = None,
    precision: str = "fp32",
    batch: int = 1,
    overwrite: bool = False,
) -> Path:
    """Write ``model`` as ``format`` to ``output``.

    Args:
        size: (width, height); onnx: the traced example's size (any works after);
            tensorrt: required, the plan's fixed input size.
        precision: fp32 or fp16 (fp16: half weights for onnx, fp16 kernels for tensorrt);
            auto: fp32 for onnx, fp16 for tensorrt.
        batch: tensorrt: frames per call.

    Raises:
        OptionError: unknown format or precision, or a tensorrt export without --size.
        OutputError: ``output`` exists without ``overwrite``, or cannot be written.
        ModelError: ``model`` is not an intact ``.vsm``.
        DeviceError: tensorrt is not installed (names the extra) or no CUDA GPU.
    """
    format = check_choice("--format", format, EXPORT_FORMATS)
    precision = check_choice("--precision", precision, PRECISIONS)
    if precision == "auto":  # what each format is for: portable fp32, TensorRT's fp16
        precision = "fp16" if format == "tensorrt" else "fp32"
    FastOptions(batch=batch)  # the same rule as the run command's --batch
    if precision == "bf16":
        raise OptionError("--precision bf16 cannot be exported; use fp32 or fp16")
    if output.exists() and not overwrite:
        raise OutputError(f"output '{output}' exists; pass --overwrite to replace it")
    if format == "tensorrt" and size is None:
        raise OptionError("--format tensorrt needs --size WIDTHxHEIGHT: a plan has one input size")
    net, _ = load_model(model)
    if format == "onnx":
        from .engines.onnx import export_onnx

        return export_onnx(net, output, precision, size)
    return _export_plan(net, output, size, precision, batch)  # type: ignore[arg-type]


def _export_plan(net, output: Path, size: tuple[int, int], precision: str, batch: int) -> Path:
    from .engines.onnx import export_onnx, padded_size
    from .engines.tensorrt import build_plan, import_tensorrt

    import_tensorrt()  # fail before the export if the extra is missing
    from .device import resolve_device

    if resolve_device("auto").type != "cuda":
        raise DeviceError("--format tensorrt needs a CUDA GPU to build the plan on")
    shape = (batch, 3, padded_size(size[1]), padded_size(size[0]))
    with tempfile.TemporaryDirectory() as tmp:
        plan = build_plan(export_onnx(net, Path(tmp) / "net.onnx", "fp32", size), shape, precision)
    try:
        output.write_bytes(plan)
    except OSError as exc:
        raise OutputError(f"output '{output}' cannot be written: {exc.strerror}") from None
    return output
