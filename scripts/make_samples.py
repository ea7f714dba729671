"""Make the project's own sample data, procedurally (nothing is downloaded or copied).

Writes into ``samples/``:
  photo.png   a small photo-like landscape (sky, sun, hills, a house, texture)
  style.png   a painterly picture of swirling coloured strokes
  clip.mp4    a 2-second 30000/1001 fps clip panning over the landscape,
              with a moving ball and a stereo tone track (AAC)

Run: python scripts/make_samples.py [--out samples]
"""

from __future__ import annotations

import argparse
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np


def landscape(width: int, height: int, seed: int = 0) -> np.ndarray:
    """(H, W, 3) uint8 RGB landscape with enough texture for flow and style."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    t = yy / height
    img = np.zeros((height, width, 3), np.float32)
    img[:] = np.stack([70 + 80 * t, 130 + 70 * t, 230 - 30 * t], -1)  # sky
    sun = (xx - 0.4 * width) ** 2 + (yy - 0.22 * height) ** 2 < (0.08 * height) ** 2
    img[sun] = (255, 225, 120)
    for k, (base, colour) in enumerate([(0.55, (60, 120, 60)), (0.7, (40, 95, 40))]):
        ridge = base * height + 0.08 * height * np.sin(xx / width * (5 + 3 * k) + k)
        img[yy > ridge] = colour
    house = (xx > 0.25 * width) & (xx < 0.42 * width) & (yy > 0.5 * height) & (yy < 0.72 * height)
    img[house] = (200, 80, 60)
    roof = (
        (yy < 0.5 * height)
        & (yy > 0.4 * height)
        & (np.abs(xx - 0.335 * width) < (yy - 0.4 * height) * 0.9)
    )
    img[roof] = (120, 40, 30)
    noise = cv2.GaussianBlur(rng.normal(0, 18, (height, width, 3)).astype(np.float32), (0, 0), 1.5)
    return np.clip(img + noise, 0, 255).astype(np.uint8)


def swirls(width: int, height: int, seed: int = 1) -> np.ndarray:
    """(H, W, 3) uint8 picture of swirling brush strokes in a warm/cool palette."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32) / max(width, height)
    field = np.sin(9 * xx + 4 * np.sin(7 * yy)) + np.cos(11 * yy + 3 * np.sin(5 * xx))
    strokes = np.sin(14 * field + rng.normal(0, 0.3, field.shape).astype(np.float32))
    palette = np.array([[20, 40, 110], [40, 90, 180], [240, 200, 60], [250, 240, 180]], np.float32)
    idx = (strokes + 1) / 2 * (len(palette) - 1)
    lo = np.floor(idx).astype(int).clip(0, len(palette) - 2)
    frac = (idx - lo)[..., None]
    img = palette[lo] * (1 - frac) + palette[lo + 1] * frac
    return cv2.GaussianBlur(img, (0, 0), 0.8).clip(0, 255).astype(np.uint8)


def write_clip(path: Path, scene: np.ndarray, size: tuple[int, int], frames: int) -> None:
    """Pan across ``scene`` with a bouncing ball, plus a 440 Hz tone, as H.264 + AAC."""
    width, height = size
    rate = Fraction(30000, 1001)
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=rate)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"crf": "18"}
        audio = out.add_stream("aac", rate=44100)
        audio.layout = "stereo"
        for i in range(frames):
            x0 = i * 2
            view = scene[:height, x0 : x0 + width].copy()
            cx, cy = 20 + 4 * i, height // 2 + int(15 * np.sin(i / 4))
            cv2.circle(view, (cx, cy), 10, (240, 240, 240), -1)
            frame = av.VideoFrame.from_ndarray(view, format="rgb24")
            out.mux(video.encode(frame))
        out.mux(video.encode())
        seconds = frames / rate
        samples = int(44100 * seconds)
        tone = (0.2 * np.sin(2 * np.pi * 440 * np.arange(samples) / 44100)).astype(np.float32)
        pcm = np.stack([tone, tone])
        for start in range(0, samples, 1024):
            chunk = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(pcm[:, start : start + 1024]), format="fltp", layout="stereo"
            )
            chunk.sample_rate, chunk.pts = 44100, start
            out.mux(audio.encode(chunk))
        out.mux(audio.encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "samples")
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    scene = landscape(320, 120)
    cv2.imwrite(str(out / "photo.png"), cv2.cvtColor(scene[:, :160], cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(out / "style.png"), cv2.cvtColor(swirls(256, 256), cv2.COLOR_RGB2BGR))
    write_clip(out / "clip.mp4", scene, (160, 120), frames=48)
    print(f"wrote {out}/photo.png, style.png, clip.mp4")


if __name__ == "__main__":
    main()
