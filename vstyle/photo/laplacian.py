"""The Matting Laplacian of Levin et al. (2008), kept sparse, for photorealism.

Closed-form matting says: within every 3x3 window an output that is an affine
function of the input colours costs nothing. Its Laplacian M (N x N, N = H W) has

    M_ij = Σ_{k: i,j ∈ w_k} (δ_ij - (1 + (I_i - μ_k)ᵀ (Σ_k + ε/9 I₃)⁻¹ (I_j - μ_k)) / 9)

over the windows w_k that lie wholly inside the picture. Two pixels share a window
only when they are at most 2 apart in x and y, so a row has at most 25 entries: the
matrix is built as 25 dense "bands" (one per offset) by 81 slice additions, never as
an N x N array nor as a list of 81 entries per window, and handed to the device as
a CSR tensor. It is built with torch alone (neither scipy nor numba needed).
"""

from __future__ import annotations

import warnings

import torch
import torch.nn.functional as F

EPSILON = 1e-7  # Luan et al. 2017, as in the paper
RADIUS = 1  # 3x3 windows
_SIDE = 2 * RADIUS + 1
_REACH = 2 * RADIUS  # two pixels of one window are at most this far apart
OFFSETS = [(dy, dx) for dy in range(-_REACH, _REACH + 1) for dx in range(-_REACH, _REACH + 1)]


def window_terms(image: torch.Tensor, eps: float = EPSILON) -> torch.Tensor:
    """Each window's 9 x 9 block of the Laplacian.

    Args:
        image: (3, H, W) float64 colours.

    Returns:
        (9, 9, H-2, W-2): entry [a, b, y, x] is the term between window positions a
        and b (row-major in the 3x3 window) of the window whose top-left is (y, x).
    """
    c, h, w = image.shape
    n = _SIDE * _SIDE
    patches = F.unfold(image[None], _SIDE).view(c, n, -1)  # (3, 9, L)
    centred = patches - patches.mean(1, keepdim=True)
    d = centred.permute(2, 1, 0)  # (L, 9, 3)
    cov = d.transpose(1, 2) @ d / n + (eps / n) * torch.eye(c, dtype=image.dtype)
    inv = torch.linalg.inv(cov)
    block = torch.eye(n, dtype=image.dtype) - (1 + d @ inv @ d.transpose(1, 2)) / n
    return block.permute(1, 2, 0).reshape(n, n, h - 2 * RADIUS, w - 2 * RADIUS)


def bands(image: torch.Tensor, eps: float = EPSILON) -> torch.Tensor:
    """The Laplacian as 25 offset bands: ``out[o, y, x] = M[(y, x), (y, x) + OFFSETS[o]]``.

    Args:
        image: (3, H, W) colours in [0, 1].

    Returns:
        (25, H, W) float64; entries whose partner lies outside the picture are 0.
    """
    image = image.detach().to("cpu", torch.float64)
    _, h, w = image.shape
    terms = window_terms(image, eps)
    hh, ww = terms.shape[-2:]
    out = torch.zeros(len(OFFSETS), h, w, dtype=torch.float64)
    index = {o: k for k, o in enumerate(OFFSETS)}
    for a in range(_SIDE * _SIDE):
        ay, ax = divmod(a, _SIDE)
        for b in range(_SIDE * _SIDE):
            by, bx = divmod(b, _SIDE)
            out[index[(by - ay, bx - ax)], ay : ay + hh, ax : ax + ww] += terms[a, b]
    return out


def matting_laplacian(
    image: torch.Tensor, eps: float = EPSILON, device: torch.device | str = "cpu"
) -> torch.Tensor:
    """The Matting Laplacian of a picture as a sparse CSR tensor.

    Args:
        image: (3, H, W) or (1, 3, H, W) colours in [0, 1] (any device).
        device: where the result lives.

    Returns:
        (N, N) float32 sparse CSR, N = H W, pixels in row-major order; symmetric,
        each row summing to 0, at most 25 entries a row.
    """
    if image.dim() == 4:
        image = image[0]
    _, h, w = image.shape
    if h < _SIDE or w < _SIDE:
        raise ValueError(f"the Matting Laplacian needs at least {_SIDE}x{_SIDE} px, got {w}x{h}")
    values = bands(image, eps)
    yy, xx = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    dy = torch.tensor([o[0] for o in OFFSETS]).view(-1, 1, 1)
    dx = torch.tensor([o[1] for o in OFFSETS]).view(-1, 1, 1)
    inside = (yy + dy >= 0) & (yy + dy < h) & (xx + dx >= 0) & (xx + dx < w)  # (25, H, W)
    cols = (yy + dy) * w + (xx + dx)
    # Row-major by pixel, then by offset: OFFSETS is sorted by (dy, dx), so columns rise.
    keep = inside.permute(1, 2, 0).reshape(-1, len(OFFSETS))
    col = cols.permute(1, 2, 0).reshape(-1, len(OFFSETS))[keep]
    val = values.permute(1, 2, 0).reshape(-1, len(OFFSETS))[keep]
    crow = torch.zeros(h * w + 1, dtype=torch.int64)
    crow[1:] = keep.sum(1).cumsum(0)
    with warnings.catch_warnings():  # "CSR support is in beta": used as documented
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(
            crow, col, val.float(), size=(h * w, h * w), device=device, check_invariants=False
        )
