"""The helper commands: weights, models, flow, metrics and export."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ..errors import OptionError
from ..options import (
    DEVICES,
    EXPORT_FORMATS,
    FLOWS,
    PRECISIONS,
    FastOptions,
    IOOptions,
    Options,
    RuntimeOptions,
    SizeOptions,
    TemporalOptions,
)
from .app import Opt, P, _ints, _one_of, _rate, _size, app

weights_app = typer.Typer(help="Show or import the VGG-19 weights.", invoke_without_command=True)
app.add_typer(weights_app, name="weights")


@weights_app.callback()
def weights_show(
    ctx: typer.Context,
    vgg_weights: Annotated[P | None, Opt(help="Check this file instead.")] = None,
) -> None:
    """Print which VGG-19 weights file vstyle would use."""
    if ctx.invoked_subcommand is not None:
        return
    from ..nets.weights import find_weights

    typer.echo(str(find_weights(vgg_weights, allow_download=False)))


@weights_app.command("import")
def weights_import(
    file: Annotated[
        P, typer.Argument(help="A torchvision VGG-19 checkpoint or features state dict.")
    ],
) -> None:
    """Check a weights file and copy its conv weights into the cache."""
    from ..nets.weights import import_weights

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
    from ..models import import_model

    info = import_model(file, layout, output, style, overwrite)
    typer.echo(f"wrote {output} ({info.layout}, weights sha256 {info.weights_sha256[:12]})")


@models_app.command("info")
def models_info(
    file: Annotated[P, typer.Argument(help="A .vsm model file.")],
    as_json: Annotated[bool, Opt("--json", help="Print the metadata as one JSON object.")] = False,
) -> None:
    """Check a .vsm model and print its metadata, one field per line."""
    from ..models import describe
    from ..nets.modelfile import load_model

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
    from ..flow.export import export_flows

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
    from ..errors import check_choice
    from ..metrics import evaluate

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
    from ..export import export_model

    path = export_model(model, output, format, _size("--size", size), precision, batch, overwrite)
    typer.echo(f"wrote {path}")
