"""The Gatys losses: shapes, zeros, and independence from the feature scale."""

from __future__ import annotations

import pytest
import torch

from vstyle.losses.gatys import content_loss, gram, style_loss, tv_loss
from vstyle.options import LOSS_KINDS


def test_gram_shape_and_value() -> None:
    f = torch.rand(2, 4, 5, 6)
    g = gram(f)
    assert g.shape == (2, 4, 4)
    expected = torch.einsum("bchw,bdhw->bcd", f, f) / 30
    assert torch.allclose(g, expected, atol=1e-6)
    assert torch.allclose(g, g.transpose(1, 2))


def test_gram_is_size_independent_for_tiled_texture() -> None:
    f = torch.rand(1, 3, 4, 4)
    assert torch.allclose(gram(f), gram(f.repeat(1, 1, 3, 2)), atol=1e-6)


@pytest.mark.parametrize("kind", LOSS_KINDS)
def test_losses_zero_at_target_and_scale_free(kind: str) -> None:
    torch.manual_seed(0)
    x = {"a": torch.rand(1, 8, 6, 6), "b": torch.rand(1, 16, 3, 3)}
    t = {"a": torch.rand(1, 8, 6, 6), "b": torch.rand(1, 16, 3, 3)}
    assert float(content_loss(t, t, kind)) == 0.0
    grams = {k: gram(v) for k, v in t.items()}
    assert float(style_loss(t, grams, kind=kind)) == pytest.approx(0.0, abs=1e-7)
    c1 = content_loss(x, t, kind)
    s1 = style_loss(x, grams, kind=kind)
    assert c1 > 0 and s1 > 0
    # Caffe-scale activations are ~100x torchvision's: the loss must not care.
    x100 = {k: v * 100 for k, v in x.items()}
    t100 = {k: v * 100 for k, v in t.items()}
    assert float(content_loss(x100, t100, kind)) == pytest.approx(float(c1), rel=1e-4)
    g100 = {k: gram(v) for k, v in t100.items()}
    assert float(style_loss(x100, g100, kind=kind)) == pytest.approx(float(s1), rel=1e-4)


def test_style_layer_weights() -> None:
    t = {"a": torch.rand(1, 4, 5, 5), "b": torch.rand(1, 4, 5, 5)}
    x = {"a": t["a"], "b": torch.rand(1, 4, 5, 5)}
    grams = {k: gram(v) for k, v in t.items()}
    only_a = style_loss(x, grams, {"a": 1.0, "b": 0.0})
    only_b = style_loss(x, grams, {"a": 0.0, "b": 1.0})
    assert float(only_a) == pytest.approx(0.0, abs=1e-7) and float(only_b) > 0


def test_tv_loss() -> None:
    assert float(tv_loss(torch.full((1, 3, 8, 8), 0.3))) == 0.0
    noisy = torch.rand(1, 3, 8, 8)
    assert float(tv_loss(noisy)) > float(tv_loss(noisy.mean(dim=(2, 3), keepdim=True) + 0 * noisy))


@pytest.mark.parametrize("memory_format", [torch.contiguous_format, torch.channels_last])
@pytest.mark.parametrize("batch", [1, 2])
def test_gram_gradient_matches_autograd(batch: int, memory_format: torch.memory_format) -> None:
    """gram's one-product backward against plain autograd through bmm, in both layouts."""
    g = torch.Generator().manual_seed(batch)
    f0 = torch.rand(batch, 6, 5, 4, generator=g).contiguous(memory_format=memory_format)
    weight = torch.rand(batch, 6, 6, generator=g)  # not symmetric: the general case
    f = f0.clone().requires_grad_()
    (gram(f) * weight).sum().backward()
    ref = f0.reshape(batch, 6, 20).clone().requires_grad_()
    ((torch.bmm(ref, ref.transpose(1, 2)) / 20) * weight).sum().backward()
    assert torch.allclose(f.grad, ref.grad.reshape(f0.shape), rtol=1e-5, atol=1e-7)
    assert f.grad.is_contiguous(memory_format=memory_format)


def test_gram_self_product_gradcheck() -> None:
    from vstyle.losses.gatys import _SelfProduct

    f = torch.rand(4, 7, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(_SelfProduct.apply, (f,))
    channel_minor = f.detach().t().contiguous().t().requires_grad_()  # channels_last-like
    assert torch.autograd.gradcheck(_SelfProduct.apply, (channel_minor,))
