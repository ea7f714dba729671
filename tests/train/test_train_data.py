"""Training data: recursive search, greyscale pictures, video pairs, batch make-up."""

from __future__ import annotations

import shutil

import pytest
import torch

from vstyle.errors import InputError
from vstyle.train.data import TrainingData, find_media, fit, read_pairs


def test_finds_pictures_recursively_and_skips_non_media(pictures) -> None:
    (pictures / "notes.txt").write_text("not a picture")
    (pictures / "fake.png").write_bytes(b"not a png at all")
    found, videos = find_media(pictures)
    assert sorted(p.name for p in found) == ["grey.jpg", "p0.png", "p1.png", "p2.png", "p3.png"]
    assert videos == []


def test_batches_are_seeded_crops_in_range_greyscale_included(pictures) -> None:
    data = TrainingData(pictures, size=32, batch=8)
    batch = data.sample(torch.Generator().manual_seed(3))
    assert batch.images.shape == (8, 3, 32, 32) and batch.previous is None
    assert 0 <= batch.images.min() and batch.images.max() <= 1
    same = data.sample(torch.Generator().manual_seed(3)).images
    other = data.sample(torch.Generator().manual_seed(4)).images
    assert torch.equal(batch.images, same) and not torch.equal(batch.images, other)
    grey = TrainingData(pictures / "more", size=32, batch=2).sample(torch.Generator())
    assert torch.equal(grey.images[:, 0], grey.images[:, 2])  # grey converted to RGB


def test_small_pictures_grow_and_big_ones_shrink_to_the_crop() -> None:
    assert fit(torch.zeros(20, 30, 3).byte().numpy(), 32).shape[:2] == (32, 48)
    assert fit(torch.zeros(400, 300, 3).byte().numpy(), 32).shape[:2] == (85, 64)


def test_video_pairs_are_consecutive_frames(clip_folder) -> None:
    pairs = read_pairs(clip_folder / "slide.mp4", size=32)
    assert len(pairs) == 7 and pairs[0].shape == (2, 32, 43, 3)  # 64x48 scaled to short side 32
    prev, cur = (p.astype(float) for p in pairs[0])
    # the texture slides 2 px right (1.33 px at this scale): shifting back fits better
    assert abs(cur[:, 2:] - prev[:, 1:-1]).mean() < abs(cur - prev).mean()


def test_mixed_folder_gives_half_video_pairs(pictures, clip_folder) -> None:
    shutil.copy(clip_folder / "slide.mp4", pictures / "more" / "slide.mp4")
    data = TrainingData(pictures, size=32, batch=5)
    batch = data.sample(torch.Generator().manual_seed(0))
    assert data.video_share == 3 and batch.previous.shape == (3, 3, 32, 32)
    assert batch.images.shape == (5, 3, 32, 32)


@pytest.mark.parametrize("make", ["empty", "only_text", "missing", "file"])
def test_unusable_folders_are_refused(tmp_path, make) -> None:
    folder = tmp_path / "data"
    if make in ("empty", "only_text"):
        folder.mkdir()
    if make == "only_text":
        (folder / "a.txt").write_text("x")
    if make == "file":
        folder.write_text("x")
    words = {"missing": "does not exist", "file": "is a file"}.get(make, "no pictures or videos")
    with pytest.raises(InputError, match=words):
        TrainingData(folder, size=32, batch=2)
