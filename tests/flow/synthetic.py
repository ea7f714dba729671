"""A synthetic clip with known motion: textured background plus an opaque moving square."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


def texture(
    rng: np.random.Generator, h: int, w: int, sigma: float | tuple[float, ...] = 2.0
) -> np.ndarray:
    """(h, w, 3) uint8 smooth random texture: blurred noise at full contrast, tinted.

    One luminance pattern for all channels, so the grey picture flow sees keeps the
    full contrast (independent channels would average out). A tuple of sigmas sums
    octaves of equal contrast, like natural pictures, which keep structure when a
    flow pyramid shrinks them (one fine sigma averages out at 1/8 size).
    """
    if isinstance(sigma, tuple):
        noise = sum(_unit(cv2.GaussianBlur(rng.random((h, w), dtype=np.float32), (0, 0), s))
                    for s in sigma)  # fmt: skip
    else:
        noise = cv2.GaussianBlur(rng.random((h, w), dtype=np.float32), (0, 0), sigma)
    noise = (noise - noise.min()) / (noise.max() - noise.min())
    tint = rng.uniform(0.6, 1.0, 3).astype(np.float32)
    return (255 * noise[..., None] * tint).astype(np.uint8)


def _unit(x: np.ndarray) -> np.ndarray:
    return (x - x.mean()) / x.std()


@dataclass(frozen=True)
class Clip:
    """Background moving by ``bg`` px per frame, an opaque square by ``fg``, both (dx, dy).

    ``square(t)`` is the square's (x0, y0) top-left corner in frame t; side ``side``.
    """

    frames: list[np.ndarray]
    bg: tuple[int, int]
    fg: tuple[int, int]
    side: int
    start: tuple[int, int]

    def square(self, t: int) -> tuple[int, int]:
        return self.start[0] + t * self.fg[0], self.start[1] + t * self.fg[1]

    def in_square(self, t: int) -> np.ndarray:
        """(H, W) bool: pixels covered by the square in frame t."""
        h, w = self.frames[0].shape[:2]
        x0, y0 = self.square(t)
        mask = np.zeros((h, w), bool)
        mask[max(y0, 0) : y0 + self.side, max(x0, 0) : x0 + self.side] = True
        return mask

    def backward(self, t: int) -> np.ndarray:
        """(H, W, 2) true flow from frame t to frame t-1."""
        flow = np.empty((*self.frames[0].shape[:2], 2), np.float32)
        flow[:] = (-self.bg[0], -self.bg[1])
        flow[self.in_square(t)] = (-self.fg[0], -self.fg[1])
        return flow

    def disoccluded(self, t: int) -> np.ndarray:
        """(H, W) bool: background in frame t that the square hid in frame t-1."""
        was = np.roll(self.in_square(t - 1), self.bg[::-1], axis=(0, 1))
        return was & ~self.in_square(t)


def make_clip(
    n: int = 4,
    size: tuple[int, int] = (160, 120),
    bg: tuple[int, int] = (2, 0),
    fg: tuple[int, int] = (-1, 2),
    side: int = 48,
    seed: int = 0,
    sigma: float | tuple[float, ...] = 2.0,
) -> Clip:
    """A textured background translating by ``bg`` with a square moving by ``fg``."""
    rng = np.random.default_rng(seed)
    w, h = size
    pad = 4 * n * max(map(abs, bg))
    fine = 1.5 if isinstance(sigma, (int, float)) else sigma
    big, patch = texture(rng, h + 2 * pad, w + 2 * pad, sigma), texture(rng, side, side, fine)
    start = (w // 2 - side // 2, h // 2 - side // 2 - n)
    frames = []
    for t in range(n):
        # Content moves by +bg, so the crop window moves by -bg.
        y0, x0 = pad - t * bg[1], pad - t * bg[0]
        frame = big[y0 : y0 + h, x0 : x0 + w].copy()
        sx, sy = start[0] + t * fg[0], start[1] + t * fg[1]
        frame[sy : sy + side, sx : sx + side] = patch
        frames.append(np.ascontiguousarray(frame))
    return Clip(frames, bg, fg, side, start)
