"""The style swap and AdaIN on small random activation maps (no VGG needed)."""

from __future__ import annotations

import pytest
import torch

from vstyle.arbitrary.ops import (
    adain,
    best_patches,
    channel_stats,
    style_patches,
    style_swap,
)
from vstyle.errors import InputError


def activations(c: int, h: int, w: int, seed: int) -> torch.Tensor:
    """(1, C, H, W) ReLU-like activations: non-negative, no two patches parallel."""
    g = torch.Generator().manual_seed(seed)
    return torch.randn(1, c, h, w, generator=g).relu() + 0.01 * torch.rand(1, c, h, w, generator=g)


def test_patches_pool_every_position_of_every_style() -> None:
    a, b = activations(4, 6, 5, 0), activations(4, 3, 8, 1)
    patches = style_patches([a, b])
    assert patches.shape == (4 * 3 + 1 * 6, 4, 3, 3)
    assert torch.equal(patches[0], a[0, :, :3, :3])
    assert torch.equal(patches[4 * 3], b[0, :, :3, :3])  # b's first patch follows a's last


def test_a_style_swapped_with_itself_is_its_own_activations() -> None:
    style = activations(8, 10, 12, 2)
    out = style_swap(style, style_patches([style]))
    assert out.shape == style.shape
    torch.testing.assert_close(out, style)


def test_a_crop_of_the_style_is_rebuilt_from_its_own_patches() -> None:
    style = activations(8, 10, 12, 3)
    crop = style[:, :, 2:8, 3:10]
    torch.testing.assert_close(style_swap(crop, style_patches([style])), crop)


def test_content_made_of_two_style_patches_picks_them() -> None:
    style = activations(6, 7, 7, 4)
    patches = style_patches([style])
    i, j = 5, 17
    content = torch.zeros(1, 6, 3, 7)
    content[..., :3] = 2.5 * patches[i]  # cosine similarity ignores the scale
    content[..., 4:] = 0.5 * patches[j]
    index = best_patches(content, patches)
    assert index.shape == (1, 1, 1, 5)
    assert index[0, 0, 0, 0] == i and index[0, 0, 0, 4] == j


@pytest.mark.parametrize("chunk", [1, 7, 64])
def test_chunked_and_unchunked_swaps_agree(chunk: int) -> None:
    style_a, style_b = activations(8, 9, 11, 5), activations(8, 6, 6, 6)
    patches = style_patches([style_a, style_b])
    content = activations(8, 12, 10, 7)
    whole = style_swap(content, patches, chunk=len(patches))
    assert torch.equal(best_patches(content, patches, chunk), best_patches(content, patches))
    torch.testing.assert_close(style_swap(content, patches, chunk=chunk), whole)
    assert not torch.allclose(whole, content)  # it did swap


def test_pooled_styles_each_supply_patches() -> None:
    """A content made of crops of two styles takes patches from both."""
    a, b = activations(4, 6, 6, 8), 3 * activations(4, 6, 6, 9)
    patches = style_patches([a, b])
    content = torch.cat([a[..., :3], b[..., 3:]], dim=3)
    index = best_patches(content, patches)
    assert (index < 16).any() and (index >= 16).any()


def test_a_style_smaller_than_a_patch_is_refused() -> None:
    with pytest.raises(InputError, match="smaller than the 3x3"):
        style_patches([torch.ones(1, 4, 2, 9)])


def test_adain_gives_the_style_channel_statistics() -> None:
    content, style = activations(8, 10, 12, 10), 4 * activations(8, 14, 9, 11) + 1
    mean, std = channel_stats(style)
    out_mean, out_std = channel_stats(adain(content, mean, std))
    torch.testing.assert_close(out_mean, mean, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(out_std, std, atol=1e-4, rtol=1e-4)
    assert not torch.allclose(channel_stats(content)[0], mean, atol=0.1)


def test_adain_alpha_zero_is_the_content_and_half_is_between() -> None:
    content, style = activations(4, 6, 6, 12), activations(4, 6, 6, 13) * 5
    mean, std = channel_stats(style)
    torch.testing.assert_close(adain(content, mean, std, alpha=0.0), content)
    half = adain(content, mean, std, alpha=0.5)
    torch.testing.assert_close(half, (content + adain(content, mean, std)) / 2)
