"""A clip with hard cuts, made in code: each scene its own picture, a square moving
2 px a frame in every one (so the flow inside a scene is known and smooth)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from tests.io.io_clips import _write_tone


def scene_picture(i: int, scene: int, width: int = 64, height: int = 48) -> np.ndarray:
    """Frame ``i`` of scene ``scene``: (H, W, 3) uint8 RGB, scenes far apart in hue."""
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([x * 4 % 256, y * 5 % 256, 0 * x + 80 * scene], -1).astype(np.uint8)
    rgb = np.roll(rgb, 30 * scene, axis=1)
    rgb[:, :, scene % 3] ^= 0x80
    top, left = (i % 20) + 4, (2 * i) % (width - 12) + 2
    rgb[top : top + 8, left : left + 8] = (250, 240, 30)
    return rgb


def cut_clip(
    path: Path,
    frames: int = 24,
    cuts: tuple[int, ...] = (8, 16),
    audio: bool = False,
    gop: int = 5,
) -> Path:
    """H.264 at 30000/1001 fps with a keyframe every ``gop`` frames (so chunk starts
    fall between keyframes and the source must seek and skip); optionally a tone."""
    rate = Fraction(30000, 1001)
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=rate)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        video.codec_context.options = {"crf": "10", "preset": "ultrafast", "g": str(gop),
                                       "sc_threshold": "0"}  # fmt: skip
        tone = out.add_stream("aac", rate=44100) if audio else None
        if tone is not None:
            tone.layout = "mono"
        for i in range(frames):
            scene = sum(i >= c for c in cuts)
            frame = av.VideoFrame.from_ndarray(scene_picture(i, scene), format="rgb24")
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode())
        if tone is not None:
            _write_tone(out, tone, frames / float(rate))
    return path
