"""Per-iteration cost of vstyle's L-BFGS against neural-style-pt's, in one run.

The peer is ``neural_style_loop.py``: neural-style-pt's per-iteration work in plain
torch, against the same shared VGG-19 with its Caffe conventions.

Time per iteration is the median gap between consecutive iterations, so start-up
(weights, style targets, content features, the first iteration) is excluded. The
variants are interleaved (A B C A B C ...) because the machine is shared; medians
and ratios against the peer are reported. Quality is compared at equal iterations
with ``vstyle.losses.distances`` and vstyle's fp32 objective, all on the clamped
picture each variant returns.

    python benchmarks/speed.py                                   # CPU: 128, 256, 512 px
    python benchmarks/speed.py --device cuda --iters 50 --gpu-run 500    # on a GPU
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from neural_style_loop import Run, fit, peer_runner
from results import append, device_name, table

from vstyle.device import Runtime, cpu_has_bf16
from vstyle.frames import to_tensor
from vstyle.io.image import read_image, resize
from vstyle.losses.distances import content_distance, style_distance
from vstyle.nets.vgg import VGGFeatures
from vstyle.nets.weights import find_weights, load_state
from vstyle.optimize.objective import GatysObjective, style_grams
from vstyle.optimize.stylizer import FrameOptimizer
from vstyle.options import LossOptions, OptimOptions, Options, RuntimeOptions, StyleOptions

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "assets"


def pictures() -> tuple[np.ndarray, np.ndarray]:
    content = SHARED / "content" / "tubingen.jpg"
    style = SHARED / "styles" / "starry_night.jpg"
    if not (content.exists() and style.exists()):
        content, style = ROOT / "samples" / "photo.png", ROOT / "samples" / "style.png"
    return read_image(content), read_image(style)


class ChannelsLast(Runtime):
    """A runtime that keeps VGG in channels_last whatever the device (for --channels-last)."""

    @property
    def memory_format(self) -> torch.memory_format:
        return torch.channels_last


def vstyle_runner(options: Options, runtime: Runtime, compiled: bool = False) -> Run:
    """vstyle's own engine (FrameOptimizer, one scale, no early stop)."""
    opt = FrameOptimizer(options, runtime)
    if compiled:
        opt.vgg = torch.compile(opt.vgg)

    def run(content: np.ndarray, iters: int) -> tuple[list[float], torch.Tensor]:
        stamps: list[float] = []
        opt.on_step = lambda _: stamps.append(time.perf_counter())
        image, _ = opt.stylize(content, iters=iters)
        return stamps, image

    return run


def per_iteration(
    runs: dict[str, Run], content: np.ndarray, iters: int, rounds: int, sync: Callable[[], None]
) -> dict[str, float]:
    """Median seconds per iteration of each variant, the variants interleaved per round."""
    gaps: dict[str, list[float]] = {name: [] for name in runs}
    for run in runs.values():
        run(content, 2)  # warm-up: kernels, allocator, autocast caches, compilation
    for _ in range(rounds):
        for name, run in runs.items():
            sync()
            stamps, _ = run(content, iters + 1)
            gaps[name] += list(np.diff(stamps))
    return {name: statistics.median(g) for name, g in gaps.items()}


