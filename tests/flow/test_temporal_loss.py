"""Short- and long-term temporal losses (pure functions)."""

from __future__ import annotations

import pytest
import torch

from vstyle.flow import warp
from vstyle.losses.temporal import long_term_loss, long_term_weights, short_term_loss


def _shift_flow(dx: int, h: int, w: int) -> torch.Tensor:
    flow = torch.zeros(1, 2, h, w)
    flow[:, 0] = dx
    return flow


def test_zero_for_a_perfectly_warped_previous_frame(device: torch.device) -> None:
    prev = torch.rand(1, 3, 16, 20, device=device)
    current = torch.roll(prev, shifts=2, dims=-1)  # content moved right by 2
    warped = warp(prev, _shift_flow(-2, 16, 20).to(device))
    c = torch.ones(1, 1, 16, 20, device=device)
    c[..., :2] = 0  # came from outside the frame
    assert short_term_loss(current, warped, c) < 1e-10
    assert short_term_loss(current, prev, c) > 1e-3


def test_masked_pixels_do_not_contribute() -> None:
    x, target = torch.rand(2, 3, 8, 8), torch.rand(2, 3, 8, 8)
    c = (torch.rand(2, 1, 8, 8) > 0.5).float()
    changed = torch.where(c.bool(), x, torch.rand_like(x) * 100)
    assert short_term_loss(changed, target, c) == pytest.approx(
        float(short_term_loss(x, target, c))
    )


def test_normalized_by_pixels_times_channels() -> None:
    x = torch.ones(1, 3, 4, 5)
    assert short_term_loss(x, torch.zeros_like(x), torch.ones(1, 1, 4, 5)) == pytest.approx(1.0)
    half = torch.zeros(1, 1, 4, 5)
    half[..., :2, :] = 1
    assert short_term_loss(x, torch.zeros_like(x), half) == pytest.approx(0.5)


def test_shape_errors() -> None:
    with pytest.raises(ValueError, match=r"\(1, 3, 4, 4\), \(1, 3, 4, 5\)"):
        short_term_loss(torch.zeros(1, 3, 4, 4), torch.zeros(1, 3, 4, 5), torch.ones(1, 1, 4, 4))
    with pytest.raises(ValueError, match="2 warped frames for 1 weights"):
        long_term_loss(
            torch.zeros(1, 3, 4, 4), [torch.zeros(1, 3, 4, 4)] * 2, [torch.ones(1, 1, 4, 4)]
        )


def test_gradcheck() -> None:
    x = torch.rand(1, 2, 3, 4, dtype=torch.float64, requires_grad=True)
    target, c = torch.rand_like(x), torch.rand(1, 1, 3, 4, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda v: short_term_loss(v, target, c), (x,))


@pytest.mark.parametrize("binary", [True, False])
def test_long_term_weights_sum_to_the_best_reliability(binary: bool) -> None:
    gen = torch.Generator().manual_seed(0)
    cs = [torch.rand(2, 1, 9, 9, generator=gen) for _ in range(4)]
    cs = [(c > 0.5).float() for c in cs] if binary else cs
    weights = long_term_weights(cs)
    assert all((w >= 0).all() for w in weights)
    # Each pixel's weight goes to its closest reliable frames, up to its best c (Ruder's code).
    torch.testing.assert_close(torch.stack(weights).sum(0), torch.stack(cs).amax(0))


def test_long_term_prefers_the_closest_reliable_frame() -> None:
    one, zero = torch.ones(1, 1, 1, 1), torch.zeros(1, 1, 1, 1)
    assert [float(w) for w in long_term_weights([zero, one, one])] == [0.0, 1.0, 0.0]
    assert [float(w) for w in long_term_weights([one, one])] == [1.0, 0.0]
    assert long_term_weights([]) == []


def test_soft_long_term_weights_follow_the_code_not_the_paper() -> None:
    # The paper's max(c_j - sum of nearer c, 0) would give 0.5, 0, 0: the reliable far frame lost.
    half, one = torch.full((1, 1, 1, 1), 0.5), torch.ones(1, 1, 1, 1)
    assert [float(w) for w in long_term_weights([half, half, one])] == [0.5, 0.0, 0.5]


def test_long_term_loss_is_the_sum_of_short_term_terms() -> None:
    x = torch.rand(1, 3, 5, 5)
    warped = [torch.rand(1, 3, 5, 5) for _ in range(3)]
    weights = long_term_weights([torch.rand(1, 1, 5, 5) for _ in range(3)])
    expected = sum(short_term_loss(x, w, c) for w, c in zip(warped, weights, strict=True))
    torch.testing.assert_close(long_term_loss(x, warped, weights), expected)
    assert long_term_loss(x, [], []) == 0
