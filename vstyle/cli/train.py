"""``vstyle train``: a feed-forward network for one style."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import OptionError
from ..options import (
    ARBITRARY_OPS,
    DEVICES,
    FLOWS,
    MAX_SEED,
    TRAIN_CONTENT_LAYERS,
    TRAIN_PRECISIONS,
    TrainOptions,
)
from .app import Opt, P, _one_of, app

T = TrainOptions


@app.command("train")
def train_command(
    style: Annotated[P | None, Opt("--style", "-s", help="The style picture.")] = None,
    data: Annotated[
        P, Opt(help="Folder of pictures and/or videos (searched recursively).")
    ] = Path(),
    out: Annotated[P, Opt("--out", "-o", help="The .vsm model to write.")] = Path(),
    size: Annotated[int, Opt(help="Random crop side in pixels.")] = T.size,
    batch: Annotated[int, Opt(help="Crops per step.")] = T.batch,
    steps: Annotated[int, Opt(help="Adam steps in all (a resumed run counts on).")] = T.steps,
    lr: Annotated[float, Opt(help="Adam learning rate.")] = T.lr,
    width: Annotated[float, Opt(help="Net width multiplier, e.g. 0.5.")] = T.width,
    seed: Annotated[int, Opt(help=f"0 to {MAX_SEED}.")] = T.seed,
    content_layer: Annotated[str, Opt(help=_one_of(TRAIN_CONTENT_LAYERS))] = T.content_layer,
    content_weight: Annotated[float, Opt()] = T.content_weight,
    style_weight: Annotated[float, Opt()] = T.style_weight,
    tv_weight: Annotated[float, Opt()] = T.tv_weight,
    noise_weight: Annotated[float, Opt(help="Noise stability (output change).")] = T.noise_weight,
    temporal_weight: Annotated[float, Opt(help="Video pairs only.")] = T.temporal_weight,
    flow: Annotated[str, Opt(help=_one_of(FLOWS))] = T.flow,
    checkpoint_every: Annotated[int, Opt(help="Steps between checkpoints.")] = T.checkpoint_every,
    resume: Annotated[bool, Opt(help="Continue from the latest checkpoint.")] = T.resume,
    overwrite: Annotated[bool, Opt(help="Replace OUT and its checkpoints.")] = T.overwrite,
    device: Annotated[str, Opt(help=_one_of(DEVICES))] = T.device,
    precision: Annotated[
        str, Opt(help=_one_of(TRAIN_PRECISIONS) + " auto: mixed on CUDA.")
    ] = T.precision,
    vgg_weights: Annotated[P | None, Opt(help="VGG-19 weights file.")] = T.vgg_weights,
    arbitrary: Annotated[
        bool, Opt(help="Train an inverse net for any style (swap/AdaIN) instead.")
    ] = T.arbitrary,
    styles: Annotated[P | None, Opt(help="--arbitrary: folder of paintings.")] = T.styles,
    op: Annotated[str, Opt(help="--arbitrary: " + _one_of(ARBITRARY_OPS))] = T.op,
    quiet: Annotated[bool, Opt("--quiet", "-q")] = False,
) -> None:
    """Train a feed-forward net for STYLE on the pictures and videos in DATA (with
    --arbitrary: an inverse net for any style, on DATA and the paintings in STYLES)."""
    for flag, value in (("--data", data), ("--out", out)):
        if value == Path():
            raise OptionError(f"{flag} is required")
    if style is None and not arbitrary:
        raise OptionError("--style is required (or --arbitrary --styles DIR for any style)")
    options = TrainOptions(
        style=style or Path(), data=data, out=out, size=size, batch=batch, steps=steps, lr=lr,
        width=width, seed=seed, content_layer=content_layer, content_weight=content_weight,
        style_weight=style_weight, tv_weight=tv_weight, noise_weight=noise_weight,
        temporal_weight=temporal_weight, flow=flow, checkpoint_every=checkpoint_every,
        resume=resume, overwrite=overwrite, device=device, precision=precision,
        vgg_weights=vgg_weights, arbitrary=arbitrary, styles=styles, op=op,
    )  # fmt: skip
    from ..train import train
    from ..train.progress import train_progress

    with train_progress(steps, quiet) as on_step:
        result = train(options, on_step)
    if not quiet:
        typer.echo(
            f"wrote {out} (steps {result.first_step + 1}-{result.steps}, "
            f"{result.seconds:.1f}s; checkpoints in {result.checkpoints})",
            err=True,
        )
