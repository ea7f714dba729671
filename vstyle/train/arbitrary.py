"""Training the inverse network (``vstyle train --arbitrary``), Chen & Schmidt 2016, eq. 6:

    min_D  Σ_z ||Phi(D(z)) - z||² + λ TV(D(z))

over activations z at relu3_1 of photos (``--data``), of paintings (``--styles``) and
of photos styled by a painting through ``--op`` (swap or AdaIN), so the decoder sees
both the plain and the styled activations it will invert. The encoder is VGG-19 itself
and stays frozen; only the decoder learns. The loop, checkpoints, resume, progress and
mixed precision are :mod:`vstyle.train.loop`'s: this trainer has the same surface.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch

from ..arbitrary.ops import adain, channel_stats, style_patches, style_swap
from ..device import Runtime
from ..io.threads import prefetch
from ..losses.gatys import scaled_distance, tv_loss
from ..nets.inverse import InverseNet
from ..nets.weights import find_weights, load_state
from ..options import TrainOptions
from .checkpoint import TrainState
from .data import TrainingData
from .inputs import AHEAD, step_generator
from .loop import Trainer


@dataclass(frozen=True)
class PairInputs:
    """One step's crops: (B, 3, S, S) photos and as many paintings, in [0, 1], on the CPU."""

    step: int
    images: torch.Tensor
    paintings: torch.Tensor


def styled(content: torch.Tensor, style: torch.Tensor, op: str) -> torch.Tensor:
    """Each content activation map (B, C, h, w) styled by the style map at its index."""
    if op == "adain":
        return adain(content, *channel_stats(style))
    return torch.cat(
        [
            style_swap(content[i : i + 1], style_patches([style[i : i + 1]]))
            for i in range(len(content))
        ]
    )


class InverseTrainer(Trainer):
    """The decoder, its optimizer and eq. 6, ready to step (:class:`~.loop.Trainer`'s surface)."""

    def __init__(self, options: TrainOptions, runtime: Runtime) -> None:  # noqa: D107
        self.options, self.runtime = options, runtime
        self.data = TrainingData(options.data, options.size, options.batch)
        self.paintings = TrainingData(options.styles or options.data, options.size, options.batch)
        weights = find_weights(options.vgg_weights)
        with torch.random.fork_rng(devices=[]):  # seed the initial weights, not the caller
            torch.manual_seed(options.seed)
            net = InverseNet(options.width)
        net.load_encoder(load_state(weights), str(weights))
        net = runtime.prepare(net).train()
        self.state = TrainState(
            net=net,
            optimizer=torch.optim.Adam(net.decoder.parameters(), lr=options.lr),
            scaler=torch.amp.GradScaler(runtime.device.type, enabled=runtime.precision == "fp16"),
        )
        self.previews = runtime.tensor(self._preview_inputs())

    def inputs(self, first: int) -> Iterator[PairInputs]:  # type: ignore[override]
        """Photos and paintings of steps ``first..--steps``, prepared ahead on a thread."""
        o = self.options

        def make(step: int) -> PairInputs:
            g = step_generator(o.seed, step)
            return PairInputs(step, self.data.sample(g).images, self.paintings.sample(g).images)

        made = (make(step) for step in range(first, o.steps + 1))
        return prefetch(made, maxsize=AHEAD, name="train-data")

    def terms(self, inputs: PairInputs) -> dict[str, torch.Tensor]:  # type: ignore[override]
        """Eq. 6 on the plain activations of both crops and the styled ones of the photos."""
        o, net, rt = self.options, self.state.net, self.runtime
        with torch.no_grad(), rt.autocast():
            photos = net.encode(rt.tensor(inputs.images)).float()
            paintings = net.encode(rt.tensor(inputs.paintings)).float()
        targets = torch.cat([photos, paintings, styled(photos, paintings, o.op)])
        with rt.autocast():
            pictures = net.decode(targets)
            features = net.encode(pictures)
        return {
            "content": o.content_weight * scaled_distance(features, targets),
            "tv": o.tv_weight * tv_loss(pictures.float()),
        }
