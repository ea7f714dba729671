"""``vstyle IN OUT``: the main job, every option parsed into one Options."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ..errors import OptionError, OutputError
from ..options import (
    CONTAINER_CODECS,
    DEFAULT_CODEC,
    DEFAULT_PASS_BLEND,
    DEFAULT_PASS_ITERS,
    DEFAULT_PIX_FMT,
    DEFAULT_RATE,
    DEVICES,
    ENGINES,
    FLOWS,
    INITS,
    INPUT_FORMATS,
    LOSS_KINDS,
    MAX_BATCH,
    MAX_ITERS,
    MAX_SEED,
    METHODS,
    OPTIMIZERS,
    OUTPUT_SIZES,
    PLAN_WORKERS,
    PRECISIONS,
    STDOUT_FORMATS,
    STYLE_SIZE,
    SWAP_LAYERS,
    ArbitraryOptions,
    ClusterOptions,
    FastOptions,
    IOOptions,
    LossOptions,
    OptimOptions,
    Options,
    PhotoOptions,
    RuntimeOptions,
    SizeOptions,
    StyleOptions,
    TemporalOptions,
    parse_memory,
)
from .app import Opt, P, _floats, _ints, _one_of, _rate, _size, app


@app.command("run", help="Stylize IN (picture or video) into OUT.")
def run_command(
    input: Annotated[str, typer.Argument(help="Input picture or video; '-' for stdin.")],
    output: Annotated[str, typer.Argument(help="Output file; '-' for stdout.")],
    style: Annotated[list[P], Opt("--style", "-s", help="Style picture (repeat to blend).")] = [],  # noqa: B006
    style_blend: Annotated[str | None, Opt(help="Blend weights, e.g. 0.7,0.3.")] = None,
    style_scale: Annotated[
        float, Opt(help="Style size relative to the content.")
    ] = StyleOptions.scale,
    preserve_color: Annotated[
        bool, Opt(help="Keep the content's colours.")
    ] = StyleOptions.preserve_color,
    content_weight: Annotated[float, Opt()] = LossOptions.content_weight,
    style_weight: Annotated[float, Opt()] = LossOptions.style_weight,
    tv_weight: Annotated[float, Opt()] = LossOptions.tv_weight,
    content_layers: Annotated[str, Opt()] = ",".join(LossOptions.content_layers),
    style_layers: Annotated[str, Opt()] = ",".join(LossOptions.style_layers),
    style_layer_weights: Annotated[str | None, Opt()] = None,
    loss: Annotated[str, Opt(help=_one_of(LOSS_KINDS))] = LossOptions.kind,
    method: Annotated[
        str,
        Opt(
            help=_one_of(METHODS) + " auto: fast with --model, else optimize; "
            "optimize with --model starts from the model's output; copy: frames untouched; "
            "swap: Chen & Schmidt's style swap (any style)."
        ),
    ] = Options.method,
    optimizer: Annotated[str, Opt(help=_one_of(OPTIMIZERS))] = OptimOptions.optimizer,
    iters: Annotated[
        int, Opt(help=f"Iterations per frame (at most {MAX_ITERS}).")
    ] = OptimOptions.iters,
    lr: Annotated[
        float | None, Opt(help="Learning rate (per-optimizer default).")
    ] = OptimOptions.lr,
    init: Annotated[
        str | None,
        Opt(help=_one_of(INITS) + " Default: prev-warped for video, content otherwise."),
    ] = OptimOptions.init,
    seed: Annotated[int, Opt(help=f"0 to {MAX_SEED}.")] = OptimOptions.seed,
    scales: Annotated[int, Opt(help="Coarse-to-fine scales.")] = OptimOptions.scales,
    max_side: Annotated[
        int | None, Opt(help="Stylize with the long side at most N.")
    ] = SizeOptions.max_side,
    size: Annotated[str | None, Opt(help="Stylize at WIDTHxHEIGHT.")] = None,
    output_size: Annotated[str, Opt(help=_one_of(OUTPUT_SIZES))] = SizeOptions.output_size,
    device: Annotated[str, Opt(help=_one_of(DEVICES))] = RuntimeOptions.device,
    precision: Annotated[str, Opt(help=_one_of(PRECISIONS))] = RuntimeOptions.precision,
    vgg_weights: Annotated[P | None, Opt(help="VGG-19 weights file.")] = RuntimeOptions.vgg_weights,
    input_format: Annotated[
        str | None, Opt(help="Input container: " + _one_of(INPUT_FORMATS))
    ] = IOOptions.input_format,
    input_size: Annotated[str | None, Opt(help="rawvideo: WIDTHxHEIGHT.")] = None,
    input_rate: Annotated[
        str | None, Opt(help=f"rawvideo/frame pattern rate ({DEFAULT_RATE}).")
    ] = None,
    input_pix_fmt: Annotated[
        str | None, Opt(help=f"rawvideo pixel format ({DEFAULT_PIX_FMT}).")
    ] = IOOptions.input_pix_fmt,
    output_format: Annotated[
        str | None,
        Opt(help=f"Container for stdout: {_one_of(STDOUT_FORMATS)} Default: {STDOUT_FORMATS[0]}."),
    ] = IOOptions.output_format,
    codec: Annotated[
        str | None, Opt(help=f"Encoder ({DEFAULT_CODEC}; {CONTAINER_CODECS['webm']} for webm).")
    ] = IOOptions.codec,
    crf: Annotated[int | None, Opt(help="Constant quality (x264/x265/vp9).")] = IOOptions.crf,
    preset: Annotated[str | None, Opt(help="Encoder preset (x264/x265/nvenc).")] = IOOptions.preset,
    pix_fmt: Annotated[
        str | None, Opt(help=f"Output pixel format ({DEFAULT_PIX_FMT}).")
    ] = IOOptions.pix_fmt,
    bitrate: Annotated[
        str | None, Opt(help="Target bitrate, e.g. 4M (instead of --crf).")
    ] = IOOptions.bitrate,
    audio: Annotated[
        bool, Opt("--audio/--no-audio", help="Carry the audio over.")
    ] = IOOptions.audio,
    start: Annotated[float | None, Opt(help="Start at SECONDS.")] = IOOptions.start,
    duration: Annotated[float | None, Opt(help="Process SECONDS.")] = IOOptions.duration,
    frames: Annotated[int | None, Opt(help="Process at most N frames.")] = IOOptions.frames,
    temporal: Annotated[bool, Opt("--temporal/--no-temporal")] = TemporalOptions.enabled,
    flow: Annotated[str, Opt(help=_one_of(FLOWS))] = TemporalOptions.flow,
    flow_dir: Annotated[
        P | None, Opt(help="Read flows made by 'vstyle flow' instead of computing them.")
    ] = TemporalOptions.flow_dir,
    temporal_weight: Annotated[float, Opt()] = TemporalOptions.weight,
    long_term: Annotated[str | None, Opt(help="Long-term offsets, e.g. 1,10,20,40.")] = None,
    passes: Annotated[int, Opt()] = TemporalOptions.passes,
    pass_blend: Annotated[
        float | None, Opt(help=f"Multi-pass blend (delta) [default: {DEFAULT_PASS_BLEND}].")
    ] = TemporalOptions.blend,
    first_iters: Annotated[int | None, Opt()] = TemporalOptions.first_iters,
    pass_iters: Annotated[
        int | None,
        Opt(
            help=f"Iterations a frame in passes 2..N, no early stop [default: {DEFAULT_PASS_ITERS}]"
        ),
    ] = TemporalOptions.pass_iters,
    work_dir: Annotated[
        P | None,
        Opt(help="Keep finished frames here to resume (with --cluster: the shared chunk folder)."),
    ] = None,
    restart: Annotated[
        bool, Opt(help="Discard the run kept in --work-dir and start afresh.")
    ] = TemporalOptions.restart,
    overwrite: Annotated[bool, Opt(help="Replace OUT if it exists.")] = Options.overwrite,
    quiet: Annotated[bool, Opt("--quiet", "-q")] = False,
    report: Annotated[P | None, Opt(help="Write losses and timings as JSON.")] = None,
    model: Annotated[
        P | None,
        Opt(
            help="A .vsm feed-forward model: the fast method, no --style needed; with "
            "--method optimize, each frame's start (--style needed)."
        ),
    ] = FastOptions.model,
    engine: Annotated[str, Opt(help="Runs --model: " + _one_of(ENGINES))] = FastOptions.engine,
    batch: Annotated[
        int, Opt(help=f"Frames per network call with --model (at most {MAX_BATCH}).")
    ] = FastOptions.batch,
    stabilize: Annotated[
        bool, Opt(help="With --model: blend with the previous output along the flow.")
    ] = FastOptions.stabilize,
    stabilize_strength: Annotated[
        float, Opt(help="0 to 1: how much of the warped previous output to keep.")
    ] = FastOptions.stabilize_strength,
    style_size: Annotated[
        int, Opt(help=f"Swap/AdaIN: cap each style's long side (px, default {STYLE_SIZE}).")
    ] = ArbitraryOptions.style_size,
    alpha: Annotated[
        float, Opt(help="Swap/AdaIN: 1 full style, 0 the content's own features.")
    ] = ArbitraryOptions.alpha,
    swap_layer: Annotated[
        str,
        Opt(
            help="--method swap by optimization: the VGG layer swapped, "
            + _one_of(SWAP_LAYERS)
            + " Inverse nets are fixed at relu3_1."
        ),
    ] = ArbitraryOptions.layer,
    cluster: Annotated[
        str | None,
        Opt(help="Render in chunks on Ray workers: auto, local or ray://HOST:PORT."),
    ] = ClusterOptions.address,
    chunk_frames: Annotated[
        int, Opt(help="--cluster: split scenes longer than N frames.")
    ] = ClusterOptions.chunk_frames,
    warmup: Annotated[
        int, Opt(help="--cluster: frames a chunk inside a scene renders early, faded in.")
    ] = ClusterOptions.warmup,
    cuts: Annotated[
        P | None, Opt(help="--cluster: scene-cut frame numbers (instead of detecting them).")
    ] = ClusterOptions.cuts,
    cut_threshold: Annotated[
        float, Opt(help="--cluster: mean HSV change (0-255) that counts as a cut.")
    ] = ClusterOptions.threshold,
    min_scene: Annotated[
        int, Opt(help="--cluster: frames at least between detected cuts.")
    ] = ClusterOptions.min_scene,
    retries: Annotated[
        int, Opt(help="--cluster: reruns of a chunk whose worker died.")
    ] = ClusterOptions.retries,
    plan: Annotated[
        bool, Opt("--plan", help="--cluster: print the chunks and time estimates; render nothing.")
    ] = ClusterOptions.plan,
    photo: Annotated[
        bool, Opt(help="Photographic transfer: add the Matting-Laplacian photorealism term.")
    ] = PhotoOptions.enabled,
    photo_weight: Annotated[float, Opt(help="Weight of --photo's term.")] = PhotoOptions.weight,
    content_mask: Annotated[
        P | None, Opt(help="Colour-labelled regions of the content (one colour a region).")
    ] = None,
    style_mask: Annotated[
        P | None, Opt(help="Colour-labelled regions of the style, matched by colour.")
    ] = None,
    region_style: Annotated[
        list[str], Opt(help="COLOUR=picture: paint that content region from its own picture.")
    ] = [],  # noqa: B006
    tile: Annotated[
        int | None, Opt(help="Refine pictures larger than SIZE px in tiles of SIZE px.")
    ] = PhotoOptions.tile,
    tile_overlap: Annotated[
        int, Opt(help="Pixels shared (and feathered) by neighbouring tiles.")
    ] = PhotoOptions.tile_overlap,
    max_memory: Annotated[
        str | None,
        Opt(
            help="Memory the optimizer or --model may use, e.g. 8GiB or 512MiB; larger "
            "pictures are tiled to fit (default: a share of the device's free memory)."
        ),
    ] = None,
) -> None:
    cluster_opts = ClusterOptions(
        address=cluster,
        chunk_frames=chunk_frames,
        warmup=warmup,
        cuts=cuts,
        threshold=cut_threshold,
        min_scene=min_scene,
        plan=plan,
        retries=retries,
        work_dir=work_dir if cluster else None,
    )
    work_dir = None if cluster else work_dir  # the chunk folder, not the optimizer's
    temporal_opts = TemporalOptions(
        enabled=temporal,
        flow=flow,
        flow_dir=flow_dir,
        weight=temporal_weight,
        long_term=_ints("--long-term", long_term),
        passes=passes,
        blend=pass_blend,
        first_iters=first_iters,
        pass_iters=pass_iters,
        work_dir=work_dir,
        restart=restart,
    )
    options = Options(
        input=input,
        output=output,
        method=method,
        style=StyleOptions(
            paths=tuple(style),
            blend=_floats("--style-blend", style_blend),
            scale=style_scale,
            preserve_color=preserve_color,
        ),
        loss=LossOptions(
            content_weight=content_weight,
            style_weight=style_weight,
            tv_weight=tv_weight,
            content_layers=tuple(content_layers.split(",")),
            style_layers=tuple(style_layers.split(",")),
            style_layer_weights=_floats("--style-layer-weights", style_layer_weights),
            kind=loss,
        ),
        optim=OptimOptions(
            optimizer=optimizer,
            iters=iters,
            lr=lr,
            init=init,  # None: the core decides (options.resolve_init)
            seed=seed,
            scales=scales,
        ),
        size=SizeOptions(max_side=max_side, size=_size("--size", size), output_size=output_size),
        runtime=RuntimeOptions(device=device, precision=precision, vgg_weights=vgg_weights),
        io=IOOptions(
            input_format=input_format,
            input_size=_size("--input-size", input_size),
            input_rate=_rate(input_rate),
            input_pix_fmt=input_pix_fmt,
            output_format=output_format,
            codec=codec,
            crf=crf,
            preset=preset,
            pix_fmt=pix_fmt,
            bitrate=bitrate,
            audio=audio,
            start=start,
            duration=duration,
            frames=frames,
        ),
        temporal=temporal_opts,
        fast=FastOptions(
            model=model,
            engine=engine,
            batch=batch,
            stabilize=stabilize,
            stabilize_strength=stabilize_strength,
        ),
        arbitrary=ArbitraryOptions(layer=swap_layer, style_size=style_size, alpha=alpha),
        cluster=cluster_opts,
        photo=PhotoOptions(
            enabled=photo,
            weight=photo_weight,
            content_mask=content_mask,
            style_mask=style_mask,
            region_styles=tuple(_region_style(r) for r in region_style),
            tile=tile,
            tile_overlap=tile_overlap,
            max_memory=parse_memory("--max-memory", max_memory),
        ),
        overwrite=overwrite,
        report=report,
    )
    if plan:
        from ..cluster import plan_text

        typer.echo(plan_text(options, PLAN_WORKERS))
        return
    from .. import run
    from ..progress import progress_hooks

    quiet = quiet or output == "-"
    with progress_hooks(quiet=quiet) as hooks:
        result = run(options, hooks)
    if report is not None:
        try:
            report.write_text(json.dumps(result.as_dict(), indent=2))
        except OSError as exc:
            raise OutputError(
                f"--report '{report}' cannot be written ({exc.strerror}); {output} was written"
            ) from None
    if not quiet:
        engines = sorted({r.engine for r in result.records}) or ["none"]
        stages = result.stages
        spent = f"; {stages.summary(result.seconds)}" if stages and result.seconds else ""
        fps = f", {result.frames / result.seconds:.1f} fps" if stages and result.seconds else ""
        typer.echo(
            f"wrote {output} ({result.frames} frame(s), {result.seconds:.1f}s{fps}, "
            f"engine {', '.join(engines)}{spent})",
            err=True,
        )


def _region_style(text: str) -> tuple[str, P]:
    """'COLOUR=picture.jpg' -> (colour, path); the colour is checked with the masks."""
    colour, sep, path = text.partition("=")
    if not sep or not colour.strip() or not path.strip():
        raise OptionError(
            f"--region-style '{text}' must be COLOUR=picture, e.g. '#ff0000=sky.jpg' or red=sky.jpg"
        )
    return colour.strip(), P(path.strip())
