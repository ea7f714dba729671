"""Pixels between PyAV frames and RGB arrays: colour matrix, range, rotation, odd sizes.

Decoding converts with the source's own colour matrix and range (BT.601 vs BT.709,
limited vs full), falling back to what players assume for untagged video: BT.709
from 720 lines up, BT.601 below, limited range unless the format is ``yuvj``.
Encoding converts back with the same matrix and range and tags the stream, so a
round trip keeps its colours.

Odd sizes: H.264/H.265 cannot code an odd width or height with 4:2:0 chroma, even
with cropping (its crop unit is two pixels). For those encoders the sink pads the
frame by repeating its last column/row to the next even size; the padding is the
only change and ``crop=W:H:0:0`` undoes it. Encoders that store odd sizes
(libvpx-vp9, ffv1, png) get the frame as it is.
"""

from __future__ import annotations

import av
import numpy as np
from av.video.reformatter import ColorRange, Colorspace, Interpolation

from ..frames import VideoInfo

# AVColorSpace (what streams are tagged with) -> swscale's matrix.
_MATRIX = {
    1: Colorspace.ITU709,
    4: Colorspace.FCC,
    5: Colorspace.ITU601,
    6: Colorspace.ITU601,
    7: Colorspace.SMPTE240M,
    9: Colorspace.BT2020,
    10: Colorspace.BT2020,
}
BT709, BT601 = 1, 6  # AVColorSpace / AVColorPrimaries / AVColorTransferCharacteristic
MPEG, JPEG = 1, 2  # AVColorRange: limited ("tv") and full ("pc")
# ffmpeg's own default: chroma resampled with bicubic keeps a yuv -> RGB -> yuv trip
# about 3 dB closer than swscale's bilinear default.
SCALER = Interpolation.BICUBIC


def source_color(frame: av.VideoFrame) -> dict[str, int]:
    """The colour description of a decoded frame, with untagged values guessed.

    Returns:
        ``{"space", "range", "primaries", "trc"}`` as FFmpeg enum values; ``space``
        and ``range`` are always set (guessed like players do when untagged).
    """
    space = frame.colorspace if frame.colorspace in _MATRIX else None
    if space is None:
        space = BT709 if frame.height >= 720 else BT601
    color_range = frame.color_range if frame.color_range in (MPEG, JPEG) else None
    if color_range is None:
        color_range = JPEG if frame.format.name.startswith("yuvj") else MPEG
    default = BT709 if space == BT709 else BT601
    primaries = frame.color_primaries if frame.color_primaries not in (0, 2) else default
    trc = frame.color_trc if frame.color_trc not in (0, 2) else default
    return {"space": space, "range": color_range, "primaries": primaries, "trc": trc}


def to_rgb(frame: av.VideoFrame, color: dict[str, int]) -> np.ndarray:
    """Decoded frame to an upright (H, W, 3) uint8 RGB array.

    Args:
        frame: any pixel format PyAV decodes.
        color: from :func:`source_color` (the stream's, so every frame matches).
    """
    rgb = frame.to_ndarray(
        format="rgb24",
        src_colorspace=_MATRIX[color["space"]],
        src_color_range=ColorRange(color["range"]),
        interpolation=SCALER,
    )
    # The display matrix says how far to turn the stored picture counterclockwise.
    turns = round(frame.rotation / 90) % 4
    return np.ascontiguousarray(np.rot90(rgb, turns) if turns else rgb)


def needs_even(codec: str, pix_fmt: str) -> bool:
    """True if ``codec`` rejects odd sizes in ``pix_fmt`` (chroma subsampled)."""
    from .formats import EVEN_ONLY

    fmt = av.VideoFormat(pix_fmt, 2, 2)
    subsampled = fmt.chroma_width() < 2 or fmt.chroma_height() < 2
    return codec in EVEN_ONLY and subsampled


def pad_even(rgb: np.ndarray) -> np.ndarray:
    """Repeat the last column/row so width and height are even; no copy when already even."""
    h, w = rgb.shape[:2]
    if h % 2 == 0 and w % 2 == 0:
        return rgb
    return np.pad(rgb, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")


def from_rgb(rgb: np.ndarray, pix_fmt: str, color: dict[str, int]) -> av.VideoFrame:
    """(H, W, 3) uint8 RGB to a frame in the encoder's pixel format and colours.

    The RGB frame wraps ``rgb`` without a copy (a 1080p copy costs ~9 ms), so
    ``rgb`` must not change until the returned frame is encoded.
    """
    frame = av.VideoFrame.from_numpy_buffer(np.ascontiguousarray(rgb), format="rgb24")
    if av.VideoFormat(pix_fmt).is_rgb or pix_fmt.startswith(("gray", "pal")):
        return frame.reformat(format=pix_fmt, interpolation=SCALER)
    out = frame.reformat(
        format=pix_fmt,
        interpolation=SCALER,
        dst_colorspace=_MATRIX[color["space"]],
        dst_color_range=ColorRange(JPEG if pix_fmt.startswith("yuvj") else color["range"]),
    )
    out.color_primaries = color["primaries"]
    out.color_trc = color["trc"]
    return out


def tag_encoder(ctx: av.VideoCodecContext, pix_fmt: str, info: VideoInfo) -> dict[str, int]:
    """Tag the encoder with the colours frames will be converted to; returns them."""
    color = dict(info.color) or {"space": 0, "range": MPEG, "primaries": 0, "trc": 0}
    if not color.get("space"):  # an RGB source: pick what players will assume
        default = BT709 if info.height >= 720 else BT601
        color = {"space": default, "range": MPEG, "primaries": default, "trc": default}
    if pix_fmt.startswith("yuvj"):
        color["range"] = JPEG
    if not av.VideoFormat(pix_fmt).is_rgb:
        ctx.colorspace = color["space"]
        ctx.color_range = color["range"]
        ctx.color_primaries = color["primaries"]
        ctx.color_trc = color["trc"]
    return color
