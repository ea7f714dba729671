"""``--cluster``: one run spread over Ray workers, chunk by chunk (optional extra ``cluster``).

The driver alone plans (``plan``) and assembles (``assemble``); each chunk is a Ray
task (``work.render_chunk``) that runs the single-machine pipeline on its frame
range, so there is one way frames are made. Chunks land in a work folder every
worker can read; a rerun of the same command renders only the chunks missing there.
"""

from __future__ import annotations

import logging
import shutil
import time
import types
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ClusterError, Interrupted, OptionError
from ..io import check_output
from ..io.formats import output_kind
from ..options import ClusterOptions, Options, resolve_method
from ..preflight import check_paths
from .folder import open_folder, work_folder
from .plan import Chunk, Cost, Plan, describe, make_plan
from .work import (
    Done,
    anchor_path,
    chunk_options,
    chunk_path,
    received,
    render_anchor,
    render_chunk,
)

if TYPE_CHECKING:  # pipeline imports this package when a run asks for --cluster
    from ..pipeline import Hooks
    from ..records import Report

log = logging.getLogger(__name__)

__all__ = ["run_cluster", "plan_text", "import_ray", "connect", "code_env"]


def import_ray() -> types.ModuleType:
    try:
        import ray
    except ImportError:
        raise ClusterError(
            "--cluster needs Ray, which is not installed: pip install 'vstyle[cluster]'"
        ) from None
    return ray


def connect(ray: types.ModuleType, address: str) -> bool:
    """Join (or, for ``local``, start) the Ray cluster; True when this call started it.

    A caller that started Ray itself passes :func:`code_env` (or installs vstyle on
    the workers) so that they run the same vstyle.
    """
    if ray.is_initialized():
        return False
    kwargs = {"include_dashboard": False, "log_to_driver": False, "runtime_env": code_env()}
    try:
        if address == "local":
            ray.init(**kwargs)
        else:
            ray.init(address=address, **kwargs)
    except (ConnectionError, RuntimeError, TimeoutError, ValueError) as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ClusterError(
            f"--cluster {address}: no Ray cluster answers there ({reason}); start one with "
            "'ray start --head' or use --cluster local"
        ) from None
    return True


def absolute(options: Options) -> Options:
    """Paths as every worker sees them (a worker's folder is not the driver's)."""

    def full(path: Path | None) -> Path | None:
        return None if path is None else Path(path).absolute()

    return replace(
        options,
        input=str(full(Path(str(options.input)))) if str(options.input) != "-" else "-",
        style=replace(options.style, paths=tuple(full(p) for p in options.style.paths)),
        fast=replace(options.fast, model=full(options.fast.model)),
        runtime=replace(options.runtime, vgg_weights=full(options.runtime.vgg_weights)),
    )


def needs_vgg(options: Options) -> bool:
    from ..pipeline import network_paints

    return options.method != "copy" and not network_paints(options)


def with_weights(options: Options) -> Options:
    """Name the VGG weights explicitly, so workers use (or are shipped) the driver's."""
    if not needs_vgg(options):
        return options
    from ..nets.weights import find_weights

    path = find_weights(options.runtime.vgg_weights)
    return replace(options, runtime=replace(options.runtime, vgg_weights=Path(path).absolute()))


def ship(ray: types.ModuleType, options: Options) -> dict[str, object]:
    """The files a worker may lack (model, VGG weights, styles), in Ray's object store."""
    files = [options.fast.model, options.runtime.vgg_weights, *options.style.paths]
    return {str(p): ray.put(Path(p).read_bytes()) for p in files if p is not None}


def code_env() -> dict[str, object]:
    """A runtime environment that gives every worker this driver's vstyle (its own
    dependencies, torch and PyAV, must be installed there)."""
    package = Path(__file__).resolve().parents[1]
    return {"py_modules": [str(package)], "excludes": ["__pycache__", "*.pyc"]}


def render(
    ray: types.ModuleType, options: Options, plan: Plan, folder: Path, hooks: Hooks
) -> list[Done]:
    """Every chunk of ``plan`` rendered (or found finished) in ``folder``, in order.

    Raises:
        ClusterError: a chunk failed after its retries; the others are kept.
    """
    done = {k.index: Done(k, str(chunk_path(folder, k))) for k in plan.chunks
            if chunk_path(folder, k).is_file()}  # fmt: skip
    todo = [k for k in plan.chunks if k.index not in done]
    log.info("%d chunk(s) to render, %d found finished", len(todo), len(done))
    gpus = 1 if ray.cluster_resources().get("GPU", 0) >= 1 else 0
    retries = options.cluster.retries
    task = ray.remote(render_chunk).options(max_retries=retries, num_gpus=gpus)
    shipped = ship(ray, options) if options.cluster.address != "local" else {}
    anchors = start_anchors(ray, options, plan, todo, shipped, folder, gpus)
    pending = {task.remote(k, options, shipped, str(folder), anchors.get(k.anchor)): k
               for k in todo}  # fmt: skip
    failed: list[tuple[Chunk, str]] = []
    on_chunk = hooks.on_chunk

    def report() -> None:
        if on_chunk:
            frames = sum(d.chunk.frames for d in done.values())
            on_chunk(len(done), len(plan.chunks), frames, plan.frames)

    report()
    try:
        while pending:
            [ref], _ = ray.wait(list(pending), num_returns=1)
            chunk = pending.pop(ref)
            try:
                done[chunk.index] = received(ray.get(ref), folder)
            except ray.exceptions.RayError as exc:
                failed.append((chunk, failure(exc, retries)))
                continue
            except ClusterError as exc:  # its file cannot reach this machine
                failed.append((chunk, str(exc)))
                continue
            log.info("%s done on %s", chunk.describe(), done[chunk.index].host)
            report()
    except KeyboardInterrupt:
        for ref in [*pending, *anchors.values()]:
            if isinstance(ref, ray.ObjectRef):
                ray.cancel(ref, force=True)
        raise Interrupted(
            f"interrupted; the {len(done)} finished chunk(s) are kept in '{folder}': run the "
            "same command again to render only the rest"
        ) from None
    if failed:
        chunk, why = min(failed, key=lambda f: f[0].index)
        more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
        raise ClusterError(
            f"{chunk.describe()} failed{more}: {why}; the {len(done)} finished chunk(s) are "
            f"kept in '{folder}': run the same command again to render only the rest"
        )
    return [done[k.index] for k in plan.chunks]


