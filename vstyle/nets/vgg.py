"""VGG-19 convolutional features in plain torch, with named taps.

The module's ``features`` attribute has torchvision's layout, so a torchvision
checkpoint (or a features-only state dict ``features.N.weight``) loads strictly.
Input is RGB in [0, 1]; the ImageNet normalization happens inside. The layer
widths are read from the state dict, so a narrow copy with the same layers (the
tests' tiny seeded VGG) loads as well as the real one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import torch
from torch import nn

# torchvision's "E" configuration: channels, or "M" for a 2x2 max-pool.
_CFG = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M",
        512, 512, 512, 512, "M", 512, 512, 512, 512, "M")  # fmt: skip
_MEAN = (0.485, 0.456, 0.406)
_STD = (0.229, 0.224, 0.225)


def _layer_names() -> list[str]:
    """Names of the modules of ``features`` in order: conv1_1, relu1_1, ..., pool5."""
    names, block, conv = [], 1, 1
    for v in _CFG:
        if v == "M":
            names.append(f"pool{block}")
            block, conv = block + 1, 1
        else:
            names += [f"conv{block}_{conv}", f"relu{block}_{conv}"]
            conv += 1
    return names


LAYER_NAMES: tuple[str, ...] = tuple(_layer_names())
LAYER_INDEX: dict[str, int] = {name: i for i, name in enumerate(LAYER_NAMES)}
CONV_INDEX: tuple[int, ...] = tuple(i for i, n in enumerate(LAYER_NAMES) if n.startswith("conv"))
WIDTHS: tuple[int, ...] = tuple(int(v) for v in _CFG if v != "M")  # VGG-19's 16 conv widths


def make_features(widths: Sequence[int] | None = None) -> nn.Sequential:
    """The 37 modules of VGG-19 ``features`` with torchvision's indices.

    Args:
        widths: output channels of the 16 convs; VGG-19's (64 ... 512) when None.
    """
    widths = iter(WIDTHS if widths is None else widths)
    layers: list[nn.Module] = []
    channels = 3
    for v in _CFG:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            width = next(widths)
            layers += [nn.Conv2d(channels, width, 3, padding=1), nn.ReLU(inplace=False)]
            channels = width
    return nn.Sequential(*layers)


def conv_widths(state: Mapping[str, torch.Tensor]) -> tuple[int, ...]:
    """The 16 conv widths of a ``features.N.weight`` (or ``N.weight``) state dict.

    VGG-19's width stands in where a tensor is missing or not 4-d, so that the strict
    load that follows names the tensor that does not fit.
    """
    widths = []
    for i, default in zip(CONV_INDEX, WIDTHS, strict=True):
        weight = state.get(f"features.{i}.weight", state.get(f"{i}.weight"))
        ok = weight is not None and weight.dim() == 4 and weight.shape[0] > 0
        widths.append(int(weight.shape[0]) if ok else default)
    return tuple(widths)


class VGGFeatures(nn.Module):
    """Frozen VGG-19 truncated at the deepest requested tap.

    Args:
        state: a state dict with ``features.N.weight/bias`` keys (see ``nets.weights``).
        taps: layer names to return, e.g. ``("relu1_1", "relu4_2")``.

    Forward:
        image: (B, 3, H, W) RGB in [0, 1] -> dict name -> (B, C, H', W').
    """

    def __init__(self, state: dict[str, torch.Tensor], taps: Iterable[str]) -> None:
        super().__init__()
        self.taps = tuple(dict.fromkeys(taps))
        unknown = [t for t in self.taps if t not in LAYER_INDEX]
        if unknown:
            from ..errors import OptionError, did_you_mean

            raise OptionError(
                f"unknown VGG layer '{unknown[0]}'{did_you_mean(unknown[0], LAYER_NAMES)}"
            )
        if not self.taps:
            raise ValueError("VGGFeatures needs at least one tap")
        self.features = make_features(conv_widths(state))
        self.features.load_state_dict(
            {k.removeprefix("features."): v for k, v in state.items()}, strict=True
        )
        last = max(LAYER_INDEX[t] for t in self.taps)
        self.features = self.features[: last + 1]
        self._wanted = {LAYER_INDEX[t]: t for t in self.taps}
        # A ReLU may overwrite its conv's output (one activation fewer to allocate and
        # write per layer, ~10% of a forward+backward on the CPU): a conv's backward
        # needs only its input, and ReLU's backward reads its own output. Not when
        # that conv output is itself a tap, which must keep its negative values.
        for i, layer in enumerate(self.features):
            if isinstance(layer, nn.ReLU):
                layer.inplace = i - 1 not in self._wanted
        self.register_buffer("mean", torch.tensor(_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(_STD).view(1, 3, 1, 1), persistent=False)
        self.requires_grad_(False)
        self.eval()

    def forward(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        x = (image - self.mean) / self.std
        out: dict[str, torch.Tensor] = {}
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in self._wanted:
                out[self._wanted[i]] = x
        return out
