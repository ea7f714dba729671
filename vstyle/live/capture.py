"""Frames from a camera, or from a file, URL or device path standing in for one.

Everything goes through OpenCV's ``VideoCapture`` (V4L2 on Linux, AVFoundation on
macOS, Media Foundation or DirectShow on Windows, FFmpeg for files and streams). A
file is paced at its own frame rate, as a camera would deliver it, so a live run on a
file behaves like one on a camera: a slow painter sees frames go by, not pile up.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from ..errors import InputError
from ..options import LiveOptions

PROBE_INDEXES = 10  # cameras tried when the one asked for does not open
DEFAULT_FPS = 30.0  # what a camera or stream that does not say its rate is taken to run at


@contextlib.contextmanager
def quiet_opencv() -> Iterator[None]:
    """Silence OpenCV's own log while cameras are tried (each miss logs several lines)."""
    logging = cv2.utils.logging
    previous = logging.setLogLevel(logging.LOG_LEVEL_SILENT)
    try:
        yield
    finally:
        logging.setLogLevel(previous)


def open_cameras(limit: int = PROBE_INDEXES, skip: int | None = None) -> list[int]:
    """The camera indexes below ``limit`` that open (``skip`` is not tried)."""
    found = []
    with quiet_opencv():
        for index in range(limit):
            if index == skip:
                continue
            cap = cv2.VideoCapture(index)
            if cap.isOpened():
                found.append(index)
            cap.release()
    return found


def _camera_node(index: int) -> Path | None:
    """The device node of camera ``index`` on Linux, where it can say busy or denied."""
    node = Path(f"/dev/video{index}")
    return node if sys.platform.startswith("linux") and node.exists() else None


def _camera_error(index: int) -> InputError:
    node = _camera_node(index)
    if node is not None and not os.access(node, os.R_OK):
        return InputError(
            f"--camera {index}: permission denied on {node}; add yourself to its group "
            f"(ls -l {node}, usually 'video') and log in again"
        )
    if node is not None:
        return InputError(
            f"--camera {index}: {node} is busy or not a capture device; close the program "
            "using it, or try another --camera"
        )
    others = open_cameras(skip=index)
    if others:
        listed = ", ".join(map(str, others))
        return InputError(f"--camera {index}: no camera at that index; cameras that open: {listed}")
    return InputError(
        f"--camera {index}: no camera at that index, and none of 0-{PROBE_INDEXES - 1} opens; "
        "connect one, or use --source FILE_OR_URL"
    )


def check_source(name: str) -> bool:
    """Refuse a ``--source`` path that cannot be read; True when it is a regular file.

    A device node (``/dev/video0``) reports size 0 like an empty file; only a regular
    file is called empty. A URL is left to OpenCV.
    """
    if "://" in name:
        return False
    path = Path(name)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise InputError(f"--source '{name}' does not exist") from None
    if stat.S_ISDIR(mode):
        raise InputError(f"--source '{name}' is a folder, not a video, stream or device")
    if not os.access(path, os.R_OK):
        raise InputError(f"--source '{name}': permission denied; check its owner and group")
    if stat.S_ISREG(mode) and path.stat().st_size == 0:
        raise InputError(f"--source '{name}' is empty (0 bytes)")
    return stat.S_ISREG(mode)


class Capture:
    """An opened camera or stand-in; :meth:`read` gives RGB frames at the source's pace.

    Args:
        live: ``camera``/``source``, ``camera_size``, ``camera_fps`` and ``loop`` are read.

    Attributes:
        rate: frames per second the source delivers (a file's own, or the camera's).
        size: (width, height) of its frames.
        paced: a file, read at ``rate`` rather than as fast as it decodes.

    Raises:
        InputError: no camera at that index (the ones that open are listed), camera
            busy or permission denied, a source that is missing, empty or unreadable.
    """

    def __init__(self, live: LiveOptions) -> None:
        self.name = live.source if live.source is not None else f"--camera {live.camera}"
        self.paced = check_source(live.source) if live.source is not None else False
        self.loop = live.loop and self.paced
        self._live = live
        self.cap = self._open()
        self._apply(live)
        fps = self.cap.get(cv2.CAP_PROP_FPS)
        self.rate = fps if 1 <= fps <= 1000 else (live.camera_fps or DEFAULT_FPS)
        self._first = self._grab()
        if self._first is None:
            self.cap.release()
            raise self._no_frames()
        self.size = (self._first.shape[1], self._first.shape[0])  # what the camera gave
        self._due: float | None = None

    def read(self) -> np.ndarray | None:
        """The next (H, W, 3) uint8 RGB frame, or None when a file (without loop) ends."""
        if self._first is not None:
            rgb, self._first = self._first, None
        else:
            rgb = self._grab()
            if rgb is None and self.loop:
                self.cap.release()  # seeking back is unreliable across backends
                self.cap = self._open()
                rgb = self._grab()
        if rgb is not None and self.paced:
            self._pace()
        return rgb

    def close(self) -> None:
        self.cap.release()

    def _pace(self) -> None:
        now = time.perf_counter()
        self._due = now if self._due is None else max(self._due + 1 / self.rate, now - 1)
        if self._due > now:
            time.sleep(self._due - now)

    def _open(self) -> cv2.VideoCapture:
        live = self._live
        with quiet_opencv():
            cap = cv2.VideoCapture(live.source if live.source is not None else live.camera)
        if cap.isOpened():
            return cap
        if live.source is None:
            raise _camera_error(live.camera)
        what = "a device that is busy or not a camera" if not self.paced else "not a video"
        raise InputError(f"--source '{live.source}' cannot be opened ({what} OpenCV can read)")

    def _apply(self, live: LiveOptions) -> None:
        """Ask for the size and rate; a camera picks its nearest mode."""
        if live.camera_size is not None:
            self.cap.set(cv2.CAP_PROP_FRAME_WIDTH, live.camera_size[0])
            self.cap.set(cv2.CAP_PROP_FRAME_HEIGHT, live.camera_size[1])
        if live.camera_fps is not None:
            self.cap.set(cv2.CAP_PROP_FPS, live.camera_fps)

    def _grab(self) -> np.ndarray | None:
        ok, bgr = self.cap.read()
        if not ok or bgr is None:
            return None
        if bgr.ndim == 2:
            return cv2.cvtColor(bgr, cv2.COLOR_GRAY2RGB)
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def _no_frames(self) -> InputError:
        if self._live.source is None:
            node = _camera_node(self._live.camera)
            where = f" ({node})" if node else ""
            return InputError(
                f"{self.name}{where} opened but gives no frames: busy in another program "
                "or permission denied"
            )
        return InputError(f"--source '{self._live.source}' opened but has no video frames")
