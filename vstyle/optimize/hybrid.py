"""The hybrid method: the optimizer starts from a feed-forward net's output.

``vstyle IN OUT --method optimize --model M.vsm --style S``: the net (run by the
fast method's engines, :func:`vstyle.fast.model_engine`, at the processing size)
paints each frame in milliseconds, and the optimizer starts there instead of from
the content: at every ``--scales`` scale where the content would be the base, and,
for video, in the pixels where the warped previous result is unreliable
(:meth:`.video.VideoOptimizer.prev_warped`). The net's output is already close to a
stylization, so short budgets reach the plain optimizer's loss in fewer iterations
(chelsea, 256 px, ``benchmarks/hybrid.py``: 3.3x fewer at 10, 2.5x at 20, 1.4x at 50);
from about 100 on the plain run is as low or lower (a different local minimum). The
style still comes from ``--style``: the optimizer matches the full picture's features,
which a model file does not carry.
"""

from __future__ import annotations

import numpy as np
import torch

from ..device import Runtime
from ..engines import Engine
from ..errors import OptionError
from ..frames import to_tensor
from ..models import THUMBNAIL_SIDE
from ..nets.modelfile import read_info
from ..options import Options


class NetworkStart:
    """A start image for :class:`~.stylizer.FrameOptimizer`: the net's painting of the content.

    Args:
        engine: the net, ready to run on frames of the processing size.
        device: where content pictures are sent.
    """

    def __init__(self, engine: Engine, device: torch.device) -> None:
        self.engine, self.device = engine, device

    def __call__(self, rgb: np.ndarray) -> torch.Tensor:
        """(H, W, 3) uint8 content -> (1, 3, H, W) float32 in [0, 1] on the device."""
        return self.engine(to_tensor(rgb, self.device)).float()


def check_style(options: Options) -> None:
    """The optimizer needs the style picture itself; a model file holds a thumbnail at most.

    Raises:
        OptionError: no ``--style``; the message names the model's style picture if known.
    """
    if options.style.paths:
        return
    model = options.fast.model
    info = read_info(model or "")
    name = info.style_name or "S.jpg"
    if info.style_thumbnail:
        why = (
            f"'{model}' carries only a {THUMBNAIL_SIDE} px thumbnail of its style "
            f"'{name}', and the optimizer needs the full style picture"
        )
    else:
        why = "the optimizer matches a style picture, which the model does not carry"
    raise OptionError(f"--method optimize with --model needs --style: {why}; add --style {name}")


def network_start(options: Options, runtime: Runtime, size: tuple[int, int]) -> NetworkStart:
    """Build the start from ``--model`` for frames of ``size`` (width, height).

    The net runs in the precision the fast method would give it (:func:`prepare_fast`),
    not the optimizer's: a start image needs no more.

    Raises:
        OptionError: no ``--style`` (see :func:`check_style`).
        ModelError, DeviceError: the model or its engine cannot be used.
    """
    from ..fast import model_engine, prepare_fast

    check_style(options)
    net_runtime = prepare_fast(options, runtime)
    engine, _ = model_engine(options, net_runtime, size)
    return NetworkStart(engine, runtime.device)
