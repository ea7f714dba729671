"""Backward warping: identity, whole-pixel shifts exactly, and the inside mask."""

from __future__ import annotations

import pytest
import torch

from vstyle.flow import inside, warp


def _constant(dx: float, dy: float, h: int, w: int, device: torch.device) -> torch.Tensor:
    flow = torch.zeros(1, 2, h, w, device=device)
    flow[:, 0], flow[:, 1] = dx, dy
    return flow


def test_zero_flow_is_identity(device: torch.device) -> None:
    image = torch.rand(2, 3, 17, 23, device=device)
    out = warp(image, torch.zeros(2, 2, 17, 23, device=device))
    torch.testing.assert_close(out, image, atol=1e-5, rtol=0)  # fp32 grid rounding


@pytest.mark.parametrize(("dx", "dy"), [(1, 0), (0, -2), (3, 2), (-4, -1)])
def test_whole_pixel_shift_is_exact(device: torch.device, dx: int, dy: int) -> None:
    image = torch.rand(1, 3, 30, 40, device=device)
    out = warp(image, _constant(dx, dy, 30, 40, device))
    # out(y, x) = image(y + dy, x + dx), compared where both are inside the frame.
    expected = image[..., max(dy, 0) : 30 + min(dy, 0), max(dx, 0) : 40 + min(dx, 0)]
    got = out[..., max(-dy, 0) : 30 + min(-dy, 0), max(-dx, 0) : 40 + min(-dx, 0)]
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)


def test_half_pixel_shift_is_bilinear(device: torch.device) -> None:
    image = torch.rand(1, 1, 6, 8, device=device)
    out = warp(image, _constant(0.5, 0, 6, 8, device))
    torch.testing.assert_close(out[..., :-1], (image[..., :-1] + image[..., 1:]) / 2)


def test_flow_broadcasts_over_batch(device: torch.device) -> None:
    image = torch.rand(3, 2, 10, 12, device=device)
    out = warp(image, _constant(1, 0, 10, 12, device))
    torch.testing.assert_close(out[..., :-1], image[..., 1:], atol=1e-5, rtol=0)


def test_inside_marks_pixels_leaving_the_frame(device: torch.device) -> None:
    ok = inside(_constant(2, -1, 5, 6, device))
    assert ok.shape == (1, 1, 5, 6)
    assert not ok[0, 0, :, 4:].any() and not ok[0, 0, 0].any()
    assert ok[0, 0, 1:, :4].all()


def test_shape_error_names_both_shapes() -> None:
    with pytest.raises(ValueError, match=r"flow \(1, 2, 4, 4\) for image \(1, 3, 5, 5\)"):
        warp(torch.zeros(1, 3, 5, 5), torch.zeros(1, 2, 4, 4))


def test_gradcheck() -> None:
    image = torch.rand(1, 2, 5, 6, dtype=torch.float64, requires_grad=True)
    flow = torch.rand(1, 2, 5, 6, dtype=torch.float64) * 2 - 1
    assert torch.autograd.gradcheck(lambda x: warp(x, flow), (image,))
