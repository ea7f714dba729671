"""Flicker and style of the fast path on a real clip, beside the optimizer (for fast.py).

The two trained lengstrom models in ../shared/assets/fast-models are imported at run
time into temporary ``.vsm`` files (as ``vstyle models import`` does). Each stylizes
the first ``--quality-frames`` frames of ``--clip`` at ``--quality-side`` px (long
side) three ways, file to file through ``vstyle.pipeline.run``: the net alone, the
net with ``--stabilize``, and ``--method optimize`` with the model's own style picture
(``--optimize-iters`` per frame, twice that for the first; temporal loss and
prev-warped start on, as by default). Outputs are encoded losslessly (crf 0) so the
encoder's noise does not count as flicker. ``vstyle.metrics.evaluate`` then scores
each against the input: warping error (Lai et al.'s masked mean and Ruder et al.'s
all-pixel mean; flow by DIS on the input) and the style distance to the model's
style picture (and the content distance to the input), VGG in fp32.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from results import table

from vstyle.metrics import evaluate
from vstyle.models import import_model
from vstyle.options import (
    FastOptions,
    IOOptions,
    OptimOptions,
    Options,
    RuntimeOptions,
    SizeOptions,
    StyleOptions,
)
from vstyle.pipeline import run

SHARED = Path(__file__).resolve().parents[2] / "shared" / "assets"
VGG = SHARED / "weights" / "vgg19-features.pth"


def variants(vsm: Path, style: Path, base: Options, iters: int) -> dict[str, Options]:
    """The three ways of stylizing the clip, named as the table shows them."""
    return {
        "fast": replace(base, method="fast", fast=FastOptions(model=vsm)),
        "fast --stabilize": replace(
            base, method="fast", fast=FastOptions(model=vsm, stabilize=True)
        ),
        f"optimize ({iters} it/frame)": replace(
            base,
            method="optimize",
            style=StyleOptions(paths=(style,)),
            optim=OptimOptions(iters=iters),
        ),
    }


def clip_quality(args: argparse.Namespace, tmp: Path) -> str:
    """The quality table (markdown, led by a blank line), or a line saying why not."""
    models = sorted((SHARED / "fast-models").glob("*.pth"))
    missing = [p for p in (args.clip, VGG) if not p.is_file()]
    if not models or missing:
        return f"\n\nQuality on a real clip: skipped ({missing or 'no trained models'} not found)"
    base = Options(
        input=args.clip,
        overwrite=True,
        size=SizeOptions(max_side=args.quality_side),
        io=IOOptions(frames=args.quality_frames, audio=False, crf=0, preset="ultrafast"),
        runtime=RuntimeOptions(device=args.device, vgg_weights=VGG),
    )
    rows, floor = [], None
    for pth in models:
        style = pth.with_suffix(".jpg")
        vsm = tmp / f"{pth.stem}.vsm"
        import_model(pth, "lengstrom", vsm, style, overwrite=True)
        ways = variants(vsm, style, base, args.optimize_iters)
        for i, (name, options) in enumerate(ways.items()):
            out = tmp / f"quality-{pth.stem}-{i}.mp4"
            report = run(replace(options, output=out))
            m = evaluate(args.clip, out, style=style, vgg_weights=VGG,
                         frames=args.quality_frames, device=args.device)  # fmt: skip
            floor = (m.input_warp_error, m.width, m.height, m.frames)
            rows.append([pth.stem, name, f"{report.frames / report.seconds:.2f}",
                         f"{m.warp_error:.5f}", f"{m.warp_error_all:.5f}",
                         f"{m.style_distance:.3f}", f"{m.content_distance:.3f}"])  # fmt: skip
            print(rows[-1], flush=True)
    header = ["model (its style)", "variant", "fps end to end (startup incl.)", "warp error (Lai)",
              "warp error all (Ruder)", "style distance", "content distance"]  # fmt: skip
    error, width, height, frames = floor
    return (
        f"\n\nQuality on `{args.clip.name}`, first {frames} frames at {width}x{height}, "
        f"lossless output; the input's own warp error (Lai) is {error:.5f}:\n\n"
        + table(header, rows)
    )
