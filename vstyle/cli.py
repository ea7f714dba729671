"""The command line: a thin typed shell over :func:`vstyle.pipeline.run`.

``vstyle IN OUT --style S`` runs the main job (``run`` is the default command);
``vstyle weights``, ``vstyle models``, ``vstyle flow`` and ``vstyle metrics`` are the helpers.
No tensor code here: options are parsed into one :class:`~vstyle.options.Options` and handed over.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sys
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from .errors import OptionError, OutputError, VstyleError
from .options import (
    DEVICES,
    ENGINES,
    EXPORT_FORMATS,
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
    PRECISIONS,
    TRAIN_CONTENT_LAYERS,
    TRAIN_PRECISIONS,
    FastOptions,
    IOOptions,
    LossOptions,
    OptimOptions,
    Options,
    RuntimeOptions,
    SizeOptions,
    StyleOptions,
    TemporalOptions,
    TrainOptions,
)


class _DefaultGroup(TyperGroup):
    """Routes ``vstyle IN OUT ...`` to the ``run`` command and prints errors as one line."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["run", *args]
        return super().parse_args(ctx, args)

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        given = kwargs.get("args", args[0] if args else None)
        argv = list(sys.argv[1:] if given is None else given)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except VstyleError as exc:
            if exc.exit_code == 130:
                _ignore_signals()
            typer.echo(f"vstyle: error: {exc}", err=True)
            code = exc.exit_code
        except typer.Abort:
            _ignore_signals()
            typer.echo("vstyle: interrupted", err=True)
            code = 130
        except typer.TyperException as exc:  # usage errors: bad option names or types
            message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
            if type(exc).__name__ == "NoArgsIsHelpError":  # bare `vstyle`: the help itself
                typer.echo(message, err=True)
            else:
                typer.echo(f"vstyle: error: {message}{self._file_hint(argv)}", err=True)
            code = getattr(exc, "exit_code", 2)
        except Exception as exc:  # an allocation that failed outside the pipeline's guard
            from .device import is_out_of_memory, out_of_memory_error  # torch: imported late

            if not is_out_of_memory(exc):
                raise
            error = out_of_memory_error(exc)
            typer.echo(f"vstyle: error: {error}", err=True)
            code = error.exit_code
        if not standalone_mode:
            return code
        if code == 130:
            # The interruption is handled and saved. CPython can still end the process by
            # SIGINT at exit when the KeyboardInterrupt passed through certain C calls on
            # its way (seen under load as exit -2); leave now with the documented code.
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):  # a closed pipe has nothing to lose
                    stream.flush()
            os._exit(130)
        sys.exit(code or 0)

    def _file_hint(self, argv: list[str]) -> str:
        """When IN is a file named like a subcommand (``weights``), say how to stylize it."""
        if len(argv) > 1 and argv[0] in self.commands and Path(argv[0]).exists():
            name = argv[0]
            return (
                f" ('{name}' is the {name} subcommand; to stylize the file '{name}' write "
                f"'vstyle run {name} {argv[1]} ...' or 'vstyle ./{name} {argv[1]} ...')"
            )
        return ""


