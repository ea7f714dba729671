"""Reliability weights: exact labels with given flows, the soft weights Ruder's checker
makes from them, and the synthetic clip end to end."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from vstyle.flow import disocclusion, make_flow, motion_boundary, reliability
from vstyle.flow.consistency import UNRELIABLE, labels
from vstyle.frames import to_tensor

from .synthetic import Clip


def _constant(dx: float, dy: float, h: int = 12, w: int = 16) -> torch.Tensor:
    return torch.tensor([dx, dy], dtype=torch.float32).view(1, 2, 1, 1).expand(1, 2, h, w)


def test_zero_flow_is_reliable_everywhere(device: torch.device) -> None:
    zero = torch.zeros(1, 2, 12, 16, device=device)
    c = reliability(zero, zero)
    assert c.shape == (1, 1, 12, 16) and c.dtype == torch.float32
    assert c.min() == 1


def test_constant_flow_only_loses_the_strip_that_leaves_the_frame() -> None:
    label = labels(_constant(2, 0), _constant(-2, 0))[0, 0]
    assert (label[:, :2] == 0).all() and (label[:, 2:] == 1).all()
    c = reliability(_constant(2, 0), _constant(-2, 0))[0, 0]
    # Blurred: the strip stays unreliable, its neighbour gets partial weight, 2 px on is whole.
    assert (c[:, :2] < UNRELIABLE).all() and (c[:, 4:] == 1).all()
    assert (UNRELIABLE < c[:, 2]).all() and (c[:, 2] < c[:, 3]).all() and (c[:, 3] < 1).all()
    binary = reliability(_constant(2, 0), _constant(-2, 0), sigma=0)[0, 0]
    assert torch.equal(binary, label)


def _disoccluded_block() -> tuple[torch.Tensor, torch.Tensor]:
    """Zero backward flow; a forward flow that does not come back inside rows 4-11, cols 6-13."""
    forward, backward = torch.zeros(1, 2, 16, 20), torch.zeros(1, 2, 16, 20)
    forward[:, 0, 4:12, 6:14] = 5.0
    return forward, backward


def test_disocclusions_are_minus_one_and_grow_outward() -> None:
    forward, backward = _disoccluded_block()
    label = labels(forward, backward)[0, 0]
    assert (label[4:12, 6:14] == -1).all() and (label == -1).sum() == 64
    c = reliability(forward, backward)[0, 0]
    assert ((c >= 0) & (c <= 1)).all()
    assert (c[4:12, 6:14] < UNRELIABLE).all()
    # One pixel outside the block's sides the -1 pulls c under the threshold ...
    assert (c[6:10, 5] < UNRELIABLE).all() and (c[6:10, 14] < UNRELIABLE).all()
    # ... which a 0 label (outside the frame, previous test) does not; 3 px out it is whole.
    assert (c[:, :3] == 1).all() and (c[:, 17:] == 1).all()


def test_an_isolated_disoccluded_pixel_counts_about_half() -> None:
    forward, backward = torch.zeros(1, 2, 9, 9), torch.zeros(1, 2, 9, 9)
    forward[:, 0, 4, 4] = 5.0
    c = reliability(forward, backward)[0, 0]
    assert 0.45 < c[4, 4] < 0.55 and (c[4, 4] == c.min())


def test_inconsistent_flows_are_flagged() -> None:
    # Forward and backward agree on the direction instead of cancelling: no round trip.
    assert disocclusion(_constant(3, 0), _constant(3, 0))[..., :, :10].all()
    # Consistent flows agree wherever the backward flow stays inside the frame.
    assert not disocclusion(_constant(3, 0), _constant(-3, 0))[..., 3:].any()


def test_motion_boundary_on_a_flow_step() -> None:
    flow = torch.zeros(1, 2, 8, 10)
    flow[:, 0, :, 5:] = 2.0
    edge = motion_boundary(flow)[0, 0]
    assert edge[:, 4:6].all() and not edge[:, :3].any() and not edge[:, 7:].any()


def test_true_flows_flag_the_disoccluded_band(clip: Clip) -> None:
    backward = torch.from_numpy(clip.backward(1)).permute(2, 0, 1)[None]
    forward_np = np.full_like(clip.backward(1), 0)
    forward_np[:] = clip.bg
    forward_np[clip.in_square(0)] = clip.fg
    forward = torch.from_numpy(forward_np).permute(2, 0, 1)[None]
    c = reliability(forward, backward)[0, 0].numpy()
    assert (c[clip.disoccluded(1)] < UNRELIABLE).all()


@pytest.mark.parametrize(("name", "flagged"), [("dis", 0.95), ("deepflow", 0.9)])
def test_estimated_masks_on_the_clip(clip: Clip, name: str, flagged: float) -> None:
    flow = make_flow(name)
    a, b = to_tensor(clip.frames[1]), to_tensor(clip.frames[2])
    c = reliability(flow(a, b), flow(b, a))[0, 0].numpy()
    assert (c[clip.disoccluded(2)] < UNRELIABLE).mean() >= flagged
    # Background at least 8 px from the square and the frame's edge is consistent.
    kernel = np.ones((17, 17), np.uint8)
    square = (clip.in_square(1) | clip.in_square(2)).astype(np.uint8)
    far = ~(cv2.dilate(square, kernel) > 0)
    far[:8], far[-8:], far[:, :8], far[:, -8:] = False, False, False, False
    assert (c[far] > 0.9).mean() >= 0.98
