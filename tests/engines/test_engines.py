"""Every engine against eager (as kornia tests compiled against eager), the auto choice,
and the one-line errors for a missing extra or an impossible precision."""

from __future__ import annotations

import sys

import pytest
import torch

from tests.nets.test_transformer import seeded
from vstyle import engines
from vstyle.device import Runtime
from vstyle.errors import DeviceError, VstyleError
from vstyle.nets.lengstrom import LengstromNet
from vstyle.nets.transformer import TransformerNet

CPU = Runtime(torch.device("cpu"))
# (worst, mean) pixel difference from eager fp32, per precision: fp32 engines differ
# only in the order of sums; fp16 keeps 11 bits of mantissa, bf16 8, through 17 layers
# of a net with random (so badly conditioned) norms.
TOLERANCE = {"fp32": (1e-4, 1e-5), "fp16": (5e-2, 3e-3), "bf16": (0.15, 1.5e-2)}


def close(out: torch.Tensor, ref: torch.Tensor, precision: str) -> bool:
    diff = (out.float().cpu() - ref).abs()
    worst, mean = TOLERANCE[precision]
    return diff.max().item() < worst and diff.mean().item() < mean


@pytest.fixture(scope="module")
def net() -> TransformerNet:
    return seeded(TransformerNet(0.25), seed=5)


@pytest.fixture(scope="module")
def batch() -> torch.Tensor:
    # Odd sizes: the padding to a multiple of 4 and the crop back are exercised.
    return torch.rand(2, 3, 13, 22, generator=torch.Generator().manual_seed(1))


def reference(net: torch.nn.Module, batch: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return net(batch)


def test_eager_fp32_is_the_module_and_leaves_it_alone(net, batch) -> None:
    engine = engines.build(net, CPU, "eager", (22, 13))
    out = engine(batch)
    assert (engine.name, engine.precision) == ("eager", "fp32")
    assert out.shape == batch.shape and out.dtype == torch.float32
    assert torch.equal(out, reference(net, batch))
    assert next(net.parameters()).dtype == torch.float32  # the caller's net is not cast


def test_eager_bf16_within_tolerance(net, batch) -> None:
    engine = engines.build(net, CPU, "eager", (22, 13), "bf16")
    out = engine(batch)
    assert engine.precision == "bf16" and out.dtype == torch.float32
    assert close(out, reference(net, batch), "bf16")
    assert not torch.equal(out, reference(net, batch))  # it really ran in bf16


@pytest.mark.slow  # exporting takes seconds on a 2-core CPU
@pytest.mark.parametrize("layout", ["vstyle", "lengstrom"])
def test_onnx_parity_at_any_size(layout: str, net, batch) -> None:
    model = net if layout == "vstyle" else seeded(LengstromNet(), seed=2)
    engine = engines.build(model, CPU, "onnx", (22, 13))
    assert (engine.name, engine.precision) == ("onnx", "fp32")
    # One graph serves every batch and size: dynamic B, H, W.
    shapes = [(2, 3, 16, 24), (1, 3, 9, 30)] + ([tuple(batch.shape)] if layout == "vstyle" else [])
    for shape in shapes:
        x = torch.rand(shape, generator=torch.Generator().manual_seed(len(shape)))
        out = engine(x)
        assert out.shape == x.shape
        if layout == "vstyle" or (shape[2] % 4 == 0 and shape[3] % 4 == 0):
            # lengstrom pads odd sizes the TF way inside; the graph gets replicated edges
            assert close(out, reference(model, x), "fp32")
    assert list((engines.cache.cache_dir()).glob("*.onnx")), "the export is cached"


@pytest.mark.slow  # inductor compiles C++ for a few tens of seconds on this CPU
def test_compile_parity(net, batch) -> None:
    engine = engines.build(net, CPU, "compile", (22, 13), batch=2)
    assert (engine.name, engine.precision, engine.fixed_shape) == ("compile", "fp32", True)
    for _ in range(2):  # the second call replays what the first compiled
        out = engine(batch)
        assert close(out, reference(net, batch), "fp32")


@pytest.mark.gpu
@pytest.mark.parametrize("name", ["eager", "compile", "onnx", "tensorrt"])
@pytest.mark.parametrize("precision", ["fp32", "fp16"])
def test_cuda_engines_match_eager(name: str, precision: str, net, batch) -> None:
    if name in ("onnx", "tensorrt") and not engines.installed(
        "tensorrt" if name == "tensorrt" else "onnxruntime"
    ):
        pytest.skip(f"{name} is not installed (pip install 'vstyle[{name}]')")
    cuda = Runtime(torch.device("cuda"), precision)
    engine = engines.build(net, cuda, name, (22, 13), batch=2)
    out = engine(batch.cuda())
    assert engine.name == name and out.shape == batch.shape
    assert close(out, reference(net, batch), precision)


@pytest.mark.parametrize(
    ("device", "precision", "have", "expected"),
    [
        ("cuda", "fp16", {"tensorrt", "onnxruntime"}, "tensorrt"),
        ("cuda", "fp16", {"onnxruntime"}, "compile"),
        ("cpu", "fp32", {"onnxruntime", "tensorrt"}, "onnx"),
        ("cpu", "bf16", {"onnxruntime"}, "eager"),
        ("cpu", "fp32", set(), "eager"),
        ("mps", "fp32", {"onnxruntime"}, "eager"),
    ],
)
def test_auto_choice(device, precision, have, expected, monkeypatch) -> None:
    monkeypatch.setattr(engines, "installed", lambda module: module in have)
    assert engines.choose("auto", torch.device(device), precision) == expected
    assert engines.choose("eager", torch.device(device), precision) == "eager"


@pytest.mark.parametrize(("name", "module", "extra"), [
    ("tensorrt", "tensorrt", "vstyle[tensorrt]"),
    ("onnx", "onnxruntime", "vstyle[onnx]"),
])  # fmt: skip
def test_missing_extra_is_one_line_naming_it(name, module, extra, net, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # import raises ImportError
    with pytest.raises(DeviceError) as info:
        engines.build(net, CPU, name, (22, 13))
    message = str(info.value)
    assert extra in message and f"--engine {name}" in message and "\n" not in message


def test_impossible_precisions_are_refused(net) -> None:
    with pytest.raises(VstyleError, match="fp16 needs a GPU"):
        engines.build(net, CPU, "eager", (22, 13), "fp16")
    if engines.installed("onnxruntime"):
        with pytest.raises(DeviceError, match="--engine onnx runs fp32"):
            engines.build(net, CPU, "onnx", (22, 13), "bf16")
