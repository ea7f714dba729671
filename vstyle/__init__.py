"""vstyle: paint pictures and videos in the style of an image."""

from __future__ import annotations

__version__ = "0.1.0"

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .options import Options

if TYPE_CHECKING:
    from .pipeline import Hooks
    from .records import Report


def __getattr__(name: str) -> object:
    """``vstyle.live`` (callable: ``vstyle.live("m.vsm")``), imported when first used."""
    if name == "live":
        import importlib

        return importlib.import_module(".live", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def run(options: Options, hooks: Hooks | None = None) -> Report:
    """The whole job the CLI runs: ``options.input`` stylized into ``options.output``, on
    this machine (:func:`vstyle.pipeline.run`) or, with ``options.cluster``, in chunks
    across a Ray cluster (:func:`vstyle.cluster.run_cluster`).

    Raises:
        VstyleError: as :func:`vstyle.pipeline.run` (and ``ClusterError`` for a cluster).
    """
    from .pipeline import Hooks
    from .pipeline import run as run_here

    if options.cluster.address is not None:
        from .cluster import run_cluster

        return run_cluster(options, hooks or Hooks())
    return run_here(options, hooks)


def stylize_image(content: np.ndarray | str | Path, options: Options) -> np.ndarray:
    """Stylize one picture with the optimization engine.

    Args:
        content: (H, W, 3) uint8 RGB, or a picture file.
        options: styles, losses, optimizer, device (``options.input/output`` unused);
            with ``options.fast.model`` the optimizer starts from the model's output.

    Returns:
        (H', W', 3) uint8 RGB at the processing size given by ``options.size``.
    """
    from .device import Runtime
    from .frames import to_array
    from .io.image import processing_size, read_image, resize
    from .optimize.stylizer import FrameOptimizer

    rgb = content if isinstance(content, np.ndarray) else read_image(content)
    rgb = resize(rgb, *processing_size(rgb.shape[1], rgb.shape[0], options.size))
    runtime = Runtime.from_options(options.runtime.device, options.runtime.precision)
    start = None
    if options.fast.model is not None:
        from .optimize.hybrid import network_start

        start = network_start(options, runtime, (rgb.shape[1], rgb.shape[0]))
    image, _ = FrameOptimizer(options, runtime, start=start).stylize(rgb)
    return to_array(image)
