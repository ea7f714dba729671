"""Image stylization by optimization: iterations/s and final loss per variant.

Variants, in one run so the ratios are fair: L-BFGS vs Adam, one scale vs
``--scales 3``, fp32 vs bf16 (GPU only). For ``--scales 3`` it also reports how
soon the finest scale reaches the single-scale run's final loss.

    python benchmarks/image.py --sizes 256 512 --iters 500     # on a GPU
    python benchmarks/image.py --sizes 256 --iters 30          # CPU smoke figures
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from results import append, device_name, table

from vstyle.device import Runtime
from vstyle.io.image import read_image, resize
from vstyle.optimize.stylizer import FrameOptimizer
from vstyle.options import OptimOptions, Options, RuntimeOptions, StyleOptions

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "assets"


def pictures() -> tuple[np.ndarray, Path]:
    content = SHARED / "content" / "tubingen.jpg"
    style = SHARED / "styles" / "starry_night.jpg"
    if content.exists() and style.exists():
        return read_image(content), style
    return read_image(ROOT / "samples" / "photo.png"), ROOT / "samples" / "style.png"


def run_variant(rgb: np.ndarray, options: Options, runtime: Runtime) -> dict:
    trace: list[tuple[float, float, int]] = []
    opt = FrameOptimizer(
        options,
        runtime,
        on_iteration=lambda s: trace.append((time.perf_counter(), s.loss, s.scale)),
    )
    opt.stylize(rgb, iters=2)  # warm-up: kernels, allocator, autocast caches
    trace.clear()
    runtime.synchronize()
    start = time.perf_counter()
    _, result = opt.stylize(rgb)
    runtime.synchronize()
    seconds = time.perf_counter() - start
    last = options.optim.scales - 1
    final = [(t - start, loss) for t, loss, s in trace if s == last]
    return {
        "seconds": seconds,
        "iters": len(trace),
        "loss": result.losses[-1],
        "final_trace": final,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--iters", type=int, default=None, help="default: 500 on GPU, 30 on CPU")
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--vgg-weights", type=Path, default=SHARED / "weights" / "vgg19-features.pth"
    )
    args = parser.parse_args()
    runtime = Runtime.from_options(args.device)
    gpu = runtime.device.type == "cuda"
    iters = args.iters or (500 if gpu else 30)
    rgb, style = pictures()
    base = Options(
        style=StyleOptions(paths=(style,)),
        optim=OptimOptions(iters=iters, tolerance=0.0),
        runtime=RuntimeOptions(
            device=args.device, vgg_weights=args.vgg_weights if args.vgg_weights.exists() else None
        ),
    )
    variants = {
        "lbfgs": (base, "fp32"),
        "adam": (replace(base, optim=replace(base.optim, optimizer="adam")), "fp32"),
        "lbfgs --scales 3": (replace(base, optim=replace(base.optim, scales=3)), "fp32"),
    }
    if gpu:
        variants["lbfgs bf16"] = (base, "bf16")
    rows = []
    for size in args.sizes:
        h, w = rgb.shape[:2]
        scale = size / max(h, w)
        content = resize(rgb, round(w * scale), round(h * scale))
        ref = None
        for name, (options, precision) in variants.items():
            r = run_variant(content, options, Runtime(runtime.device, precision))
            ref = ref or r
            reach = next((t for t, loss in r["final_trace"] if loss <= ref["loss"]), None)
            rows.append(
                [
                    f"{content.shape[1]}x{content.shape[0]}",
                    name,
                    r["iters"],
                    f"{r['seconds']:.2f}",
                    f"{r['iters'] / r['seconds']:.2f}",
                    f"{r['loss']:.4f}",
                    f"{r['seconds'] / ref['seconds']:.2f}",
                    "-" if reach is None else f"{reach:.2f}",
                ]
            )
            print(rows[-1], flush=True)
    header = ["size", "variant", "iters", "seconds", "it/s", "final loss", "time ratio vs lbfgs",
              "s to reach lbfgs final loss"]  # fmt: skip
    notes = f"{iters} iterations at the finest scale (a quarter at each coarser one), no early stop"
    append("image.py: optimization per picture", table(header, rows), device_name(runtime.device),
           notes=notes)  # fmt: skip


if __name__ == "__main__":
    main()