def start_anchors(
    ray: types.ModuleType,
    options: Options,
    plan: Plan,
    todo: Sequence[Chunk],
    shipped: dict[str, object],
    folder: Path,
    gpus: int,
) -> dict[int, object]:
    """The anchor of every scene a chunk to render needs (``Chunk.anchor``): its bytes
    when the work folder holds it, else the Ray task that makes it (the chunks wait on
    it, Ray runs them once it is done)."""
    task = ray.remote(render_anchor).options(max_retries=options.cluster.retries, num_gpus=gpus)
    starts = {k.first: k for k in plan.chunks}
    anchors: dict[int, object] = {}
    for frame in sorted({k.anchor for k in todo if k.anchor is not None}):
        path = anchor_path(folder, frame)
        if path.is_file():
            anchors[frame] = path.read_bytes()
        else:
            anchors[frame] = task.remote(starts[frame], options, shipped, str(folder))
    if anchors:
        log.info("%d anchor(s) for the scenes split in chunks", len(anchors))
    return anchors


def failure(exc: BaseException, retries: int) -> str:
    """One line saying why a chunk's task failed."""
    cause = getattr(exc, "cause", None)
    if cause is not None and not isinstance(cause, type(exc)):  # the task raised
        return (str(cause).strip().splitlines() or [type(cause).__name__])[0]
    return f"its worker died {retries + 1} time(s) ({type(exc).__name__})"


def prepare(options: Options, output: bool = True) -> tuple[Options, Plan]:
    """Options as workers need them, checked (the output too unless not ``output``), and
    the plan."""
    options = with_weights(absolute(resolve_method(options)))
    kind = output_kind(options.output, options.io.output_format)
    if kind.image:
        raise OptionError(f"--cluster writes a video; output '{options.output}' is not one")
    check_paths(options, kind)
    if output:
        check_output(options.input, options.output, kind, options.overwrite)
    began = time.perf_counter()
    plan = make_plan(options)
    log.info("planned %d chunk(s) in %.2fs", len(plan.chunks), time.perf_counter() - began)
    return options, plan


def run_cluster(options: Options, hooks: Hooks) -> Report:
    """Plan, render every chunk on Ray, assemble the output; returns the run's Report."""
    from .assemble import assemble

    began = time.perf_counter()
    ray = import_ray()  # before any work: the extra is the first thing a user may lack
    options, plan = prepare(options)
    folder = work_folder(options)
    open_folder(folder, options)
    started = connect(ray, options.cluster.address)
    try:
        done = render(ray, options, plan, folder, hooks)
    finally:
        if started:
            ray.shutdown()
    report = assemble(options, done, plan.frames, hooks)
    log.info("assembled %d frame(s) in %.2fs", report.frames, report.seconds)
    report.seconds = time.perf_counter() - began
    if options.cluster.work_dir is None:  # ours: nothing left to resume
        shutil.rmtree(folder, ignore_errors=True)
    return report


def measure(options: Options, plan: Plan, frames: int = 6) -> Cost:
    """Seconds a frame and a chunk cost here (chunks of 1 and of ``frames`` frames, after
    one of 1 that warms the engine up), and the driver's share of a frame (probing for
    cuts; decoding and encoding, as copy)."""
    import tempfile

    from ..pipeline import run

    frames = max(2, min(frames, plan.frames))
    seconds = []
    few = replace(options.io, frames=frames, duration=None)
    with tempfile.TemporaryDirectory(prefix="vstyle-plan-") as tmp:
        for i, n in enumerate((1, 1, frames)):
            chunk = Chunk(0, 0, n, 0, options.io.start)
            seconds.append(run(chunk_options(options, chunk, Path(tmp) / f"{i}.mkv")).seconds)
        seconds = seconds[1:]  # the first paid for loading and warming up
        began = time.perf_counter()
        make_plan(replace(options, io=few))
        probe = (time.perf_counter() - began) / frames
        suffix = Path(str(options.output)).suffix or ".mkv"
        copy = replace(
            options,
            method="copy",
            fast=replace(options.fast, model=None, stabilize=False),
            output=str(Path(tmp) / f"copy{suffix}"),
            io=few,
            overwrite=True,
            report=None,
            cluster=ClusterOptions(),
        )
        assembly = run(copy).seconds / frames
    per_frame = max(seconds[1] - seconds[0], 0.0) / (frames - 1)
    return Cost(per_frame, max(seconds[0] - per_frame, 0.0), probe + assembly)


def plan_text(options: Options, workers: Sequence[int]) -> str:
    """``--plan``: the chunks, and times for ``workers`` from a cost measured here."""
    options, plan = prepare(options, output=False)
    return describe(plan, measure(options, plan), workers)
