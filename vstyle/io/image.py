"""Still pictures: read, write, and resize uint8 RGB arrays.

A still image is the one-frame case of a video: :class:`ImageSource` yields one
:class:`~vstyle.frames.Frame`, :class:`ImageSink` writes one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from ..errors import InputError, OptionError, OutputError
from ..frames import Frame, VideoInfo
from ..options import SizeOptions
from .space import disk_full

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")


def is_image_path(path: Path | str) -> bool:
    """True if the name ends in a still-image extension."""
    return Path(str(path)).suffix.lower() in IMAGE_EXTENSIONS


def read_image(path: Path | str, what: str = "input") -> np.ndarray:
    """Read a picture file as (H, W, 3) uint8 RGB.

    Raises:
        InputError: missing, a folder, empty, or not a picture.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{what} '{path}' does not exist")
    if path.is_dir():
        raise InputError(f"{what} '{path}' is a folder, not a picture")
    data = np.fromfile(path, dtype=np.uint8)  # imdecode copes with non-ASCII paths
    if data.size == 0:
        raise InputError(f"{what} '{path}' is empty (0 bytes)")
    bgr = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if bgr is None:
        raise InputError(f"{what} '{path}' is not a picture OpenCV can read")
    return np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))


def write_image(path: Path | str, rgb: np.ndarray, name: Path | str | None = None) -> None:
    """Write (H, W, 3) uint8 RGB to a picture file; the extension picks the format.

    Args:
        name: the output as the user named it, for messages (``path`` may be a hidden
            temporary name beside it).
    """
    path = Path(path)
    shown = f"'{path if name is None else name}'"
    ext = path.suffix.lower()
    if ext not in IMAGE_EXTENSIONS:
        raise OutputError(f"output {shown}: unsupported picture extension '{ext}'")
    data = encode_image(rgb, ext, f"output {shown}")
    try:
        path.write_bytes(data)
    except OSError as exc:
        full = disk_full(f"output {shown}", path.parent, exc)
        if full is not None:
            raise full from None
        raise OutputError(f"output {shown} cannot be written: {exc.strerror}") from None


def encode_image(rgb: np.ndarray, ext: str, what: str = "picture") -> bytes:
    """(H, W, 3) uint8 RGB encoded as the file format of ``ext`` (``.png``, ``.jpg``, ...)."""
    params = [cv2.IMWRITE_JPEG_QUALITY, 95] if ext in (".jpg", ".jpeg") else []
    ok, buf = cv2.imencode(ext, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), params)
    if not ok:
        raise OutputError(f"{what}: OpenCV could not encode {ext}")
    return buf.tobytes()


def processing_size(width: int, height: int, size: SizeOptions) -> tuple[int, int]:
    """The (width, height) frames are stylized at, from the source size and options."""
    if size.size is not None:
        return size.size
    if size.max_side is not None and max(width, height) > size.max_side:
        scale = size.max_side / max(width, height)
        return max(1, round(width * scale)), max(1, round(height * scale))
    return width, height


def resize(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize a uint8 RGB picture (area filter down, cubic up); no-op at the same size."""
    h, w = rgb.shape[:2]
    if (w, h) == (width, height):
        return rgb
    if width < 1 or height < 1:
        raise OptionError(f"cannot resize to {width}x{height}")
    interp = cv2.INTER_AREA if width * height < w * h else cv2.INTER_CUBIC
    return cv2.resize(rgb, (width, height), interpolation=interp)


class ImageSource:
    """A picture file as a one-frame video."""

    side = None  # no audio to carry

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._rgb = read_image(self.path)
        h, w = self._rgb.shape[:2]
        self.info = VideoInfo(width=w, height=h, frame_count=1)

    def frames(self) -> Iterator[Frame]:
        yield Frame(0, self._rgb)

    def close(self) -> None:
        pass

    def __enter__(self) -> ImageSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ImageSink:
    """Writes the single frame it is given to a picture file.

    Args:
        path: where to write (perhaps a hidden temporary name).
        name: the output as the user named it, for messages (default: ``path``).
    """

    def __init__(self, path: Path | str, name: Path | str | None = None) -> None:
        self.path = Path(path)
        self.name = Path(path if name is None else name)
        self.frames_written = 0
        try:  # now, not after the picture was stylized
            self.path.open("wb").close()
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise OutputError(f"output '{self.name}' cannot be created ({reason})") from None

    def write(self, frame: Frame) -> None:
        if self.frames_written:
            raise OutputError(
                f"output '{self.name}' is a single picture but the input has several frames; "
                "use a video extension or a pattern like frames/%05d.png"
            )
        write_image(self.path, frame.rgb, self.name)
        self.frames_written += 1

    def close(self) -> None:
        pass

    def __enter__(self) -> ImageSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