def _ignore_signals() -> None:
    """After an interruption was saved, a second Ctrl-C must not kill the exit with 130."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)


def _hold_closed_streams() -> None:
    """Put /dev/null on a closed stdin or stdout (``<&-``, ``>&-``).

    Python leaves ``sys.stdin``/``sys.stdout`` as None (the io code refuses ``-``
    then), but the descriptor is free: the next file opened, perhaps the output
    video, would get it, and anything writing to descriptor 1 would land in it.
    """
    for fd, stream in ((0, sys.stdin), (1, sys.stdout)):
        if stream is None:
            try:
                os.fstat(fd)
            except OSError:
                held = os.open(os.devnull, os.O_RDWR)
                if held != fd:  # fd 0 was taken meanwhile: nothing to hold
                    os.close(held)


app = typer.Typer(
    cls=_DefaultGroup,
    help="Paint pictures and videos in the style of an image: vstyle IN OUT --style S",
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
weights_app = typer.Typer(help="Show or import the VGG-19 weights.", invoke_without_command=True)
app.add_typer(weights_app, name="weights")


def _floats(name: str, text: str | None) -> tuple[float, ...] | None:
    if text is None:
        return None
    try:
        return tuple(float(v) for v in text.split(","))
    except ValueError:
        raise OptionError(f"{name} '{text}' must be comma-separated numbers") from None


def _ints(name: str, text: str | None) -> tuple[int, ...]:
    if not text:
        return ()
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError:
        raise OptionError(f"{name} '{text}' must be comma-separated whole numbers") from None


def _size(name: str, text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    parts = text.lower().split("x")
    try:
        w, h = (int(p) for p in parts)
    except ValueError:
        raise OptionError(f"{name} '{text}' must look like WIDTHxHEIGHT, e.g. 640x360") from None
    if w <= 0 or h <= 0:
        raise OptionError(f"{name} '{text}' must have a positive width and height")
    return w, h


def _rate(text: str | None) -> Fraction | None:
    if text is None:
        return None
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise OptionError(
            f"--input-rate '{text}' must be a number or fraction like 30000/1001"
        ) from None


P = Path
Opt = typer.Option


def _one_of(choices: tuple[str, ...]) -> str:
    return f"{', '.join(choices)} (any case)."


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
            "copy: frames untouched."
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
    input_rate: Annotated[str | None, Opt(help="rawvideo/frame pattern rate (25).")] = None,
    input_pix_fmt: Annotated[
        str | None, Opt(help="rawvideo pixel format (yuv420p).")
    ] = IOOptions.input_pix_fmt,
    output_format: Annotated[
        str | None, Opt(help="Container for stdout: nut (default), y4m, matroska, rawvideo.")
    ] = IOOptions.output_format,
    codec: Annotated[
        str | None, Opt(help="Encoder (libx264; libvpx-vp9 for webm).")
    ] = IOOptions.codec,
    crf: Annotated[int | None, Opt(help="Constant quality (x264/x265/vp9).")] = IOOptions.crf,
    preset: Annotated[str | None, Opt(help="Encoder preset (x264/x265/nvenc).")] = IOOptions.preset,
    pix_fmt: Annotated[str | None, Opt(help="Output pixel format (yuv420p).")] = IOOptions.pix_fmt,
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
    pass_blend: Annotated[float, Opt(help="Multi-pass blend (delta).")] = TemporalOptions.blend,
    first_iters: Annotated[int | None, Opt()] = TemporalOptions.first_iters,
    pass_iters: Annotated[
        int, Opt(help="Iterations per frame in passes 2..N (no early stop).")
    ] = TemporalOptions.pass_iters,
    work_dir: Annotated[P | None, Opt(help="Keep finished frames here to resume.")] = None,
    restart: Annotated[
        bool, Opt(help="Discard the run kept in --work-dir and start afresh.")
    ] = TemporalOptions.restart,
    overwrite: Annotated[bool, Opt(help="Replace OUT if it exists.")] = Options.overwrite,
    quiet: Annotated[bool, Opt("--quiet", "-q")] = False,
    report: Annotated[P | None, Opt(help="Write losses and timings as JSON.")] = None,
    model: Annotated[
        P | None, Opt(help="A .vsm feed-forward model: the fast method, no --style needed.")
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
) -> None:
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
        overwrite=overwrite,
        report=report,
    )
    from .pipeline import run
    from .progress import progress_hooks

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
        typer.echo(
            f"wrote {output} ({result.frames} frame(s), {result.seconds:.1f}s, "
            f"engine {', '.join(engines)})",
            err=True,
        )


@weights_app.callback()
def weights_show(
    ctx: typer.Context,
    vgg_weights: Annotated[P | None, Opt(help="Check this file instead.")] = None,
) -> None:
    """Print which VGG-19 weights file vstyle would use."""
    if ctx.invoked_subcommand is not None:
        return
    from .nets.weights import find_weights

    typer.echo(str(find_weights(vgg_weights, allow_download=False)))


@weights_app.command("import")
def weights_import(
    file: Annotated[
        P, typer.Argument(help="A torchvision VGG-19 checkpoint or features state dict.")
    ],
) -> None:
    """Check a weights file and copy its conv weights into the cache."""
    from .nets.weights import import_weights

    typer.echo(f"imported to {import_weights(file)}")


models_app = typer.Typer(
    help="Import and inspect feed-forward model files (.vsm).", no_args_is_help=True
)
app.add_typer(models_app, name="models")


@models_app.command("import")
def models_import(
    file: Annotated[P, typer.Argument(help="Foreign weights, e.g. a fast-style-transfer .pth.")],
    layout: Annotated[str, Opt(help="Layout of FILE: lengstrom.")],
    output: Annotated[P, Opt("--output", "-o", help="The .vsm to write.")],
    style: Annotated[P | None, Opt(help="The style picture, kept as hash + thumbnail.")] = None,
    overwrite: Annotated[bool, Opt(help="Replace OUTPUT if it exists.")] = False,
) -> None:
    """Convert FILE into a .vsm model (loaded with weights_only=True)."""
    from .models import import_model

    info = import_model(file, layout, output, style, overwrite)
    typer.echo(f"wrote {output} ({info.layout}, weights sha256 {info.weights_sha256[:12]})")


@models_app.command("info")
def models_info(
    file: Annotated[P, typer.Argument(help="A .vsm model file.")],
    as_json: Annotated[bool, Opt("--json", help="Print the metadata as one JSON object.")] = False,
) -> None:
    """Check a .vsm model and print its metadata, one field per line."""
    from .models import describe
    from .nets.modelfile import load_model

    net, info = load_model(file)
    if as_json:
        typer.echo(json.dumps(info.as_dict()))
        return
    typer.echo(f"file            {file}")
    for line in describe(info, sum(p.numel() for p in net.parameters())):
        typer.echo(line)


@app.command("flow")
def flow_command(
    input: Annotated[str, typer.Argument(help="Video or frame pattern (frames/%05d.png).")],
    outdir: Annotated[P, typer.Argument(help="Folder for the .flo and reliable_*.png files.")],
    flow: Annotated[str, Opt(help=_one_of(FLOWS))] = TemporalOptions.flow,
    long_term: Annotated[str | None, Opt(help="Also these offsets, e.g. 10,20,40.")] = None,
    max_side: Annotated[int | None, Opt(help="Long side at most N (as the run will).")] = None,
    size: Annotated[str | None, Opt(help="Resize to WIDTHxHEIGHT (as the run will).")] = None,
    device: Annotated[
        str, Opt(help=f"Where RAFT runs: {_one_of(DEVICES)}")
    ] = RuntimeOptions.device,
    input_format: Annotated[str | None, Opt(help="Input container.")] = None,
    input_size: Annotated[str | None, Opt(help="rawvideo: WIDTHxHEIGHT.")] = None,
    input_rate: Annotated[str | None, Opt(help="rawvideo/frame pattern rate.")] = None,
    input_pix_fmt: Annotated[str | None, Opt(help="rawvideo pixel format.")] = None,
    start: Annotated[float | None, Opt(help="Start at SECONDS.")] = None,
    duration: Annotated[float | None, Opt(help="Process SECONDS.")] = None,
    frames: Annotated[int | None, Opt(help="Process at most N frames.")] = None,
    overwrite: Annotated[bool, Opt(help="Replace flow files already in OUTDIR.")] = False,
    quiet: Annotated[bool, Opt("--quiet", "-q")] = False,
) -> None:
    """Write each consecutive pair's flows and reliability, named as Ruder's tools name them:
    backward_K_I.flo, forward_I_K.flo, reliable_K_I.png (frames numbered from 1)."""
    from .flow.export import export_flows

    options = Options(
        input=input,
        size=SizeOptions(max_side=max_side, size=_size("--size", size)),
        runtime=RuntimeOptions(device=device),
        io=IOOptions(
            input_format=input_format,
            input_size=_size("--input-size", input_size),
            input_rate=_rate(input_rate),
            input_pix_fmt=input_pix_fmt,
            start=start,
            duration=duration,
            frames=frames,
        ),
        temporal=TemporalOptions(flow=flow, long_term=_ints("--long-term", long_term)),
    )
    count = export_flows(options, outdir, overwrite)
    if not quiet:
        typer.echo(f"wrote {count} flow pair(s) to {outdir}", err=True)


@app.command("metrics")
def metrics_command(
    input: Annotated[P, typer.Argument(help="The original video (flow is computed on it).")],
    output: Annotated[P, typer.Argument(help="The stylized video.")],
    style: Annotated[P | None, Opt("--style", "-s", help="Also score style and content.")] = None,
    flow: Annotated[str, Opt(help=_one_of(FLOWS))] = TemporalOptions.flow,
    vgg_weights: Annotated[P | None, Opt(help="VGG-19 weights file (with --style).")] = None,
    frames: Annotated[int | None, Opt(help="Compare only the first N frames.")] = None,
    device: Annotated[
        str, Opt(help=f"Where VGG runs with --style: {_one_of(DEVICES)}")
    ] = RuntimeOptions.device,
    as_json: Annotated[bool, Opt("--json", help="Print one JSON object.")] = False,
) -> None:
    """Temporal warping error of OUTPUT (flow from INPUT), with INPUT's own as the floor."""
    from .errors import check_choice
    from .metrics import evaluate

    flow = check_choice("--flow", flow, FLOWS)
    if frames is not None and frames < 2:
        raise OptionError(f"--frames {frames} must be at least 2 to measure warping error")
    r = evaluate(input, output, flow, style, vgg_weights, frames, device)
    if as_json:
        typer.echo(json.dumps(r.as_dict()))
        return
    typer.echo(f"frames            {r.frames} at {r.width}x{r.height}, flow {flow}")
    typer.echo(f"reliable pixels   {r.reliable:.3f}")
    typer.echo("warp error        output      input (floor)")
    typer.echo(f"  reliable (Lai)  {r.warp_error:.6f}    {r.input_warp_error:.6f}")
    typer.echo(f"  all (Ruder)     {r.warp_error_all:.6f}    {r.input_warp_error_all:.6f}")
    if r.style_distance is not None:
        typer.echo(f"style distance    {r.style_distance:.6g}")
        typer.echo(f"content distance  {r.content_distance:.6g}")


