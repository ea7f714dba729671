"""Live mode: a painted camera, for video calls and streams (``vstyle live``).

A capture thread keeps only the newest camera frame (:mod:`.buffer`), the main thread
paints it with a fast model (:mod:`.painter`) and hands it to the window
(:mod:`.window`) and to outputs that each write on their own thread and drop when
busy (:mod:`.sinks`); :mod:`.session` ties them together.

For programs, the package itself is callable::

    import vstyle
    for frame in vstyle.live("starry.vsm", source="clip.mp4", frames=100):
        use(frame.rgb, frame.time)  # painted (H, W, 3) uint8 RGB, capture time in s
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from pathlib import Path

from ..frames import Frame
from ..options import FastOptions, LiveOptions, Options, RuntimeOptions, SizeOptions


def live(
    model: str | Path,
    *,
    source: str | Path | None = None,
    camera: int = 0,
    camera_size: tuple[int, int] | None = None,
    camera_fps: float | None = None,
    loop: bool = False,
    size: tuple[int, int] | None = None,
    max_side: int | None = None,
    engine: str = "auto",
    precision: str = "auto",
    device: str = "auto",
    stabilize: bool = False,
    frames: int | None = None,
    duration: float | None = None,
    options: Options | None = None,
) -> Iterator[Frame]:
    """Painted frames from a camera (or a ``source`` standing in for one), as they come.

    Frames arrive at the camera's pace less the ones dropped while the model was busy;
    ``frame.time`` is the capture time in seconds since the start and ``frame.index``
    the capture count (gaps are dropped frames). Stop by breaking out of the loop.

    Args:
        model: the ``.vsm`` model that paints (several, switched by keys: see
            :class:`~vstyle.live.session.LiveRun`).
        source: a video file, URL or device path instead of ``camera``.
        options: a complete :class:`~vstyle.options.Options` instead of the arguments
            (its ``live`` part says the source, outputs and stop).

    Raises:
        VstyleError: a model, camera or source that cannot be used (one-line message).
    """
    from .session import LiveRun

    if options is None:
        options = Options(
            size=SizeOptions(max_side=max_side, size=size),
            runtime=RuntimeOptions(device=device, precision=precision),
            fast=FastOptions(model=Path(model), engine=engine, stabilize=stabilize),
            live=LiveOptions(
                models=(Path(model),),
                camera=camera,
                camera_size=camera_size,
                camera_fps=camera_fps,
                source=None if source is None else str(source),
                loop=loop,
                window=False,
                frames=frames,
                duration=duration,
            ),
        )
    with LiveRun(options) as run:
        yield from run.shown()


class _CallableModule(types.ModuleType):
    """Lets ``vstyle.live(...)`` call :func:`live` while ``vstyle.live`` is this package."""

    def __call__(self, *args: object, **kwargs: object) -> Iterator[Frame]:
        return live(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

__all__ = ["live"]
