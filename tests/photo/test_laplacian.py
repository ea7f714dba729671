"""The Matting Laplacian against Levin et al.'s formula, and the photorealism loss."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vstyle.losses.photo import photo_loss
from vstyle.photo.laplacian import matting_laplacian


def dense_reference(image: np.ndarray, eps: float) -> np.ndarray:
    """Levin et al. (2008) eq. 12 summed window by window: (H W, H W) dense."""
    h, w, _ = image.shape
    out = np.zeros((h * w, h * w))
    for y in range(1, h - 1):
        for x in range(1, w - 1):
            ids = [(y + a) * w + (x + b) for a in (-1, 0, 1) for b in (-1, 0, 1)]
            colours = image.reshape(-1, 3)[ids]
            mu = colours.mean(0)
            cov = np.cov(colours, rowvar=False, bias=True)
            inv = np.linalg.inv(cov + eps / 9 * np.eye(3))
            for i, ci in zip(ids, colours, strict=True):
                for j, cj in zip(ids, colours, strict=True):
                    out[i, j] += (i == j) - (1 + (ci - mu) @ inv @ (cj - mu)) / 9
    return out


@pytest.fixture
def tiny() -> np.ndarray:
    rng = np.random.default_rng(3)
    return rng.uniform(0, 1, (6, 7, 3))


def as_tensor(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(image).permute(2, 0, 1)


def test_matches_levin_formula(tiny: np.ndarray) -> None:
    eps = 1e-3  # well conditioned, so float32 values compare tightly
    got = matting_laplacian(as_tensor(tiny), eps).to_dense().double().numpy()
    want = dense_reference(tiny, eps)
    np.testing.assert_allclose(got, want, atol=1e-4 * np.abs(want).max())


def test_symmetric_zero_row_sums_sparse(tiny: np.ndarray) -> None:
    m = matting_laplacian(as_tensor(tiny))
    assert m.layout == torch.sparse_csr
    assert m.values().numel() <= 25 * tiny.shape[0] * tiny.shape[1]
    dense = m.to_dense().double()
    scale = dense.abs().max()
    assert torch.allclose(dense, dense.t(), atol=1e-5 * scale)
    assert dense.sum(1).abs().max() <= 1e-5 * scale
    # Positive semi-definite: a sum of projections' complements.
    assert torch.linalg.eigvalsh(dense).min() >= -1e-4 * scale


def test_loss_zero_for_affine_colour_transform(content_rgb: np.ndarray) -> None:
    content = torch.from_numpy(content_rgb).permute(2, 0, 1)[None].float() / 255
    m = matting_laplacian(content)
    a = torch.tensor([[0.5, 0.2, 0.1], [-0.1, 0.7, 0.2], [0.3, -0.2, 0.4]])
    affine = torch.einsum("ij,bjhw->bihw", a, content) + torch.tensor([0.1, 0.2, 0.0]).view(
        1, 3, 1, 1
    )
    noisy = affine + 0.05 * torch.randn(affine.shape, generator=torch.Generator().manual_seed(0))
    assert photo_loss(affine, m) < 1e-3 * photo_loss(noisy, m)


def test_gradient_is_two_m_v(tiny: np.ndarray) -> None:
    m = matting_laplacian(as_tensor(tiny), 1e-3)
    v = torch.rand(1, 3, *tiny.shape[:2], dtype=torch.float32, requires_grad=True)
    photo_loss(v, m).backward()
    n = tiny.shape[0] * tiny.shape[1]
    flat = v.detach()[0].reshape(3, n).t()
    want = (2 * m.to_dense() @ flat / n).t().reshape(v.shape)
    torch.testing.assert_close(v.grad, want)


def test_pymatting_agrees_when_installed(tiny: np.ndarray) -> None:
    pymatting = pytest.importorskip("pymatting", reason="pymatting (the photo extra) not installed")
    want = pymatting.cf_laplacian(tiny, epsilon=1e-3, radius=1).toarray()
    got = matting_laplacian(as_tensor(tiny), 1e-3).to_dense().double().numpy()
    np.testing.assert_allclose(got, want, atol=1e-4 * np.abs(want).max())