T = TrainOptions


@app.command("train")
def train_command(
    style: Annotated[P, Opt("--style", "-s", help="The style picture.")],
    data: Annotated[P, Opt(help="Folder of pictures and/or videos (searched recursively).")],
    out: Annotated[P, Opt("--out", "-o", help="The .vsm model to write.")],
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
    quiet: Annotated[bool, Opt("--quiet", "-q")] = False,
) -> None:
    """Train a feed-forward net for STYLE on the pictures and videos in DATA."""
    options = TrainOptions(
        style=style, data=data, out=out, size=size, batch=batch, steps=steps, lr=lr,
        width=width, seed=seed, content_layer=content_layer, content_weight=content_weight,
        style_weight=style_weight, tv_weight=tv_weight, noise_weight=noise_weight,
        temporal_weight=temporal_weight, flow=flow, checkpoint_every=checkpoint_every,
        resume=resume, overwrite=overwrite, device=device, precision=precision,
        vgg_weights=vgg_weights,
    )  # fmt: skip
    from .train import train
    from .train.progress import train_progress

    with train_progress(steps, quiet) as on_step:
        result = train(options, on_step)
    if not quiet:
        typer.echo(
            f"wrote {out} (steps {result.first_step + 1}-{result.steps}, "
            f"{result.seconds:.1f}s; checkpoints in {result.checkpoints})",
            err=True,
        )


