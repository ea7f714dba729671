"""``--cluster`` on one machine: wall time for 1 and 2 local Ray workers against the
single-machine run on the same clip, the overhead a chunk adds, and ``--plan``'s
estimates for a feature film.

The fast method (the ``wave`` model from ../shared, imported into a temporary
``.vsm``) on the first ``--frames`` frames of a real clip at ``--side`` px, into
lossless FFV1 (so the cluster output is checked equal to the single run's). Ray is
started before the clock runs (its start-up, seconds, is paid once per session, not
per run). The per-chunk overhead (scheduling, seek, intermediate write) is the
difference between the 1-worker cluster run and the single run, over the chunks;
``measure`` (what ``--plan`` uses) gives the cost of a frame and of a chunk's start-up,
from which the film estimate (150,000 frames at 24 fps, a cut every 110 frames, the
median shot of recent films) is made for 8, 64 and 512 workers.

With ``--seam``, instead: the optimizer (real VGG-19) on ``--seam-clip``, single machine
against ``--cluster local`` with its anchors (every chunk of a split scene starts from
the scene's first frame, stylized once) and without them (the driver's plan stripped of
anchors, as before they existed): the warping error of the frame pairs across each
seam (the warm-up's fade) against the pairs inside chunks, and against the same pairs
of the single machine's unbroken chain.

    PYTHONPATH=. python benchmarks/cluster.py                # 48 frames, 160 px
    PYTHONPATH=. python benchmarks/cluster.py --frames 96 --chunk-frames 24
    PYTHONPATH=. python benchmarks/cluster.py --seam         # ~10 min on 2 cores
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from results import append, device_name, table

from vstyle import run
from vstyle.cluster import code_env, measure, prepare
from vstyle.cluster.plan import Plan, estimate, format_seconds, split
from vstyle.models import import_model
from vstyle.options import (
    ClusterOptions,
    FastOptions,
    IOOptions,
    Options,
    RuntimeOptions,
    SizeOptions,
)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "assets"
FILM_FRAMES, FILM_SHOT, FILM_RATE = 150_000, 110, 24


def pictures(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def film_plan(chunk_frames: int) -> Plan:
    times = [Fraction(i, FILM_RATE) for i in range(FILM_FRAMES)]
    cuts = list(range(FILM_SHOT, FILM_FRAMES, FILM_SHOT))
    return Plan(tuple(times), tuple(cuts), tuple(split(times, cuts, chunk_frames, 0, False)))


def seam_pairs(plan: Plan) -> set[int]:
    """Pairs (i, i + 1), by i, that touch a fade: the frame before it to the chunk's first."""
    return {i for k in plan.chunks if k.warmup for i in range(k.first - k.warmup - 1, k.first)}


