"""A tiny VGG whose first five convs match an inverse net at width 1/8, and tiny
picture and painting folders."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tests.conftest import TINY_WIDTHS, smooth_noise, stripes
from vstyle.io.image import write_image
from vstyle.nets.inverse import encoder_widths
from vstyle.nets.vgg import make_features

WIDTH = 0.125  # encoder 8, 8, 16, 16, 32 channels


@pytest.fixture(scope="session")
def inverse_vgg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A seeded VGG-19 features file at :data:`WIDTH` up to relu3_1 (He-initialized)."""
    widths = encoder_widths(WIDTH) + TINY_WIDTHS[5:]
    g = torch.Generator().manual_seed(0)
    state = {}
    for key, value in make_features(widths).state_dict().items():
        scale = (2.0 / value[0].numel()) ** 0.5 if key.endswith("weight") else 0.05
        state[f"features.{key}"] = torch.randn(value.shape, generator=g) * scale
    path = tmp_path_factory.mktemp("inverse-vgg") / "vgg.pth"
    torch.save(state, path)
    return path


@pytest.fixture
def photo_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(3):
        write_image(folder / f"p{i}.png", smooth_noise(48, 56, seed=i))
    return folder


@pytest.fixture
def painting_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "paintings"
    folder.mkdir()
    write_image(folder / "stripes.png", stripes(48, 48))
    write_image(folder / "warm.png", stripes(40, 52, 6, ((250, 200, 40), (120, 20, 10))))
    return folder
