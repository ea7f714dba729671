"""Optical flow estimators: OpenCV's DIS, DeepFlow and Farneback, and RAFT, behind one callable.

Convention (the one every function in :mod:`vstyle.flow` uses): ``flow(a, b)``
returns, for each pixel ``p`` of ``a``, the displacement to where that point is in
``b``, so ``a(p) ~ b(p + flow(a, b)(p))``. Channel 0 is x (right), channel 1 is y
(down), in pixels of the given images.

To bring frame ``i-1``'s result onto frame ``i``'s grid (backward warping) you need
the *backward* flow ``flow(frame_i, frame_i_minus_1)`` and call
``warp(result_i_minus_1, backward)``. :func:`flow_pair` gives both directions.

``--flow auto`` (the default) is RAFT-large on a CUDA device, DIS elsewhere: RAFT
holds under fast motion but takes seconds per pair on a CPU; DIS (tuned, see
:func:`_dis`) takes about 0.3 s at 1024x436 on one core. When the RAFT weights can
be neither found nor downloaded, ``auto`` falls back to DIS with a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import cv2
import numpy as np
import torch

from ..errors import OptionError, WeightsError, check_choice
from ..frames import to_array
from ..options import FLOWS

log = logging.getLogger(__name__)

FlowFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
"""``(a, b) -> flow``: (B, 3, H, W) float RGB in [0, 1], twice -> (B, 2, H, W) float32."""


def _gray(images: torch.Tensor) -> list[np.ndarray]:
    """(B, 3, H, W) float RGB in [0, 1] -> B pictures (H, W) uint8 grey."""
    return [cv2.cvtColor(to_array(image), cv2.COLOR_RGB2GRAY) for image in images]


def _dis(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # A fresh instance per call: DIS keeps per-call buffers, so one shared object is not
    # thread-safe, and creating one costs microseconds.
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    # Patches down to full resolution (the preset stops at half): on Sintel cave_2 (~15 px
    # per frame) the non-occluded EPE drops from 0.88 to 0.60 px, on alley_1 from 0.29 to
    # 0.18, for 3-4x the time. Fewer descent steps would save time but lose ~30 px motions
    # (they are spent at every scale); larger patches, denser strides, more variational
    # steps, seeding from a half-size estimate and RLOF did no better (benchmarks/flow.py).
    dis.setFinestScale(0)
    return dis.calc(a, b, None)


def _deepflow(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return cv2.optflow.createOptFlow_DeepFlow().calc(a, b, None)


def _farneback(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # Five pyramid levels (not the sample's three) so motions of ~30 px are still found.
    return cv2.calcOpticalFlowFarneback(
        a, b, None, pyr_scale=0.5, levels=5, winsize=15, iterations=3,
        poly_n=5, poly_sigma=1.2, flags=0,
    )  # fmt: skip


_CALC: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "dis": _dis,
    "deepflow": _deepflow,
    "farneback": _farneback,
}


class OpenCVFlow:
    """A :data:`FlowFn` over one OpenCV estimator, run on greyscale frames.

    Args:
        name: ``dis`` (fast, DIS tuned for full resolution), ``deepflow`` (slow, most accurate on
            large motion) or ``farneback`` (dense polynomial expansion).

    Call:
        a, b: (B, 3, H, W) float RGB in [0, 1], same shape, any device.
        Returns (B, 2, H, W) float32 on ``a.device``: flow from ``a`` to ``b``.
    """

    def __init__(self, name: str) -> None:
        self.name = check_choice("--flow", name, tuple(_CALC))
        self._calc = _CALC[name]

    def __call__(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        if a.dim() != 4 or a.shape[1] != 3 or a.shape != b.shape:
            raise OptionError(
                f"flow '{self.name}' needs two (B, 3, H, W) images of one shape, "
                f"got {tuple(a.shape)} and {tuple(b.shape)}"
            )
        flows = [self._calc(x, y) for x, y in zip(_gray(a), _gray(b), strict=True)]
        out = torch.from_numpy(np.stack(flows)).permute(0, 3, 1, 2).contiguous()
        return out.to(a.device)

    def __repr__(self) -> str:
        return f"OpenCVFlow({self.name!r})"


def make_flow(name: str, device: torch.device | str = "cpu") -> FlowFn:
    """The flow estimator called ``name`` (one of ``vstyle.options.FLOWS``).

    Args:
        name: ``auto`` (RAFT on CUDA, else DIS), an OpenCV estimator, ``raft`` or
            ``raft-small``.
        device: where RAFT runs (the OpenCV estimators always use the CPU).

    Raises:
        OptionError: unknown name, with a did-you-mean suggestion.
        WeightsError: ``raft``/``raft-small`` and no weights to be had.
    """
    check_choice("--flow", name, FLOWS)
    device = torch.device(device)
    if name == "auto":
        if device.type != "cuda":
            return OpenCVFlow("dis")
        try:
            return make_flow("raft", device)
        except WeightsError as exc:
            log.warning("--flow auto: using dis, RAFT is unavailable (%s)", exc)
            return OpenCVFlow("dis")
    if name.startswith("raft"):
        from .raft_flow import RaftFlow  # only RAFT users pay for building the network

        return RaftFlow(name, device)
    return OpenCVFlow(name)


def flow_pair(flow: FlowFn, a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Both directions between ``a`` (earlier) and ``b`` (later).

    Returns:
        ``(forward, backward)``, each (B, 2, H, W): ``forward = flow(a, b)`` lives on
        ``a``'s grid, ``backward = flow(b, a)`` on ``b``'s grid; ``warp(x_a, backward)``
        aligns anything on ``a``'s grid with ``b``.
    """
    return flow(a, b), flow(b, a)
