"""The feed-forward nets: shapes at any size, the width multiplier, the decoder, the contract."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from vstyle.errors import ModelError, OptionError
from vstyle.nets.lengstrom import LengstromNet, same_pad
from vstyle.nets.transformer import TransformerNet, channels


def params(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def seeded(net: nn.Module, seed: int = 0) -> nn.Module:
    """Random norms too, so instance norm's affine part is not the identity."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.2 + (1.0 if p.dim() == 1 else 0.0))
    return net.eval()


@pytest.mark.parametrize("height, width", [(1, 1), (7, 5), (33, 47), (48, 64), (50, 31)])
def test_any_size_gives_the_same_size(height: int, width: int) -> None:
    net = seeded(TransformerNet(0.25))
    x = torch.rand(2, 3, height, width)
    with torch.no_grad():
        y = net(x)
    assert y.shape == x.shape
    assert y.min() >= 0 and y.max() <= 1


@pytest.mark.parametrize("height, width", [(1, 1), (33, 47), (48, 64)])
def test_lengstrom_any_size_gives_the_same_size(height: int, width: int) -> None:
    net = seeded(LengstromNet())
    with torch.no_grad():
        y = net(torch.rand(1, 3, height, width))
    assert y.shape == (1, 3, height, width)
    assert y.min() >= 0 and y.max() <= 1


def test_width_multiplier_slims_the_net() -> None:
    assert channels(1.0) == (32, 64, 128) and channels(0.25) == (8, 16, 32)
    full, half, quarter = (params(TransformerNet(w)) for w in (1.0, 0.5, 0.25))
    assert full > half > quarter
    assert 3.5 < full / half < 4.5  # convs dominate: parameters go with width squared
    narrow = seeded(TransformerNet(0.5))
    assert narrow.residuals[0].body[0][1].out_channels == 64


@pytest.mark.parametrize("width", [0.0, -1.0, 4.5])
def test_bad_width_is_an_option_error(width: float) -> None:
    with pytest.raises(OptionError, match="--width"):
        TransformerNet(width)
    with pytest.raises(ModelError, match="lengstrom"):
        LengstromNet(0.5)


def test_decoder_upsamples_then_convolves() -> None:
    net = TransformerNet(0.25)
    kinds = {type(m) for m in net.modules()}
    assert nn.ConvTranspose2d not in kinds
    assert nn.Upsample in kinds and nn.ReflectionPad2d in kinds
    assert sum(isinstance(m, nn.InstanceNorm2d) and m.affine for m in net.modules()) == 15


def test_frames_in_a_batch_do_not_mix() -> None:
    net = seeded(TransformerNet(0.25), seed=1)
    x = torch.rand(2, 3, 32, 40)
    with torch.no_grad():
        both, first = net(x), net(x[:1])
    torch.testing.assert_close(both[:1], first, rtol=1e-4, atol=1e-5)
    assert not torch.allclose(both[0], both[1])


def test_every_parameter_learns() -> None:
    net = seeded(TransformerNet(0.25)).train()
    x = torch.rand(1, 3, 32, 32, requires_grad=True)
    net(x).square().mean().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in net.parameters())
    assert x.grad is not None and x.grad.abs().sum() > 0


@pytest.mark.parametrize(
    "size, kernel, stride, expected",
    [
        (64, 3, 2, (0, 1)),
        (63, 3, 2, (1, 1)),
        (64, 9, 1, (4, 4)),
        (5, 3, 2, (1, 1)),
        (1, 3, 2, (1, 1)),
    ],
)
def test_tf_same_padding(size: int, kernel: int, stride: int, expected: tuple[int, int]) -> None:
    assert same_pad(size, kernel, stride) == expected
    before, after = same_pad(size, kernel, stride)
    assert (size + before + after - kernel) // stride + 1 == -(-size // stride)
