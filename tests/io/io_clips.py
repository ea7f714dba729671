"""Tiny clips written with PyAV at test time, and helpers to read the results.

Every clip is a smooth gradient with a bright square moving two pixels a frame, so
lossy codecs keep a high PSNR and frames are told apart.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def picture(i: int, width: int, height: int) -> np.ndarray:
    """Frame ``i`` of the test pattern: (H, W, 3) uint8 RGB."""
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1), 0 * x + 96], -1)
    rgb = rgb.astype(np.uint8)
    top, left = (2 * i) % max(height - 8, 1), (2 * i) % max(width - 8, 1)
    rgb[top : top + 8, left : left + 8] = (250, 240, 30)
    return rgb


def make_clip(
    path: Path,
    frames: int = 12,
    size: tuple[int, int] = (64, 48),
    rate: Fraction = Fraction(30000, 1001),
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    audio: str | None = None,
    vfr: bool = False,
    rotation: int = 0,
    colorspace: int | None = None,
    color_range: int | None = None,
    sar: Fraction | None = None,
    fmt: str | None = None,
) -> Path:
    """Write a clip; ``audio`` names an encoder for a 440 Hz tone as long as the video."""
    width, height = size
    out = av.open(str(path), "w", format=fmt)
    video = out.add_stream(codec, rate=rate)
    video.width, video.height, video.pix_fmt = width, height, pix_fmt
    if codec == "libx264":
        video.codec_context.options = {"crf": "10", "preset": "ultrafast"}
    if vfr:  # millisecond timestamps with uneven steps
        video.time_base = video.codec_context.time_base = Fraction(1, 1000)
    if rotation:
        video.set_display_rotation(rotation)
    if colorspace is not None:
        video.codec_context.colorspace = colorspace
    if color_range is not None:
        video.codec_context.color_range = color_range
    if sar is not None:
        video.codec_context.sample_aspect_ratio = sar
    tone = out.add_stream(audio, rate=48000 if audio == "libopus" else 44100) if audio else None
    if tone is not None:
        tone.layout = "mono"
    times = vfr_times(frames) if vfr else None
    for i in range(frames):
        frame = av.VideoFrame.from_ndarray(picture(i, width, height), format="rgb24")
        if colorspace is not None or color_range is not None:
            frame = frame.reformat(
                format=pix_fmt,
                dst_colorspace=_SWS.get(colorspace, 1),
                dst_color_range=color_range or 1,
            )
        frame.pts = times[i] if times else i
        out.mux(video.encode(frame))
    out.mux(video.encode())
    if tone is not None:
        _write_tone(out, tone, frames / float(rate) if not vfr else times[-1] / 1000 + 0.05)
    out.close()
    return path


_SWS = {1: 1, 5: 5, 6: 5}  # AVColorSpace -> swscale colourspace


def noise_clip(
    path: Path, frames: int = 30, size: tuple[int, int] = (320, 240),
    pix_fmt: str = "bgr0", seed: int = 0,
) -> Path:  # fmt: skip
    """A lossless (FFV1) clip of random pixels: no encoder can make it much smaller."""
    rng = np.random.default_rng(seed)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("ffv1", rate=25)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], pix_fmt
        for i in range(frames):
            rgb = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


def vfr_times(frames: int) -> list[int]:
    """Uneven millisecond timestamps: steps of 33, 33 and 50 ms."""
    steps = [33 if i % 3 else 50 for i in range(frames)]
    return [sum(steps[:i]) for i in range(frames)]


def _write_tone(out: av.container.OutputContainer, stream: av.AudioStream, seconds: float) -> None:
    rate = stream.codec_context.sample_rate
    total = int(round(seconds * rate))
    signal = (0.3 * np.sin(2 * np.pi * 440 * np.arange(total) / rate)).astype(np.float32)
    for start in range(0, total, 1024):
        chunk = signal[None, start : start + 1024]
        frame = av.AudioFrame.from_ndarray(chunk, format="flt", layout="mono")
        frame.sample_rate, frame.pts = rate, start
        out.mux(stream.encode(frame))
    out.mux(stream.encode())


@dataclass
class Probe:
    """What a media file holds, decoded."""

    format: str
    codec: str
    width: int
    height: int
    rate: Fraction | None
    times: list[Fraction]
    rgb: list[np.ndarray]
    colorspace: int
    color_range: int
    rotation: int
    sar: Fraction
    audio: list[dict] = field(default_factory=list)
    subtitles: int = 0


def probe(path: Path | str, fmt: str | None = None) -> Probe:
    """Decode every video frame (as RGB, BT.601/709 as tagged) and measure the audio."""
    with av.open(str(path), format=fmt) as container:
        video = container.streams.video[0]
        frames = list(container.decode(video))
        first = frames[0]
        result = Probe(
            format=container.format.name,
            codec=video.codec_context.name,
            width=first.width,
            height=first.height,
            rate=video.average_rate,
            times=[Fraction(f.pts) * f.time_base for f in frames],
            rgb=[f.to_ndarray(format="rgb24") for f in frames],
            colorspace=first.colorspace,
            color_range=first.color_range,
            rotation=first.rotation,
            sar=Fraction(video.sample_aspect_ratio or 1),
            subtitles=len(container.streams.subtitles),
        )
    with av.open(str(path), format=fmt) as container:
        for stream in container.streams.audio:
            samples = sum(f.samples for f in container.decode(stream))
            rate = stream.codec_context.sample_rate
            result.audio.append(
                {
                    "codec": stream.codec_context.name,
                    "seconds": samples / rate,
                    "frame": (stream.codec_context.frame_size or 1024) / rate,
                }
            )
    return result


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255**2 / mse)


def vstyle_process(*args: object, **kwargs: object) -> subprocess.Popen:
    """A real ``python -m vstyle.cli`` process (for pipes and signals)."""
    command = [sys.executable, "-m", "vstyle.cli", *(str(a) for a in args)]
    return subprocess.Popen(command, **kwargs)  # noqa: S603
