"""Device and precision are decided in one place.

CUDA and MPS are simulated where the machine has neither, so each rule of
:func:`resolve_device` is checked on any machine; the ``gpu`` test runs for real.
"""

from __future__ import annotations

import pytest
import torch

from vstyle import device as device_module
from vstyle.device import Runtime, cpu_has_bf16, resolve_device
from vstyle.errors import DeviceError


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch):
    """Pretend this machine has ``cuda`` CUDA devices and MPS or not."""

    def set_(cuda: int = 0, mps: bool = False, bf16: bool = True) -> None:
        monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda > 0)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: cuda)
        monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: bf16)
        monkeypatch.setattr(device_module, "_mps_available", lambda: mps)

    return set_


@pytest.mark.parametrize(
    ("cuda", "mps", "expected"),
    [(0, False, "cpu"), (0, True, "mps"), (1, False, "cuda"), (2, True, "cuda")],
)
def test_auto_prefers_cuda_then_mps_then_cpu(fake, cuda: int, mps: bool, expected: str) -> None:
    fake(cuda=cuda, mps=mps)
    assert resolve_device("auto").type == expected
    assert resolve_device("cpu") == torch.device("cpu")


def test_cuda_index_is_checked(fake) -> None:
    fake(cuda=2)
    assert resolve_device("CUDA:1") == torch.device("cuda", 1)
    assert resolve_device("cuda") == torch.device("cuda", 0)
    with pytest.raises(DeviceError, match="only 2 CUDA device"):
        resolve_device("cuda:2")


@pytest.mark.parametrize("spec", ["tpu", "cuda:x", "gpu0"])
def test_unknown_device(spec: str) -> None:
    with pytest.raises(DeviceError, match=f"--device '{spec}'"):
        resolve_device(spec)


def test_missing_devices_are_clear(fake) -> None:
    fake(cuda=0, mps=False)
    with pytest.raises(DeviceError, match="no CUDA GPU.*--device cpu"):
        resolve_device("cuda")
    with pytest.raises(DeviceError, match="MPS is not available"):
        resolve_device("mps")


def test_precision_rules(fake) -> None:
    with pytest.raises(DeviceError, match="fp16 needs a GPU"):
        Runtime.from_options("cpu", "fp16")
    fake(cuda=1, bf16=False)
    with pytest.raises(DeviceError, match="bf16 is not supported"):
        Runtime.from_options("cuda", "bf16")
    assert Runtime.from_options("cuda", "fp16").dtype == torch.float16


def test_autocast_follows_precision() -> None:
    layer = torch.nn.Linear(4, 4)
    x = torch.rand(2, 4)
    with Runtime.from_options("cpu", "fp32").autocast():
        assert layer(x).dtype == torch.float32
    with Runtime.from_options("cpu", "bf16").autocast():
        assert layer(x).dtype == torch.bfloat16


def test_channels_last_only_on_cuda() -> None:
    assert Runtime(torch.device("cpu")).memory_format == torch.contiguous_format
    assert Runtime(torch.device("cuda")).memory_format == torch.channels_last
    image = Runtime(torch.device("cpu")).tensor(torch.rand(1, 3, 4, 5).permute(0, 1, 3, 2))
    assert image.is_contiguous()  # a strided view comes back in the preferred format


@pytest.mark.gpu
def test_cuda_bf16_stylizes(content_rgb, style_rgb, write_png, tiny_vgg) -> None:
    from vstyle.optimize.stylizer import FrameOptimizer
    from vstyle.options import OptimOptions, Options, RuntimeOptions, StyleOptions

    style = write_png("style.png", style_rgb)
    options = Options(
        style=StyleOptions(paths=(style,)),
        optim=OptimOptions(iters=20),
        runtime=RuntimeOptions(device="cuda", precision="bf16", vgg_weights=tiny_vgg),
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


def test_peak_rss_is_the_process_own_not_its_parents() -> None:
    """A child's ``ru_maxrss`` starts at its parent's; ``peak_rss`` reads its own VmHWM."""
    import subprocess
    import sys

    from vstyle.device import peak_rss

    held = bytearray(600 * 2**20)  # this process: at least 600 MiB resident
    held[::4096] = b"\1" * len(held[::4096])
    assert peak_rss() >= 600 * 2**20
    child = "from vstyle.device import peak_rss; print(peak_rss())"
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) < 500 * 2**20  # torch and vstyle imported, none of our 600 MiB
    assert peak_rss(2**22 + 1) is None  # no such process
    del held
