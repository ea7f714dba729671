"""Hostile inputs, made in code at test time: broken files, odd pictures, odd clips.

Every maker writes one file into a folder and returns its path. Clips are tiny
(32x24, a few frames) so the whole suite stays fast on a 2-core CPU.
"""

from __future__ import annotations

import struct
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "io"))
from io_clips import make_clip, picture  # noqa: E402
from io_clips import noise_clip as random_clip  # noqa: E402

W, H, FRAMES = 32, 24, 3  # the size and length of every valid clip here


def clip(path: Path, **options: object) -> Path:
    """A valid 32x24, 3-frame H.264 clip (``make_clip`` options override)."""
    options = {"frames": FRAMES, "size": (W, H), **options}
    return make_clip(path, **options)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def png_bytes(
    width: int, height: int, colour: int, depth: int, rows: bytes, plte: bytes = b""
) -> bytes:
    """A PNG file written by hand (so headers can lie and palettes exist)."""
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    chunks = _png_chunk(b"IHDR", header)
    if plte:
        chunks += _png_chunk(b"PLTE", plte)
    chunks += _png_chunk(b"IDAT", zlib.compress(rows)) + _png_chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def palette_png(path: Path) -> Path:
    """A 32x24 8-bit palette picture (colour type 3)."""
    index = (np.arange(W)[None, :] // 8 + np.arange(H)[:, None] // 8) % 4
    rows = b"".join(b"\x00" + bytes(row.astype(np.uint8)) for row in index)
    plte = bytes([255, 0, 0, 0, 255, 0, 0, 0, 255, 250, 240, 30])
    path.write_bytes(png_bytes(W, H, 3, 8, rows, plte))
    return path


def huge_png(path: Path) -> Path:
    """A PNG header claiming 60000x60000 RGB with a few bytes of pixels."""
    path.write_bytes(png_bytes(60000, 60000, 2, 8, b"\x00" * 64))
    return path


def huge_y4m(path: Path) -> Path:
    """A y4m header claiming 60000x60000 followed by a few bytes of one frame."""
    path.write_bytes(b"YUV4MPEG2 W60000 H60000 F25:1 Ip A1:1 C420jpeg\nFRAME\n" + b"\x80" * 4096)
    return path


def cmyk_jpeg(path: Path) -> Path:
    """An 8x8 Adobe CMYK baseline JPEG (flat, every coefficient 0), built byte by byte."""

    def segment(marker: int, body: bytes) -> bytes:
        return struct.pack(">BBH", 0xFF, marker, len(body) + 2) + body

    one_symbol = bytes([1] + [0] * 15) + b"\x00"  # one code of length 1 for symbol 0
    data = b"\xff\xd8"
    data += segment(0xEE, b"Adobe" + struct.pack(">HHHB", 100, 0, 0, 0))  # transform 0: CMYK
    data += segment(0xDB, b"\x00" + b"\x01" * 64)
    data += segment(
        0xC0, struct.pack(">BHHB", 8, 8, 8, 4) + b"".join(bytes([c, 0x11, 0]) for c in range(1, 5))
    )
    data += segment(0xC4, b"\x00" + one_symbol) + segment(0xC4, b"\x10" + one_symbol)
    data += segment(
        0xDA, bytes([4]) + b"".join(bytes([c, 0x00]) for c in range(1, 5)) + b"\x00\x3f\x00"
    )
    data += b"\x00\xff\xd9"  # DC diff 0 + EOB for 4 blocks: eight 0 bits
    path.write_bytes(data)
    return path


def write_cv(path: Path, array: np.ndarray) -> Path:
    ok, buf = cv2.imencode(path.suffix, array)
    assert ok, path
    path.write_bytes(buf.tobytes())
    return path


def jpeg_bytes() -> bytes:
    return cv2.imencode(".jpg", picture(0, W, H)[..., ::-1])[1].tobytes()


def truncated(path: Path, source: Callable[[Path], Path], keep: float) -> Path:
    """The first ``keep`` share of a valid clip's bytes."""
    full = source(path.with_name("full-" + path.name))
    data = full.read_bytes()
    full.unlink()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def moov_damaged(path: Path) -> Path:
    """A valid mp4 whose ``moov`` box has its sample tables overwritten with garbage."""
    full = clip(path)
    data = bytearray(full.read_bytes())
    at = data.find(b"stsz")
    assert at > 0
    data[at - 4 : at + 60] = b"\xff" * 64
    path.write_bytes(bytes(data))
    return path


def audio_only(path: Path) -> Path:
    """An AAC-in-mp4 file with no video stream."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=44100)
        stream.layout = "mono"
        tone = (0.3 * np.sin(np.arange(44100 // 4) / 10)).astype(np.float32)
        for start in range(0, tone.size, 1024):
            frame = av.AudioFrame.from_ndarray(
                tone[None, start : start + 1024], format="flt", layout="mono"
            )
            frame.sample_rate, frame.pts = 44100, start
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


@dataclass(frozen=True)
class Item:
    """One corpus file: how to make it, and what a run on it should do.

    Attributes:
        make: writes the file at the given path.
        expect: "ok" (exit 0), "bad" (a clean non-zero exit) or "either".
        frames: frames a successful run writes (None: not checked).
        size: (width, height) a successful copy run writes, when known.
    """

    name: str
    make: Callable[[Path], Path]
    expect: str
    frames: int | None = None
    size: tuple[int, int] | None = None


def _text(path: Path) -> Path:
    path.write_text("this is not a video, it is a shopping list\n" * 20)
    return path


def _zero(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def _jpeg(path: Path) -> Path:
    path.write_bytes(jpeg_bytes())
    return path


def _random(path: Path) -> Path:
    path.write_bytes(np.random.default_rng(7).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    return path


INPUTS: tuple[Item, ...] = (
    Item("zero.mp4", _zero, "bad"),
    Item("text.mp4", _text, "bad"),
    Item("random.mkv", _random, "bad"),
    Item("jpeg-as.mp4", _jpeg, "either", 1, (W, H)),
    Item("truncated.mp4", lambda p: truncated(p, clip, 0.6), "bad"),
    Item("truncated.mkv", lambda p: truncated(p, lambda q: clip(q, frames=12), 0.5), "either"),
    Item("moov-damaged.mp4", moov_damaged, "either"),
    Item("audio-only.m4a", audio_only, "bad"),
    Item("audio-only.mp4", audio_only, "bad"),
    Item("one-frame.mp4", lambda p: clip(p, frames=1), "ok", 1, (W, H)),
    Item("pixel.png", lambda p: write_cv(p, np.full((1, 1, 3), 200, np.uint8)), "ok", 1, (1, 1)),
    Item("odd.png", lambda p: write_cv(p, picture(0, 63, 47)), "ok", 1, (63, 47)),
    Item(
        "odd.mkv",
        lambda p: clip(p, size=(63, 47), codec="ffv1", pix_fmt="yuv420p"),
        "ok",
        FRAMES,
        (63, 47),
    ),
    Item("huge.png", huge_png, "bad"),
    Item("huge.y4m", huge_y4m, "bad"),
    Item("grey.png", lambda p: write_cv(p, picture(0, W, H)[..., 0]), "ok", 1, (W, H)),
    Item(
        "rgba.png",
        lambda p: write_cv(p, np.dstack([picture(0, W, H), np.full((H, W), 128, np.uint8)])),
        "ok",
        1,
        (W, H),
    ),
    Item(
        "deep.png", lambda p: write_cv(p, picture(0, W, H).astype(np.uint16) * 257), "ok", 1, (W, H)
    ),
    Item("cmyk.jpg", cmyk_jpeg, "ok", 1, (8, 8)),
    Item("palette.png", palette_png, "ok", 1, (W, H)),
    Item("vfr.mkv", lambda p: clip(p, frames=5, vfr=True), "ok", 5, (W, H)),
    Item("rotated.mp4", lambda p: clip(p, rotation=90), "ok", FRAMES, (H, W)),
    Item("rate.mp4", lambda p: clip(p, rate=Fraction(1, 7)), "ok", FRAMES, (W, H)),
)

STYLES: tuple[Item, ...] = (
    Item("zero.jpg", _zero, "bad"),
    Item("corrupt.jpg", lambda p: p.write_bytes(jpeg_bytes()[:200]) and p, "bad"),
    Item("text.png", _text, "bad"),
    Item("video.mp4", clip, "bad"),
    Item("pixel.png", lambda p: write_cv(p, np.full((1, 1, 3), 90, np.uint8)), "either"),
    Item("sliver.png", lambda p: write_cv(p, np.full((2, 300, 3), 90, np.uint8)), "either"),
    Item("cmyk.jpg", cmyk_jpeg, "ok"),
    Item("palette.png", palette_png, "ok"),
)


def style_picture(path: Path) -> Path:
    """A valid 32x32 stripes style."""
    yy, xx = np.mgrid[0:32, 0:32]
    band = ((xx + yy) // 4) % 2
    rgb = np.where(band[..., None] == 0, (230, 40, 40), (30, 30, 200)).astype(np.uint8)
    return write_cv(path, rgb[..., ::-1])


def noise_clip(path: Path, frames: int, size: tuple[int, int]) -> Path:
    """A lossless (FFV1) clip of random noise: re-encoding it cannot shrink it much."""
    return random_clip(path, frames, size, pix_fmt="yuv420p", seed=3)