@app.command("export")
def export_command(
    model: Annotated[P, typer.Argument(help="A .vsm model file.")],
    output: Annotated[P, Opt("--output", "-o", help="The file to write (.onnx or .plan).")],
    format: Annotated[str, Opt("--format", help=_one_of(EXPORT_FORMATS))] = EXPORT_FORMATS[0],
    size: Annotated[
        str | None, Opt(help="WIDTHxHEIGHT: a hint for onnx, the fixed input of tensorrt.")
    ] = None,
    precision: Annotated[str, Opt(help=_one_of(PRECISIONS))] = RuntimeOptions.precision,
    batch: Annotated[int, Opt(help="tensorrt: frames per call.")] = FastOptions.batch,
    overwrite: Annotated[bool, Opt(help="Replace OUTPUT if it exists.")] = False,
) -> None:
    """Write a .vsm model as ONNX (dynamic batch, height and width) or a TensorRT plan."""
    from .export import export_model

    path = export_model(model, output, format, _size("--size", size), precision, batch, overwrite)
    typer.echo(f"wrote {path}")


def main() -> None:
    """Console-script entry point."""
    _hold_closed_streams()
    logging.basicConfig(level=logging.WARNING, format="vstyle: %(message)s")
    app()


if __name__ == "__main__":
    main()
