"""The hybrid start: iterations to reach the plain optimizer's loss from the net's output.

One picture (chelsea), one style (wave.jpg) and the ``wave`` model it was trained on
(imported from ../shared into a temporary ``.vsm``), optimized twice with the same
settings (L-BFGS, one scale, no early stop): from the content (``--init content``)
and from the net's output (``--method optimize --model wave.vsm``). The objective is
recorded per iteration; the table says, for the plain run's loss after 10/20/50/100/200
iterations, the first iteration at which the hybrid run's loss is as low, and the
ratio. Loss "after k iterations" is the objective of the image after k L-BFGS steps
(k = 0: the start), so each run takes one step more than the largest checkpoint.

    PYTHONPATH=. python benchmarks/hybrid.py           # 256 px, checkpoints 10 ... 200
    PYTHONPATH=. python benchmarks/hybrid.py --side 128 --checkpoints 10 20 --json curves.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from results import append, device_name, table

from vstyle.device import Runtime
from vstyle.io.image import processing_size, read_image, resize
from vstyle.models import import_model
from vstyle.optimize.hybrid import network_start
from vstyle.optimize.stylizer import FrameOptimizer
from vstyle.options import (
    FastOptions,
    OptimOptions,
    Options,
    RuntimeOptions,
    SizeOptions,
    StyleOptions,
)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "assets"
FAST = SHARED / "fast-models"


def curve(opt: FrameOptimizer, rgb: np.ndarray, steps: int, runtime: Runtime) -> tuple:
    """The objective after 0..steps-1 iterations, and the seconds the run took."""
    runtime.synchronize()
    start = time.perf_counter()
    _, result = opt.stylize(rgb, iters=steps, stop_early=False)
    runtime.synchronize()
    return result.losses, time.perf_counter() - start


def first_at_most(losses: list[float], target: float) -> int | None:
    """The first iteration whose loss is <= ``target``, None if none is."""
    return next((k for k, loss in enumerate(losses) if loss <= target), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=256, help="long side of the picture")
    parser.add_argument("--checkpoints", type=int, nargs="+", default=[10, 20, 50, 100, 200])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--precision", default="fp32")
    parser.add_argument("--json", type=Path, help="write both curves here")
    args = parser.parse_args()
    needed = [SHARED / "content" / "chelsea.png", FAST / "wave.pth", FAST / "wave.jpg"]
    missing = [str(p) for p in needed if not p.is_file()]
    vgg = SHARED / "weights" / "vgg19-features.pth"
    if missing or not vgg.is_file():
        sys.exit(f"needs ../shared/assets: missing {', '.join(missing or [str(vgg)])}")

    runtime = Runtime.from_options(args.device, args.precision)
    content = read_image(needed[0])
    size = processing_size(content.shape[1], content.shape[0], SizeOptions(max_side=args.side))
    rgb = resize(content, *size)
    steps = max(args.checkpoints) + 1
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "wave.vsm"
        import_model(FAST / "wave.pth", "lengstrom", model, style=FAST / "wave.jpg")
        options = Options(
            method="optimize",
            style=StyleOptions(paths=(FAST / "wave.jpg",)),
            optim=OptimOptions(init="content", tolerance=0.0),
            runtime=RuntimeOptions(args.device, args.precision, vgg),
            fast=FastOptions(model=model, engine="eager"),
        )
        start = network_start(options, runtime, size)
    plain = FrameOptimizer(options, runtime)
    hybrid = FrameOptimizer(options, runtime, start=start)
    plain.stylize(rgb, iters=2)  # warm-up: style targets, kernels, allocator
    hybrid.stylize(rgb, iters=2)
    plain_losses, plain_s = curve(plain, rgb, steps, runtime)
    hybrid_losses, hybrid_s = curve(hybrid, rgb, steps, runtime)

    rows = []
    for n in args.checkpoints:
        k = first_at_most(hybrid_losses, plain_losses[n])
        ratio = f"{n / k:.1f}x" if k else ("n/a" if k is None else "at the start")
        rows.append([n, f"{plain_losses[n]:.4g}", "not reached" if k is None else k, ratio])
    body = table(
        ["plain iterations", "plain loss", "hybrid iterations to reach it", "fewer by"], rows
    )
    marks = sorted({0, 1, 5, 10, 20, *args.checkpoints})
    body += "\n\n" + table(
        ["after k iterations", *map(str, marks)],
        [
            ["content start", *(f"{plain_losses[k]:.4g}" for k in marks)],
            ["net start (hybrid)", *(f"{hybrid_losses[k]:.4g}" for k in marks)],
        ],
    )
    notes = (
        f"chelsea at {size[0]}x{size[1]}, style wave.jpg, model wave (lengstrom, eager), "
        f"L-BFGS, 1 scale, default loss weights, {args.precision}, no early stop; "
        f"{steps} steps each: plain {plain_s:.1f}s, hybrid {hybrid_s:.1f}s (net included)"
    )
    append("hybrid.py: optimizer started from the net's output", body, device_name(runtime.device),
           notes)  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps({"plain": plain_losses, "hybrid": hybrid_losses}))


if __name__ == "__main__":
    main()
