"""The network layouts a model file can name, and the check that weights fit one.

``vstyle`` is vstyle's own net (:mod:`vstyle.nets.transformer`, any width);
``lengstrom`` is the imported TensorFlow layout (:mod:`vstyle.nets.lengstrom`,
width 1 only); ``inverse`` is an encoder and decoder for the arbitrary-style methods
(:mod:`vstyle.nets.inverse`, width in (0, 1]). Each maps (B, 3, H, W) RGB in [0, 1]
to the same (the inverse net: its reconstruction).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import torch
from torch import nn

from ..errors import ModelError, did_you_mean
from .inverse import InverseNet
from .lengstrom import LengstromNet
from .transformer import TransformerNet

LAYOUTS: dict[str, Callable[[float], nn.Module]] = {
    "vstyle": TransformerNet,
    "lengstrom": LengstromNet,
    "inverse": InverseNet,
}
# What each layout is: a stylizer for one style, or an inverse network for any style.
KINDS = {"vstyle": "stylizer", "lengstrom": "stylizer", "inverse": "inverse"}


def build_net(layout: str, width: float = 1.0) -> nn.Module:
    """An untrained net of ``layout`` at ``width``.

    Raises:
        ModelError: unknown layout, or a width the layout does not have.
    """
    if layout not in LAYOUTS:
        raise ModelError(
            f"layout '{layout}' is not one of {', '.join(LAYOUTS)}{did_you_mean(layout, LAYOUTS)}"
        )
    return LAYOUTS[layout](width)


def check_state(state: Mapping[str, torch.Tensor], layout: str, width: float, source: str) -> None:
    """Raise :class:`ModelError` unless ``state`` has exactly the tensors of ``layout``."""
    expected = {k: v.shape for k, v in build_net(layout, width).state_dict().items()}
    missing = [k for k in expected if k not in state]
    extra = [k for k in state if k not in expected]
    if missing or extra:
        what = f"missing {missing[0]}" if missing else f"unexpected {extra[0]}"
        raise ModelError(
            f"model '{source}' does not hold a '{layout}' net at width {width:g}: "
            f"{len(missing)} tensor(s) missing, {len(extra)} unexpected (first: {what})"
        )
    for key, shape in expected.items():
        if state[key].shape != shape:
            raise ModelError(
                f"model '{source}': {key} has shape {tuple(state[key].shape)}, layout "
                f"'{layout}' at width {width:g} needs {tuple(shape)}"
            )
