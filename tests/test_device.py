"""Device and precision are decided in one place."""

from __future__ import annotations

import pytest
import torch

from vstyle.device import Runtime, cpu_has_bf16, resolve_device
from vstyle.errors import DeviceError


def test_resolve_cpu_and_auto() -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else resolve_device("auto").type
    assert resolve_device("auto").type == expected


@pytest.mark.parametrize("spec", ["tpu", "cuda:x", "gpu0"])
def test_unknown_device(spec: str) -> None:
    with pytest.raises(DeviceError, match=f"--device '{spec}'"):
        resolve_device(spec)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-GPU message")
def test_cuda_missing_is_clear() -> None:
    with pytest.raises(DeviceError, match="no CUDA GPU"):
        resolve_device("cuda")


def test_fp16_needs_a_gpu_on_cpu() -> None:
    with pytest.raises(DeviceError, match="fp16"):
        Runtime.from_options("cpu", "fp16")


def test_autocast_follows_precision() -> None:
    layer = torch.nn.Linear(4, 4)
    x = torch.rand(2, 4)
    with Runtime.from_options("cpu", "fp32").autocast():
        assert layer(x).dtype == torch.float32
    with Runtime.from_options("cpu", "bf16").autocast():
        assert layer(x).dtype == torch.bfloat16


def test_channels_last_only_on_cuda() -> None:
    assert Runtime.from_options("cpu").memory_format == torch.contiguous_format


@pytest.mark.gpu
def test_cuda_bf16_stylizes(content_rgb, style_rgb, write_png, vgg_file) -> None:
    from vstyle.optimize.stylizer import FrameOptimizer
    from vstyle.options import OptimOptions, Options, RuntimeOptions, StyleOptions

    style = write_png("style.png", style_rgb)
    options = Options(
        style=StyleOptions(paths=(style,)),
        optim=OptimOptions(iters=20),
        runtime=RuntimeOptions(device="cuda", precision="bf16", vgg_weights=vgg_file),
    )
    runtime = Runtime.from_options("cuda", "bf16")
    assert runtime.memory_format == torch.channels_last
    image, result = FrameOptimizer(options, runtime).stylize(content_rgb)
    assert image.device.type == "cuda" and torch.isfinite(image).all()
    assert result.losses[-1] < 0.8 * result.losses[0]


@pytest.mark.parametrize(
    ("caps", "expected"),
    [
        ({"avx512_bf16": True, "avx2": True}, "bf16"),
        ({"amx_bf16": True}, "bf16"),
        ({"avx512_f": True, "avx512_bf16": False, "avx2": True}, "fp32"),
        ({"bf16": True, "architecture": "arm64"}, "bf16"),
    ],
)
def test_auto_precision_follows_cpu_bf16(caps: dict, expected: str, monkeypatch) -> None:
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: caps)
    assert cpu_has_bf16() is (expected == "bf16")
    runtime = Runtime.from_options("cpu", "auto")
    assert runtime.precision == expected
    with runtime.autocast():
        assert torch.nn.Linear(4, 4)(torch.rand(2, 4)).dtype == runtime.dtype
