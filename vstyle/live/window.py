"""The live window: OpenCV ``imshow`` on the main thread, an FPS/latency overlay, keys.

Keys come from a *key source*, a callable with ``cv2.waitKey``'s shape (milliseconds
to wait -> key code, -1 for none). The window's own is ``cv2.waitKey``, which also
lets the GUI draw; tests and apps inject their own (see :class:`ScriptedKeys`).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import cv2
import numpy as np

from ..errors import OutputError
from ..io.image import resize

KeySource = Callable[[int], int]
TITLE = "vstyle live"
ESC = 27
HELP = "n/p model  c compare  s snapshot  space pause  q quit"


def qt_platforms() -> list[str] | None:
    """The Qt platform plugins OpenCV's own Qt carries, or None when it uses the system's."""
    folder = Path(cv2.__file__).parent / "qt" / "plugins" / "platforms"
    if not folder.is_dir():
        return None
    return sorted(p.name.split(".")[0].removeprefix("libq") for p in folder.glob("libq*"))


def check_display() -> None:
    """Refuse a window where none can open: OpenCV's Qt aborts the process instead.

    Raises:
        OutputError: no display (suggests ``--no-window``).
    """
    if sys.platform in ("win32", "darwin"):
        return
    platform = os.environ.get("QT_QPA_PLATFORM", "").split(":")[0]
    plugins = qt_platforms()
    if platform and plugins is not None and platform not in plugins:
        raise OutputError(
            f"no window can open: QT_QPA_PLATFORM={platform} but OpenCV's Qt has only "
            f"{', '.join(plugins) or 'no'} platform plugins; use --no-window"
        )
    if platform in ("offscreen", "minimal", "vnc", "eglfs", "linuxfb"):
        return
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        raise OutputError(
            "no display to open a window on (DISPLAY is not set); use --no-window, "
            "with --virtual-camera, --record or --output - to see the picture"
        )


class ScriptedKeys:
    """A key source that plays a script: ``{call number: key}``, -1 between.

    Args:
        script: (call number, key) pairs, the key a character or a code; call numbers
            count from 0, one per poll (the live loop polls once per frame shown and
            every few milliseconds while paused).
    """

    def __init__(self, script: Iterable[tuple[int, str | int]]) -> None:
        self.script = {n: ord(k) if isinstance(k, str) else k for n, k in script}
        self.calls = 0

    def __call__(self, wait_ms: int) -> int:
        key = self.script.get(self.calls, -1)
        self.calls += 1
        if key < 0:
            time.sleep(wait_ms / 1000)  # as cv2.waitKey waits when no key comes
        return key


def overlay(rgb: np.ndarray, lines: list[str]) -> np.ndarray:
    """A copy of ``rgb`` with ``lines`` written top left, light on a dark band."""
    out = rgb.copy()
    scale = max(0.35, min(out.shape[1], 1280) / 1600)
    step = int(22 * scale / 0.6)
    cv2.rectangle(out, (0, 0), (out.shape[1], step * len(lines) + 6), (0, 0, 0), -1)
    for i, text in enumerate(lines):
        org = (6, step * (i + 1))
        cv2.putText(out, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1,
                    cv2.LINE_AA)  # fmt: skip
    return out


def side_by_side(original: np.ndarray, painted: np.ndarray) -> np.ndarray:
    """(H, 2W, 3): the original (resized to the painting) left, the painting right."""
    h, w = painted.shape[:2]
    return np.hstack([resize(original, w, h), painted])


class Window:
    """An OpenCV window on the main thread; :meth:`poll` must run often for it to draw."""

    def __init__(self, title: str = TITLE) -> None:
        check_display()
        self.title = title
        cv2.namedWindow(title, cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO)
        self.opened = True

    def show(self, rgb: np.ndarray, lines: list[str]) -> None:
        cv2.imshow(self.title, cv2.cvtColor(overlay(rgb, lines), cv2.COLOR_RGB2BGR))

    def poll(self, wait_ms: int = 1) -> int:
        """The key pressed (-1 for none); ``q`` when the user closed the window."""
        key = cv2.waitKey(max(1, wait_ms))
        if cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) < 1:
            return ord("q")
        return key

    def close(self) -> None:
        if self.opened:
            cv2.destroyWindow(self.title)
            cv2.waitKey(1)
            self.opened = False
