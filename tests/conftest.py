"""Shared fixtures: a tiny seeded VGG (for tests that only need *a* VGG), the real
VGG weights from ../shared (for tests of stylization quality), tiny pictures made in
code, and a ``device`` fixture (cuda added only when present)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

SHARED = Path(__file__).resolve().parents[2] / "shared" / "assets"
VGG_FILE = SHARED / "weights" / "vgg19-features.pth"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Never read or write the user's real cache from a test."""
    monkeypatch.setenv("VSTYLE_HOME", str(tmp_path_factory.mktemp("vstyle-home")))


@pytest.fixture(scope="session")
def vgg_file() -> Path:
    """The real VGG-19 weights (explicit env var wins, as for users), for the tests whose
    assertions are about stylization quality; they skip without ../shared."""
    path = Path(os.environ.get("VSTYLE_VGG_WEIGHTS", VGG_FILE))
    if not path.is_file():
        pytest.skip(
            f"real VGG-19 weights not found at {path}: this test checks the real network "
            "(stylization quality or the file itself), which the tiny VGG cannot stand in "
            "for; put ../shared beside the checkout or set VSTYLE_VGG_WEIGHTS"
        )
    return path


@pytest.fixture
def vgg_env(vgg_file: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point vstyle at the real weights through the environment."""
    monkeypatch.setenv("VSTYLE_VGG_WEIGHTS", str(vgg_file))
    return vgg_file


# VGG-19's 16 conv layers at a few channels each: same layer names and taps, about
# 1/300 of the arithmetic, so optimizer and pipeline tests run in seconds anywhere.
TINY_WIDTHS = (8, 8, 16, 16, 16, 16, 16, 16, 32, 32, 32, 32, 32, 32, 32, 32)


def tiny_vgg_state(seed: int = 0) -> dict[str, torch.Tensor]:
    """A seeded VGG-19-shaped features state dict with :data:`TINY_WIDTHS` channels.

    He-initialized (ReLU gain) so activations keep their scale through 16 layers,
    as the real weights do; small random biases so no unit is dead everywhere.
    """
    from vstyle.nets.vgg import make_features

    g = torch.Generator().manual_seed(seed)
    state = {}
    for key, value in make_features(TINY_WIDTHS).state_dict().items():
        if key.endswith("weight"):
            fan_in = value[0].numel()
            value = torch.randn(value.shape, generator=g) * (2.0 / fan_in) ** 0.5
        else:
            value = torch.randn(value.shape, generator=g) * 0.05
        state[f"features.{key}"] = value
    return state


@pytest.fixture(scope="session")
def tiny_vgg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny VGG saved as a features state dict, loaded as any weights file is."""
    path = tmp_path_factory.mktemp("tiny-vgg") / "tiny-vgg19-features.pth"
    torch.save(tiny_vgg_state(), path)
    return path


@pytest.fixture
def tiny_vgg_env(tiny_vgg: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point vstyle at the tiny VGG through the environment (CLI tests)."""
    monkeypatch.setenv("VSTYLE_VGG_WEIGHTS", str(tiny_vgg))
    return tiny_vgg


def smooth_noise(height: int, width: int, seed: int, cells: int = 6) -> np.ndarray:
    """(H, W, 3) uint8 smooth colour texture: upsampled random cells."""
    import cv2

    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (cells, cells, 3), dtype=np.uint8)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)


def stripes(height: int, width: int, period: int = 8, colours=((230, 40, 40), (30, 30, 200))):
    """(H, W, 3) uint8 diagonal two-colour stripes: a strongly textured 'style'."""
    yy, xx = np.mgrid[0:height, 0:width]
    band = ((xx + yy) // (period // 2)) % 2
    out = np.zeros((height, width, 3), np.uint8)
    out[band == 0] = colours[0]
    out[band == 1] = colours[1]
    return out


@pytest.fixture
def content_rgb() -> np.ndarray:
    """A 48x64 photo-like picture: smooth gradients and a bright disc."""
    img = smooth_noise(48, 64, seed=1, cells=4).astype(np.int32)
    yy, xx = np.mgrid[0:48, 0:64]
    img[(yy - 24) ** 2 + (xx - 40) ** 2 < 100] = 240
    return img.clip(0, 255).astype(np.uint8)


@pytest.fixture
def style_rgb() -> np.ndarray:
    return stripes(64, 64)


@pytest.fixture
def write_png(tmp_path: Path):
    """Write an RGB array to tmp_path/name and return the path."""
    from vstyle.io.image import write_image

    def write(name: str, rgb: np.ndarray) -> Path:
        path = tmp_path / name
        write_image(path, rgb)
        return path

    return write
