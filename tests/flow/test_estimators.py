"""Flow estimators: shapes, errors, and accuracy on a clip with known motion."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from vstyle.errors import OptionError
from vstyle.flow import OpenCVFlow, flow_pair, make_flow
from vstyle.frames import to_tensor

from .synthetic import Clip, make_clip

MARGIN = 8  # px; DIS patches are 8 px, so closer to an edge a patch mixes two motions


def _away_from_edges(clip: Clip, t: int) -> tuple[np.ndarray, np.ndarray]:
    """(background, square interior) masks at least MARGIN px from any motion edge."""
    kernel = np.ones((2 * MARGIN + 1,) * 2, np.uint8)
    square = clip.in_square(t).astype(np.uint8)
    near = cv2.dilate(square | clip.in_square(t - 1).astype(np.uint8), kernel) > 0
    h, w = square.shape
    frame = np.zeros((h, w), bool)
    frame[MARGIN : h - MARGIN, MARGIN : w - MARGIN] = True
    return frame & ~near, cv2.erode(square, kernel) > 0


def test_smoke_shape_dtype(clip: Clip) -> None:
    a = torch.cat([to_tensor(f) for f in clip.frames[:2]])
    b = torch.cat([to_tensor(f) for f in clip.frames[1:3]])
    flow = make_flow("dis")(a, b)
    assert flow.shape == (2, 2, 120, 160)
    assert flow.dtype == torch.float32
    assert isinstance(make_flow("farneback"), OpenCVFlow)


def test_unknown_name_did_you_mean() -> None:
    with pytest.raises(OptionError, match=r"--flow 'deepflw'.*did you mean 'deepflow'"):
        make_flow("deepflw")


def test_shape_mismatch_names_both_shapes() -> None:
    with pytest.raises(OptionError, match=r"\(1, 3, 8, 8\) and \(1, 3, 8, 9\)"):
        make_flow("dis")(torch.zeros(1, 3, 8, 8), torch.zeros(1, 3, 8, 9))


@pytest.mark.parametrize("name", ["dis", "deepflow", "farneback"])
def test_still_frames_give_zero_flow(clip: Clip, name: str) -> None:
    image = to_tensor(clip.frames[0])
    assert make_flow(name)(image, image).abs().max() < 0.1


@pytest.mark.parametrize(
    ("name", "fraction"), [("dis", 1.0), ("deepflow", 1.0), ("farneback", 0.99)]
)
def test_backward_flow_matches_truth(clip: Clip, name: str, fraction: float) -> None:
    # Farneback's 15 px window (and pyramid) bleeds further than MARGIN: allow 1 % outliers.
    t = 2
    backward = make_flow(name)(to_tensor(clip.frames[t]), to_tensor(clip.frames[t - 1]))
    error = np.linalg.norm(backward[0].permute(1, 2, 0).numpy() - clip.backward(t), axis=2)
    background, square = _away_from_edges(clip, t)
    assert (error[background] < 0.5).mean() >= fraction
    assert (error[square] < 0.5).mean() >= fraction


def test_flow_pair_directions(clip: Clip) -> None:
    a, b = to_tensor(clip.frames[0]), to_tensor(clip.frames[1])
    forward, backward = flow_pair(make_flow("dis"), a, b)
    background, _ = _away_from_edges(clip, 1)
    fx, bx = forward[0, 0].numpy()[background], backward[0, 0].numpy()[background]
    assert np.median(fx) == pytest.approx(clip.bg[0], abs=0.1)  # content moved right
    assert np.median(bx) == pytest.approx(-clip.bg[0], abs=0.1)


@pytest.mark.parametrize("speed", [16, 24])
def test_dis_follows_fast_motion(speed: int) -> None:
    # Background (speed, speed/2) px per frame (up to 27 px), the square the other way, on
    # textures with coarse structure. Measured: DIS holds to about 30 px here; at 36 px it
    # fails on some textures (then only RAFT helps, see vstyle.flow.estimators).
    clip = make_clip(n=3, size=(320, 240), bg=(speed, speed // 2), fg=(-speed // 2, speed // 4),
                     side=64, sigma=(2.0, 6.0, 18.0))  # fmt: skip
    a, b = to_tensor(clip.frames[1]), to_tensor(clip.frames[2])
    backward = make_flow("dis")(b, a)
    error = np.linalg.norm(backward[0].permute(1, 2, 0).numpy() - clip.backward(2), axis=2)
    background, square = _away_from_edges(clip, 2)
    background[:, : speed + MARGIN], background[: speed // 2 + MARGIN] = False, False  # outside
    assert (error[background] < 1).mean() > 0.95
    assert (error[square] < 1).mean() > 0.95