def quality(
    runs: dict[str, Run],
    content: np.ndarray,
    style: np.ndarray,
    iters: int,
    state: dict[str, torch.Tensor],
    runtime: Runtime,
) -> dict[str, tuple[float, ...]]:
    """(fp32 objective, style distance, content distance) of each variant's picture."""
    o = LossOptions()
    fp32 = Runtime(runtime.device, "fp32")
    vgg = fp32.prepare(VGGFeatures(state, o.content_layers + o.style_layers))
    c = fp32.tensor(to_tensor(content))
    s = fp32.tensor(to_tensor(fit(style, max(content.shape[:2]))))
    grams = style_grams(vgg, fp32, [style], [1.0], o.style_layers, max(content.shape[:2]))
    objective = GatysObjective(vgg, fp32, o, c, grams)
    out = {}
    for name, run in runs.items():
        _, image = run(content, iters)
        with torch.no_grad():
            loss = float(objective(image.float())[0])
        out[name] = (loss, style_distance(image, s, vgg), content_distance(image, c, vgg))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256, 512])
    parser.add_argument("--iters", type=int, default=8, help="timed iterations per run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved runs per variant")
    parser.add_argument("--quality-size", type=int, default=256)
    parser.add_argument("--quality-iters", type=int, default=100)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--compile", action="store_true", help="add torch.compile'd VGG")
    parser.add_argument("--channels-last", action="store_true", help="add channels_last on CPU")
    parser.add_argument(
        "--gpu-run",
        type=int,
        default=0,
        help="on CUDA: also time this many iterations at 512x512 in full",
    )
    parser.add_argument("--vgg-weights", type=Path, default=None)
    args = parser.parse_args()
    runtime = Runtime.from_options(args.device)
    torch.manual_seed(0)
    shared = SHARED / "weights" / "vgg19-features.pth"
    weights = find_weights(args.vgg_weights or (shared if shared.exists() else None))
    state = load_state(weights)
    content_rgb, style_rgb = pictures()
    base = Options(
        style=StyleOptions(paths=(SHARED / "styles" / "starry_night.jpg",)),
        optim=OptimOptions(tolerance=0.0),
        runtime=RuntimeOptions(device=args.device, vgg_weights=weights),
    )
    bf16 = cpu_has_bf16() if runtime.device.type == "cpu" else torch.cuda.is_bf16_supported()
    runs: dict[str, Run] = {
        "neural-style-pt loop": peer_runner(state, style_rgb, runtime.device),
        "vstyle fp32": vstyle_runner(base, Runtime(runtime.device, "fp32")),
    }
    if bf16:
        runs["vstyle bf16"] = vstyle_runner(base, Runtime(runtime.device, "bf16"))
    if args.channels_last and runtime.device.type == "cpu":
        for precision in ("fp32", "bf16") if bf16 else ("fp32",):
            runtime_cl = ChannelsLast(runtime.device, precision)
            runs[f"vstyle {precision} channels_last"] = vstyle_runner(base, runtime_cl)
    compile_note = ""
    if args.compile:
        t = time.perf_counter()
        runs["vstyle fp32 compiled"] = vstyle_runner(base, Runtime(runtime.device, "fp32"), True)
        runs["vstyle fp32 compiled"](fit(content_rgb, 64), 1)
        compile_note = f"; torch.compile first call {time.perf_counter() - t:.0f} s at 64 px"
        print(compile_note, flush=True)
    rows = []
    for size in args.sizes:
        content = fit(content_rgb, size)
        med = per_iteration(runs, content, args.iters, args.rounds, runtime.synchronize)
        peer = med["neural-style-pt loop"]
        for name, sec in med.items():
            rows.append(
                [
                    f"{content.shape[1]}x{content.shape[0]}",
                    name,
                    f"{sec * 1000:.0f}",
                    f"{sec / peer:.2f}",
                ]
            )
            print(rows[-1], flush=True)
    q = quality(
        runs, fit(content_rgb, args.quality_size), style_rgb, args.quality_iters, state, runtime
    )
    qrows = [[n, f"{a:.4f}", f"{b:.4f}", f"{c:.4f}"] for n, (a, b, c) in q.items()]
    body = table(["size", "variant", "ms / iteration (median)", "ratio to neural-style-pt"], rows)
    body += f"\n\nQuality after {args.quality_iters} iterations at {args.quality_size} px:\n\n"
    body += table(["variant", "vstyle fp32 objective", "style distance", "content distance"], qrows)
    if runtime.device.type == "cuda" and args.gpu_run:
        square = resize(content_rgb, 512, 512)
        for name, run in runs.items():
            runtime.synchronize()
            t = time.perf_counter()
            run(square, args.gpu_run)
            runtime.synchronize()
            body += f"\n- {name}: {args.gpu_run} iterations at 512x512 in "
            body += f"{time.perf_counter() - t:.2f} s (start-up included)"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    notes = (
        f"{torch.get_num_threads()} threads, load average {load} at the end; "
        f"{args.rounds} interleaved runs of {args.iters} timed iterations per variant; "
        "tubingen + starry_night; L-BFGS, start from content, one scale" + compile_note
    )
    append(
        "speed.py: time per L-BFGS iteration vs neural-style-pt",
        body,
        device_name(runtime.device),
        notes=notes,
    )


if __name__ == "__main__":
    main()
