"""Fixtures for the training tests: tiny data folders (pictures, a greyscale one, a
moving-texture clip) made in code, and tiny options (slim net, 32 px, tiny VGG)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from tests.conftest import smooth_noise, stripes
from vstyle.io.image import write_image
from vstyle.options import TrainOptions


def moving_texture(frames: int, width: int = 64, height: int = 48, step: int = 2) -> list:
    """Frames of a smooth random texture sliding ``step`` px right per frame: (H, W, 3) uint8."""
    rng = np.random.default_rng(7)
    wide = cv2.GaussianBlur(rng.random((height, width + step * frames), np.float32), (0, 0), 2)
    wide = (255 * (wide - wide.min()) / (wide.max() - wide.min())).astype(np.uint8)
    tint = np.array([1.0, 0.8, 0.6], np.float32)
    start = step * frames
    return [
        (wide[:, start - step * i : start - step * i + width, None] * tint).astype(np.uint8)
        for i in range(frames)
    ]


def write_clip(path: Path, frames: list) -> Path:
    """Encode ``frames`` as near-lossless H.264 (crf 10) at 25 fps."""
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=25)
        video.height, video.width = frames[0].shape[:2]
        video.pix_fmt = "yuv420p"
        video.codec_context.options = {"crf": "10", "preset": "ultrafast"}
        for i, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode())
    return path


@pytest.fixture
def pictures(tmp_path: Path) -> Path:
    """A data folder: four colour pictures and, one level down, a greyscale one."""
    folder = tmp_path / "pictures"
    (folder / "more").mkdir(parents=True)
    for i in range(4):
        write_image(folder / f"p{i}.png", smooth_noise(72, 80, seed=i))
    grey = cv2.cvtColor(smooth_noise(60, 50, seed=9), cv2.COLOR_RGB2GRAY)
    cv2.imwrite(str(folder / "more" / "grey.jpg"), grey)
    return folder


@pytest.fixture
def clip_folder(tmp_path: Path) -> Path:
    """A data folder holding one 8-frame 64x48 clip of a texture moving 2 px a frame."""
    folder = tmp_path / "clips"
    folder.mkdir()
    write_clip(folder / "slide.mp4", moving_texture(8))
    return folder


@pytest.fixture
def style_file(tmp_path: Path) -> Path:
    path = tmp_path / "style.png"
    write_image(path, stripes(64, 64))
    return path


@pytest.fixture
def tiny(tiny_vgg: Path, style_file: Path, pictures: Path, tmp_path: Path) -> TrainOptions:
    """Options for a tiny CPU run: width 0.25, 32 px crops, batch 2, 20 steps."""
    return TrainOptions(
        style=style_file, data=pictures, out=tmp_path / "model.vsm", size=32, batch=2,
        steps=20, width=0.25, checkpoint_every=10, device="cpu", vgg_weights=tiny_vgg,
    )  # fmt: skip


def variant(options: TrainOptions, **changes: object) -> TrainOptions:
    return replace(options, **changes)
