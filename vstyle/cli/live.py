"""``vstyle live``: the painted camera, every option parsed into one Options."""

from __future__ import annotations

from typing import Annotated

import typer

from ..options import (
    DEVICES,
    ENGINES,
    FLOWS,
    LIVE_OUTPUT_FORMATS,
    PRECISIONS,
    FastOptions,
    IOOptions,
    LiveOptions,
    Options,
    RuntimeOptions,
    SizeOptions,
    StyleOptions,
    TemporalOptions,
)
from .app import Opt, P, _one_of, _size, app


@app.command("live", help="Paint the camera live: vstyle live --model M.vsm")
def live_command(
    model: Annotated[
        list[P], Opt("--model", "-m", help="A .vsm model; repeat to switch with n/p.")
    ] = [],  # noqa: B006
    style: Annotated[
        list[P], Opt("--style", "-s", help="With an inverse-net --model: styles n/p cycle through.")
    ] = [],  # noqa: B006
    camera: Annotated[int, Opt(help="Camera index.")] = LiveOptions.camera,
    camera_size: Annotated[str | None, Opt(help="Ask the camera for WIDTHxHEIGHT.")] = None,
    camera_fps: Annotated[
        float | None, Opt(help="Ask the camera for this rate.")
    ] = LiveOptions.camera_fps,
    source: Annotated[
        str | None, Opt(help="A file, URL or device path instead of the camera.")
    ] = LiveOptions.source,
    loop: Annotated[bool, Opt(help="Repeat the --source file.")] = LiveOptions.loop,
    window: Annotated[
        bool, Opt("--window/--no-window", help="Show the picture in a window.")
    ] = LiveOptions.window,
    compare: Annotated[
        bool, Opt(help="Show the camera beside the painting (key c).")
    ] = LiveOptions.compare,
    virtual_camera: Annotated[
        bool, Opt(help="Feed a virtual camera (needs vstyle[live]).")
    ] = LiveOptions.virtual_camera,
    record: Annotated[
        P | None, Opt(help="Record what is shown, at capture times.")
    ] = LiveOptions.record,
    output: Annotated[str | None, Opt("--output", "-o", help="'-': stream to stdout.")] = None,
    output_format: Annotated[
        str, Opt(help="Stdout container: " + _one_of(LIVE_OUTPUT_FORMATS))
    ] = LiveOptions.output_format,
    frames: Annotated[int | None, Opt(help="Stop after N frames shown.")] = LiveOptions.frames,
    duration: Annotated[float | None, Opt(help="Stop after SECONDS.")] = LiveOptions.duration,
    snapshots: Annotated[
        P, Opt(help="Folder for the snapshots key s saves.")
    ] = LiveOptions.snapshots,
    size: Annotated[str | None, Opt(help="Paint at WIDTHxHEIGHT.")] = None,
    max_side: Annotated[
        int | None, Opt(help="Paint with the long side at most N.")
    ] = SizeOptions.max_side,
    engine: Annotated[str, Opt(help=_one_of(ENGINES))] = FastOptions.engine,
    device: Annotated[str, Opt(help=_one_of(DEVICES))] = RuntimeOptions.device,
    precision: Annotated[str, Opt(help=_one_of(PRECISIONS))] = RuntimeOptions.precision,
    stabilize: Annotated[
        bool, Opt(help="Blend with the previous output along the flow.")
    ] = FastOptions.stabilize,
    stabilize_strength: Annotated[float, Opt()] = FastOptions.stabilize_strength,
    flow: Annotated[str, Opt(help="For --stabilize: " + _one_of(FLOWS))] = TemporalOptions.flow,
    codec: Annotated[str | None, Opt(help="--record encoder (libx264).")] = IOOptions.codec,
    crf: Annotated[int | None, Opt(help="--record constant quality.")] = IOOptions.crf,
    preset: Annotated[
        str | None, Opt(help="--record preset (x264/x265: ultrafast).")
    ] = IOOptions.preset,
    overwrite: Annotated[bool, Opt(help="Replace the --record file.")] = Options.overwrite,
    quiet: Annotated[bool, Opt("--quiet", "-q", help="No summary line.")] = False,
) -> None:
    options = Options(
        method="fast" if model else "auto",  # no model: live's own error says what to do
        style=StyleOptions(paths=tuple(style)),
        size=SizeOptions(max_side=max_side, size=_size("--size", size)),
        runtime=RuntimeOptions(device=device, precision=precision),
        io=IOOptions(codec=codec, crf=crf, preset=preset),
        temporal=TemporalOptions(flow=flow),
        fast=FastOptions(
            model=model[0] if model else None,
            engine=engine,
            stabilize=stabilize,
            stabilize_strength=stabilize_strength,
        ),
        live=LiveOptions(
            models=tuple(model),
            camera=camera,
            camera_size=_size("--camera-size", camera_size),
            camera_fps=camera_fps,
            source=source,
            loop=loop,
            window=window,
            compare=compare,
            virtual_camera=virtual_camera,
            record=record,
            output=output,
            output_format=output_format,
            frames=frames,
            duration=duration,
            snapshots=snapshots,
        ),
        overwrite=overwrite,
    )
    from ..live.session import LiveRun
    from ..pipeline import signals_interrupt

    with signals_interrupt(), LiveRun(options) as run:
        summary = run.run()
    if not quiet:
        typer.echo(summary.line(), err=True)
