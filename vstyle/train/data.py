"""Training data: the pictures and video clips under a folder, served as random crops.

Pictures are read when drawn (greyscale ones come out RGB, as every picture does
through :func:`~vstyle.io.image.read_image`). Videos are decoded once at the start
into up to :data:`MAX_PAIRS` pairs of consecutive frames spread over the clip, at
the crop size, for the temporal loss. Every random choice comes from one
``torch.Generator`` passed in (see :mod:`vstyle.train.inputs`: one per step).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from ..errors import InputError, VstyleError
from ..flow import FlowFn, flow_pair
from ..frames import to_tensor
from ..io.formats import VIDEO_EXTENSIONS
from ..io.image import IMAGE_EXTENSIONS, read_image, resize
from ..io.source import VideoSource
from ..options import IOOptions

log = logging.getLogger(__name__)

MAX_PAIRS = 64  # per video: enough motion variety, bounded memory (64 x 2 crops' worth)
SHRINK_ABOVE = 2  # a picture whose short side exceeds 2x the crop is shrunk to that first


@dataclass(frozen=True)
class Batch:
    """One training step's inputs.

    Attributes:
        images: (B, 3, S, S) crops in [0, 1]; the first P come from videos.
        previous: (P, 3, S, S) the frame before each of ``images[:P]``, same crop
            window; None when the step has no video pairs.
        forward, backward: (P, 2, S, S) flow from ``previous`` to ``images[:P]`` and
            back, cropped from the whole frames' flow; None without flows.
    """

    images: torch.Tensor
    previous: torch.Tensor | None = None
    forward: torch.Tensor | None = None
    backward: torch.Tensor | None = None


def find_media(folder: Path) -> tuple[list[Path], list[Path]]:
    """Pictures and videos under ``folder``, searched recursively, in name order.

    Raises:
        InputError: ``folder`` is missing or not a folder.
    """
    if not folder.exists():
        raise InputError(f"--data '{folder}' does not exist; give a folder of pictures/videos")
    if not folder.is_dir():
        raise InputError(f"--data '{folder}' is a file; give the folder that holds it")
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    pictures = [p for p in files if p.suffix.lower() in IMAGE_EXTENSIONS]
    videos = [p for p in files if p.suffix.lower() in VIDEO_EXTENSIONS]
    unreadable = [p for p in pictures if not cv2.haveImageReader(str(p))]
    if unreadable:  # a bad file among thousands must not end a long run hours in
        log.warning("skipping %d unreadable picture(s), e.g. '%s'", len(unreadable), unreadable[0])
    return [p for p in pictures if p not in set(unreadable)], videos


def fit(rgb: np.ndarray, size: int, limit: int = SHRINK_ABOVE) -> np.ndarray:
    """Scale (H, W, 3) uint8 so its short side is between ``size`` and ``limit * size``."""
    h, w = rgb.shape[:2]
    short = min(h, w)
    target = min(max(short, size), limit * size)
    if target == short:
        return rgb
    scale = target / short
    return resize(rgb, max(size, round(w * scale)), max(size, round(h * scale)))


def read_pairs(path: Path, size: int, max_pairs: int = MAX_PAIRS) -> list[np.ndarray]:
    """Up to ``max_pairs`` consecutive-frame pairs, spread over the clip, short side ``size``.

    Returns:
        A list of (2, H, W, 3) uint8 arrays (previous frame, frame); empty if the clip
        has a single frame or cannot be decoded (a warning says which).
    """
    pairs: list[np.ndarray] = []
    try:
        with VideoSource(str(path), IOOptions(audio=False)) as source:
            count = source.info.frame_count or 0
            stride = max(1, (count - 1) // max_pairs) if count > 1 else 1
            previous = None
            for frame in source.frames():
                rgb = fit(frame.rgb, size, limit=1)
                if previous is not None and (frame.index - 1) % stride == 0:
                    pairs.append(np.stack([previous, rgb]))
                    if len(pairs) >= max_pairs:
                        break
                previous = rgb
    except VstyleError as exc:
        log.warning("skipping video '%s': %s", path, exc)
    return pairs


def _crop(rgb: np.ndarray, size: int, g: torch.Generator) -> tuple[int, int]:
    """A random top-left corner for a ``size`` square inside (..., H, W, 3)."""
    h, w = rgb.shape[-3:-1]
    top = int(torch.randint(h - size + 1, (1,), generator=g))
    left = int(torch.randint(w - size + 1, (1,), generator=g))
    return top, left


class TrainingData:
    """Random square crops from a folder's pictures and video frame pairs.

    With both pictures and videos, half of each batch (rounded up) are video pairs,
    so the temporal loss sees every step however few the clips are.

    Args:
        folder: searched recursively for pictures and videos.
        size: crop side S in pixels.
        batch: crops per step B.

    Raises:
        InputError: the folder is missing or holds nothing usable.
    """

    def __init__(self, folder: Path, size: int, batch: int) -> None:
        self.size, self.batch = size, batch
        self.pictures, videos = find_media(folder)
        self.pairs = [pair for video in videos for pair in read_pairs(video, size)]
        if not self.pictures and not self.pairs:
            found = f" ({len(videos)} video(s) gave no frame pairs)" if videos else ""
            raise InputError(
                f"--data '{folder}' holds no pictures or videos{found}; searched recursively "
                f"for {', '.join(IMAGE_EXTENSIONS)} and {', '.join(VIDEO_EXTENSIONS)}"
            )
        if not self.pairs:
            self.video_share = 0
        else:
            self.video_share = batch if not self.pictures else -(-batch // 2)

        self.flows: list[torch.Tensor] = []

    def add_flows(self, flow: FlowFn) -> None:
        """Compute both flows of every video pair once, on the whole frames.

        A crop of the whole frame's flow is as good as the flow of the crop (better at
        its edges, where the whole frame still sees what moved in), and computing it
        here leaves no OpenCV work in the steps. Stored as fp16 (2, 2, H, W): forward
        then backward, 0.03 px steps below 64 px of motion.
        """
        self.flows = []
        for pair in self.pairs:
            prev, cur = to_tensor(pair[0]), to_tensor(pair[1])
            forward, backward = flow_pair(flow, prev, cur)
            self.flows.append(torch.cat([forward, backward]).cpu().half())

    def sample(self, g: torch.Generator) -> Batch:
        """The next batch; all randomness from ``g`` (crop windows, which files)."""
        s = self.size
        current, previous, flows = [], [], []
        for _ in range(self.video_share):
            k = int(torch.randint(len(self.pairs), (1,), generator=g))
            top, left = _crop(self.pairs[k], s, g)
            window = self.pairs[k][:, top : top + s, left : left + s]
            previous.append(to_tensor(window[0]))
            current.append(to_tensor(window[1]))
            if self.flows:
                flows.append(self.flows[k][..., top : top + s, left : left + s].float())
        for _ in range(self.batch - self.video_share):
            path = self.pictures[int(torch.randint(len(self.pictures), (1,), generator=g))]
            rgb = fit(read_image(path, "training picture"), s)
            top, left = _crop(rgb, s, g)
            current.append(to_tensor(rgb[top : top + s, left : left + s]))
        if not previous:
            return Batch(torch.cat(current))
        forward, backward = torch.stack(flows).unbind(1) if flows else (None, None)
        return Batch(torch.cat(current), torch.cat(previous), forward, backward)
