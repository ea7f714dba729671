"""Any style in one pass: ``vstyle IN OUT --style any.jpg --model inv.vsm``.

The inverse net's encoder, the op (swap or AdaIN) with the style's patches or
statistics baked in as constants, and its decoder make one picture -> picture
module (:class:`StyledNet`), so every engine runs it as it runs a fast net, and
the fast stylizer's batching and ``--stabilize`` apply unchanged. The style is
encoded once per run, when the module is built.
"""

from __future__ import annotations

import torch
from torch import nn

from ..device import Runtime
from ..engines import build
from ..errors import ModelError, OptionError
from ..fast import FastStylizer
from ..io.image import read_image
from ..nets.inverse import LAYER, InverseNet, pad_to_multiple
from ..nets.modelfile import ModelInfo, load_model
from ..optimize.stylizer import with_chroma_of
from ..options import Options
from ..records import OnRecord
from .target import StyleTarget, style_target


class StyledNet(nn.Module):
    """decode(op(encode(x))): (B, 3, H, W) RGB in [0, 1] -> the stylized picture, same shape.

    Args:
        net: a trained inverse net.
        target: the style's patches or statistics (their tensors become buffers).
        alpha: 1 full style, 0 the content's own activations.
        preserve_color: keep the input's chroma (YCbCr), take only the luminance.
    """

    def __init__(
        self, net: InverseNet, target: StyleTarget, alpha: float = 1.0, preserve_color: bool = False
    ) -> None:
        super().__init__()
        self.net, self.op, self.weights = net, target.op, target.weights
        self.alpha, self.preserve_color = alpha, preserve_color
        for i, p in enumerate(target.patches):
            self.register_buffer(f"patches{i}", p.float(), persistent=False)
        for name in ("mean", "std"):
            value = getattr(target, name)
            self.register_buffer(name, None if value is None else value.float(), persistent=False)

    def target(self) -> StyleTarget:
        """The style as the op reads it, from this module's buffers (on its device)."""
        if self.op == "adain":
            return StyleTarget(self.op, (), self.weights, self.mean, self.std)
        patches = tuple(getattr(self, f"patches{i}") for i in range(len(self.weights)))
        return StyleTarget(self.op, patches, self.weights)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        h, w = image.shape[-2:]
        features = self.net.encode(pad_to_multiple(image))
        out = self.net.decode(self.target().apply(features, self.alpha).to(features.dtype))
        out = out[..., :h, :w].float().clamp(0, 1)
        return with_chroma_of(out, image.float()) if self.preserve_color else out


def check_model(options: Options, info: ModelInfo, path: str) -> str:
    """The op an inverse-net run uses: the model's, or the swap with ``--method swap``.

    Raises:
        ModelError: the model is not an inverse net.
        OptionError: no ``--style`` picture, or a ``--swap-layer`` other than the net's.
    """
    if info.kind != "inverse":
        raise ModelError(
            f"model '{path}' is a '{info.kind}' net for one style; --method {options.method} "
            "with --style needs an inverse net: train one with 'vstyle train --arbitrary', "
            "or drop --method swap"
        )
    if not options.style.paths:
        raise OptionError(f"model '{path}' is an inverse net for any style: add --style S.jpg")
    if options.arbitrary.layer != LAYER:  # the decoder inverts this layer and no other
        raise OptionError(
            f"--swap-layer {options.arbitrary.layer} with model '{path}': an inverse net "
            f"swaps at {LAYER}; drop --swap-layer, or drop --model to swap by optimization"
        )
    return "swap" if options.method == "swap" else (info.op or "adain")


def build_styled(options: Options, runtime: Runtime) -> StyledNet:
    """Load the ``--model``, encode the ``--style`` pictures once, bake them in."""
    path = str(options.fast.model)
    net, info = load_model(path, runtime.device)
    op = check_model(options, info, path)
    styles = [read_image(p, "--style") for p in options.style.paths]
    a, s = options.arbitrary, options.style
    target = style_target(net.encode, runtime, styles, op, s.blend and s.weights, a.style_size)
    return StyledNet(net, target, a.alpha, s.preserve_color).eval()


def arbitrary_stylizer(
    options: Options, runtime: Runtime, size: tuple[int, int], on_record: OnRecord | None = None
) -> FastStylizer:
    """The fast stylizer (batches, ``--stabilize``, records) on a :class:`StyledNet` engine."""
    net = build_styled(options, runtime)
    f = options.fast
    engine = build(net, runtime, f.engine, size, runtime.precision, f.batch)
    return FastStylizer(options, runtime, size, on_record, engine=engine)
