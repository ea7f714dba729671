"""Fixtures for the flow tests: a synthetic clip with known motion, the Sintel assets, devices."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from .synthetic import Clip, make_clip

ASSETS = Path(__file__).parents[2].parent / "shared" / "assets"
SINTEL = ASSETS / "flow" / "sintel_clean_alley_1"


@pytest.fixture(scope="session")
def clip() -> Clip:
    return make_clip()


@pytest.fixture(params=["cpu", pytest.param("cuda", marks=pytest.mark.gpu)])
def device(request: pytest.FixtureRequest) -> torch.device:
    if request.param == "cuda" and not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    return torch.device(request.param)


@pytest.fixture(scope="session")
def sintel() -> Path:
    if not (SINTEL / "gt" / "frame_0002.flo").is_file():
        pytest.skip(f"Sintel assets not found at {SINTEL}")
    return SINTEL
