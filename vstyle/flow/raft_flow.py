"""RAFT as a flow estimator: torchvision's published weights, found, checked and cached.

Order: ``$VSTYLE_RAFT_WEIGHTS`` (a local file), then the cache (``$VSTYLE_HOME``,
default ``~/.cache/vstyle``, under the published file name), then a download from
download.pytorch.org through ``torch.hub`` with the file's sha256 checked against the
prefix in its name, kept in the cache. Loading is ``weights_only`` and strict.

``raft`` is RAFT-large ``C_T_SKHT_V2`` (trained on FlyingChairs + FlyingThings3D, then
fine-tuned on Sintel, KITTI, HD1K and Things); ``raft-small`` is RAFT-small ``C_T_V2``
(Chairs + Things only).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import torch
import torch.nn.functional as F

from ..errors import OptionError, WeightsError
from ..nets.weights import cache_dir
from .raft import LARGE, RAFT, SMALL, Config

ENV_RAFT = "VSTYLE_RAFT_WEIGHTS"
# name -> (URL, sha256 prefix, config); URLs and prefixes as in torchvision's raft.py.
PUBLISHED: dict[str, tuple[str, str, Config]] = {
    "raft": ("https://download.pytorch.org/models/raft_large_C_T_SKHT_V2-ff5fadd5.pth",
             "ff5fadd5", LARGE),
    "raft-small": ("https://download.pytorch.org/models/raft_small_C_T_V2-01064c6d.pth",
                   "01064c6d", SMALL),
}  # fmt: skip
MIN_SIDE = 128  # the 4-level correlation pyramid needs at least 2 cells at 1/64
MAX_SIDE = 1024  # larger frames are estimated at this long side and the flow scaled up


def download(name: str, destination: Path) -> Path:
    """Fetch the published weights for ``name`` into ``destination``, hash checked.

    Raises:
        WeightsError: no network, or the file's sha256 does not start with the prefix.
    """
    url, prefix, _ = PUBLISHED[name]
    destination.parent.mkdir(parents=True, exist_ok=True)
    try:
        torch.hub.download_url_to_file(url, str(destination), hash_prefix=prefix, progress=True)
    except Exception as exc:
        raise WeightsError(
            f"no {name} weights found and the download of {url} failed "
            f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
            f"set {ENV_RAFT}=FILE to a local copy, or use --flow dis"
        ) from exc
    return destination


def find_raft_weights(name: str, allow_download: bool = True) -> Path:
    """The weights file for ``name`` (``raft`` or ``raft-small``), downloading if needed."""
    explicit = os.environ.get(ENV_RAFT)
    if explicit:
        if not Path(explicit).is_file():
            raise WeightsError(f"${ENV_RAFT} '{explicit}' does not exist")
        return Path(explicit)
    url = PUBLISHED[name][0]
    cached = cache_dir() / url.rsplit("/", 1)[1]
    if cached.is_file():
        return cached
    if not allow_download:
        raise WeightsError(f"no {name} weights in {cache_dir()}; set {ENV_RAFT}=FILE")
    return download(name, cached)


def load_raft(name: str, path: Path) -> RAFT:
    """A RAFT of the size ``name`` names, with the weights in ``path`` (strict), in eval mode.

    Raises:
        WeightsError: unreadable file, or not that RAFT's state dict.
    """
    model = RAFT(PUBLISHED[name][2])
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several kinds for a bad file
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise WeightsError(f"weights '{path}' cannot be loaded: {first}") from exc
    if not isinstance(state, dict):
        raise WeightsError(f"weights '{path}' are not a state dict")
    expected = model.state_dict()
    problems = [f"missing {k}" for k in expected if k not in state]
    problems += [f"unexpected {k}" for k in state if k not in expected]
    problems += [
        f"{k} is {tuple(state[k].shape)}, needs {tuple(v.shape)}"
        for k, v in expected.items()
        if k in state and getattr(state[k], "shape", None) != v.shape
    ]
    if problems:
        raise WeightsError(
            f"weights '{path}' are not {name} weights: {len(problems)} problem(s), "
            f"first: {problems[0]}"
        )
    model.load_state_dict(state, strict=True)
    return model.eval()


@functools.lru_cache(maxsize=2)
def _model(name: str, path: str, mtime: float, device: str) -> RAFT:
    # One model per file and device, kept: building and loading costs ~0.5 s.
    return load_raft(name, Path(path)).to(device)


class RaftFlow:
    """A :data:`~vstyle.flow.estimators.FlowFn` running RAFT on ``device``.

    Args:
        name: ``raft`` (large) or ``raft-small``.
        device: where the network runs (a GPU, ideally; RAFT-large takes seconds
            per pair on a CPU).
        iters: refinement steps (torchvision's default, 12).

    Call:
        a, b: (B, 3, H, W) float RGB in [0, 1], same shape, any device.
        Returns (B, 2, H, W) float32 on ``a.device``: flow from ``a`` to ``b``.
    """

    def __init__(self, name: str, device: torch.device | str = "cpu", iters: int = 12) -> None:
        if name not in PUBLISHED:
            raise OptionError(f"--flow '{name}' is not a RAFT model ({', '.join(PUBLISHED)})")
        self.name, self.device, self.iters = name, torch.device(device), iters
        path = find_raft_weights(name)
        self.model = _model(name, str(path), path.stat().st_mtime, str(self.device))

    @torch.inference_mode()
    def __call__(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        if a.dim() != 4 or a.shape[1] != 3 or a.shape != b.shape:
            raise OptionError(
                f"flow '{self.name}' needs two (B, 3, H, W) images of one shape, "
                f"got {tuple(a.shape)} and {tuple(b.shape)}"
            )
        h, w = a.shape[-2:]
        x, y = (t.to(self.device, torch.float32) for t in (a, b))
        # The all-pairs volume grows with the 4th power of the side (1080p: ~6 GB), and
        # the published models were trained at ~1024x436: estimate at most that large.
        scale = min(1.0, MAX_SIDE / max(h, w))
        if scale < 1:
            size = (max(1, round(h * scale)), max(1, round(w * scale)))
            x, y = (F.interpolate(t, size=size, mode="area") for t in (x, y))
        flow = self._padded(x, y)
        if scale < 1:
            factor = torch.tensor([w / flow.shape[-1], h / flow.shape[-2]], device=flow.device)
            flow = F.interpolate(flow, size=(h, w), mode="bilinear", align_corners=False)
            flow = flow * factor.view(1, 2, 1, 1)
        return flow.to(a.device).contiguous()

    def _padded(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """RAFT on images edge-replicated to a multiple of 8 (and the minimum), centred."""
        h, w = x.shape[-2:]
        ph, pw = max(MIN_SIDE, -(-h // 8) * 8) - h, max(MIN_SIDE, -(-w // 8) * 8) - w
        pad = (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2)
        x, y = (F.pad(t, pad, mode="replicate") for t in (x, y))
        return self.model(x, y, self.iters)[..., pad[2] : pad[2] + h, pad[0] : pad[0] + w]

    def __repr__(self) -> str:
        return f"RaftFlow({self.name!r}, {str(self.device)!r})"