def seams(args: argparse.Namespace) -> int:
    """The ``--seam`` table (see the module's docstring)."""
    import ray

    import vstyle.cluster as cluster
    from vstyle.metrics import warping_error
    from vstyle.options import OptimOptions, StyleOptions

    style, vgg = SHARED / "styles" / "starry_night.jpg", SHARED / "weights" / "vgg19-features.pth"
    for needed in (args.seam_clip, style, vgg):
        if not needed.is_file():
            print(f"skipped: {needed} not found (put ../shared beside the checkout)")
            return 0
    planned = cluster.make_plan

    def unanchored(options: Options) -> Plan:
        plan = planned(options)  # probes the clip for cuts: once
        return replace(plan, chunks=tuple(replace(k, anchor=None) for k in plan.chunks))

    rows = []
    with tempfile.TemporaryDirectory(prefix="vstyle-bench-seam-") as tmp:
        base = Options(
            input=str(args.seam_clip),
            output=str(Path(tmp) / "single.mkv"),
            method="optimize",
            style=StyleOptions(paths=(style,)),
            optim=OptimOptions(iters=args.iters, seed=3),
            runtime=RuntimeOptions(device="cpu", precision="fp32", vgg_weights=vgg),
            size=SizeOptions(max_side=args.side),
            io=IOOptions(codec="ffv1", frames=args.frames, audio=False),
        )
        started = time.perf_counter()
        run(base)
        walls = {"single machine": time.perf_counter() - started}
        outputs = {"single machine": pictures(Path(tmp) / "single.mkv")}
        spread = ClusterOptions(address="local", chunk_frames=args.chunk_frames,
                                warmup=args.warmup)  # fmt: skip
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, runtime_env=code_env())
        try:
            for label, anchors in (("--cluster, anchors", True), ("--cluster, no anchors", False)):
                cluster.make_plan = planned if anchors else unanchored
                options = replace(base, output=str(Path(tmp) / f"{anchors}.mkv"), cluster=spread)
                _, plan = prepare(options, output=False)
                started = time.perf_counter()
                run(options)
                walls[label] = time.perf_counter() - started
                outputs[label] = pictures(Path(tmp) / f"{anchors}.mkv")
        finally:
            cluster.make_plan = planned
            ray.shutdown()
        with av.open(str(args.seam_clip)) as container:  # the metric resizes them
            decoded = itertools.islice(container.decode(video=0), args.frames)
            inputs = [f.to_ndarray(format="rgb24") for f in decoded]
        seam = sorted(seam_pairs(plan))
        errors = {label: [warping_error(inputs[i : i + 2], frames[i : i + 2]).warp_error
                          for i in range(len(frames) - 1)]
                  for label, frames in outputs.items()}  # fmt: skip
        alone = np.mean([errors["single machine"][i] for i in seam])
        for label, pairs in errors.items():
            across = [pairs[i] for i in seam]
            inside = [e for i, e in enumerate(pairs) if i not in seam]
            rows.append([label, f"{walls[label]:.0f}", f"{np.mean(inside) * 1e4:.1f}",
                         f"{np.mean(across) * 1e4:.1f}", f"{max(across) / max(inside):.2f}",
                         f"{np.mean(across) / alone:.2f}"])  # fmt: skip
    body = (
        f"{len(plan.chunks)} chunks of at most {args.chunk_frames} frames, warm-up "
        f"{args.warmup}; seam pairs {seam}.\n\n"
        + table(
            [
                "run",
                "wall s",
                "inside mean (1e-4)",
                "seam mean (1e-4)",
                "seam max / inside max",
                "seam mean / single's same pairs",
            ],
            rows,
        )
    )
    append(
        "Cluster seams: optimizer chains with and without anchors",
        body,
        device_name("cpu"),
        notes=f"{args.seam_clip.name}, first {args.frames} frames at {args.side} px, "
        f"starry_night, {args.iters} iterations (first frames twice), fp32; warping error "
        "(DIS flow) of each frame pair; 2 local Ray workers",
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=SHARED / "video" / "bigbuckbunny.mp4")
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--side", type=int, default=160)
    parser.add_argument("--chunk-frames", type=int, default=12)
    parser.add_argument("--seam", action="store_true", help="the optimizer's seams instead")
    parser.add_argument("--seam-clip", type=Path, default=SHARED / "video" / "bear.mp4")
    parser.add_argument("--iters", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=8)
    args = parser.parse_args()
    if args.seam:
        return seams(args)
    weights = SHARED / "fast-models" / "wave.pth"
    for needed in (args.clip, weights):
        if not needed.is_file():
            print(f"skipped: {needed} not found (put ../shared beside the checkout)")
            return 0
    import ray

    with tempfile.TemporaryDirectory(prefix="vstyle-bench-cluster-") as tmp:
        model = Path(tmp) / "wave.vsm"
        import_model(weights, "lengstrom", model, style=SHARED / "fast-models" / "wave.jpg")
        base = Options(
            input=str(args.clip),
            output=str(Path(tmp) / "single.mkv"),
            fast=FastOptions(model=model, engine="eager"),
            runtime=RuntimeOptions(device="cpu", precision="fp32"),
            size=SizeOptions(max_side=args.side),
            io=IOOptions(codec="ffv1", frames=args.frames, audio=False),
        )
        started = time.perf_counter()
        run(base)
        single = time.perf_counter() - started
        want = pictures(Path(tmp) / "single.mkv")
        rows, walls = [["single machine", "-", f"{single:.2f}", "1.00", "-"]], {}
        for workers in (1, 2):
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False,
                     runtime_env=code_env())  # fmt: skip
            out = Path(tmp) / f"cluster{workers}.mkv"
            cluster = ClusterOptions(address="local", chunk_frames=args.chunk_frames)
            options = replace(base, output=str(out), cluster=cluster)
            _, plan = prepare(options, output=False)
            started = time.perf_counter()
            run(options)
            walls[workers] = time.perf_counter() - started
            ray.shutdown()
            got = pictures(out)
            same = len(got) == len(want) and all(
                np.array_equal(a, b) for a, b in zip(got, want, strict=True)
            )
            rows.append([f"--cluster local, {workers} worker(s)", len(plan.chunks),
                         f"{walls[workers]:.2f}", f"{single / walls[workers]:.2f}",
                         "yes" if same else "NO"])  # fmt: skip
        per_chunk = (walls[1] - single) / len(plan.chunks)
        cost = measure(base, plan, frames=args.chunk_frames)
        film = film_plan(240)
        estimates = [[n, format_seconds(estimate(film, cost, n))] for n in (1, 8, 64, 512)]
    body = (
        table(["run", "chunks", "wall s", "speed-up", "frames equal"], rows)
        + f"\n\nOverhead per chunk (1 worker - single, over {len(plan.chunks)} chunks): "
        f"{per_chunk:.2f} s = {per_chunk / (single / len(plan.chunks)):.0%} of a chunk's "
        f"render time ({args.chunk_frames} frames).\n"
        f"Measured as --plan does (chunks of 1 and {args.chunk_frames} frames): "
        f"{cost.frame:.3f} s a frame, {cost.chunk:.2f} s a chunk's start-up, "
        f"{cost.serial:.4f} s a frame on the driver (cut probe, assembly).\n\n"
        "Estimates for a 150,000-frame film (cut every 110 frames, "
        f"chunks of at most 240, {len(film.chunks)} chunks) at that cost:\n\n"
        + table(["workers", "estimated wall time"], estimates)
    )
    append(
        "Cluster: 1 and 2 local Ray workers, per-chunk overhead, film estimates",
        body,
        device_name("cpu"),
        notes=f"{args.clip.name}, first {args.frames} frames at {args.side} px, fast method "
        "(wave), eager fp32, FFV1; Ray started outside the timing; on 2 cores, 2 workers "
        "compete with the driver's decoding and assembly",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
