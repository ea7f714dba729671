"""Fixtures for live mode: tiny random-weight models, a short clip standing in for the
camera, and engines that paint a known colour (or slowly) so a test can tell which
model painted a frame and make the painter the bottleneck on purpose."""

from __future__ import annotations

import time
from fractions import Fraction
from pathlib import Path

import pytest
import torch

from tests.arbitrary.conftest import inverse_vgg  # noqa: F401 (fixtures, for the inverse net)
from tests.arbitrary.test_inverse_run import model as inverse_model  # noqa: F401
from tests.arbitrary.test_inverse_run import styles  # noqa: F401
from tests.io.io_clips import make_clip
from tests.nets.test_transformer import seeded
from vstyle.nets.modelfile import ModelInfo, save_model
from vstyle.nets.transformer import TransformerNet

RATE = Fraction(30)


@pytest.fixture
def models(tmp_path: Path) -> list[Path]:
    """Two seeded width-0.25 models (random weights: they paint unlike each other)."""
    return [
        save_model(
            tmp_path / f"m{seed}.vsm", seeded(TransformerNet(0.25), seed), ModelInfo("vstyle", 0.25)
        )
        for seed in (7, 8)
    ]


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    """40 frames of 64x48 at 30 fps: paced, that is 1.3 s of 'camera'."""
    return make_clip(tmp_path / "camera.mp4", frames=40, size=(64, 48), rate=RATE)


class FlatEngine:
    """Paints every pixel ``value`` after ``delay`` seconds (an engine by the interface)."""

    precision = "fp32"

    def __init__(self, value: float, delay: float = 0.0) -> None:
        self.name, self.value, self.delay = f"flat {value}", value, delay

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        if self.delay:
            time.sleep(self.delay)
        return torch.full_like(batch, self.value)
