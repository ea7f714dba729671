"""Video stylization by optimization: seconds per frame, flicker and style per method,
before and after a change, in one run.

Variants, on one clip so the figures compare: per-frame independent (init content);
prev-warped initialization only (temporal weight 0); single pass with the short-term
loss; ``--scales 2``; long-term terms (J = 1,10,20,40, shrunk in proportion for clips
shorter than 40 frames); ``--passes 3``. Flicker is the warping error of
``vstyle.metrics`` (flow on the input; Lai et al.'s masked mean and Ruder et al.'s
all-pixel mean); style distance is against the style picture at the size the optimizer
uses (its long side = the frame's).

With ``--before REF`` the same variants also run on the code of git revision REF
(extracted to a temporary folder with ``git archive``, run in a subprocess beside
this one, one thread each), so the table compares both versions under the same load.
Later passes get ``--pass-iters`` equal to ``--iters`` where the code has that option,
so the versions do equal work.

    python benchmarks/video_optimize.py --width 640 --frames 30 --iters 100   # on a GPU
    python benchmarks/video_optimize.py --frames 60 --width 64 --iters 8 --before main
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import fields, replace
from pathlib import Path

import av
import numpy as np

from vstyle.device import Runtime
from vstyle.frames import Frame, to_tensor
from vstyle.io.image import read_image, resize
from vstyle.losses.distances import gram_distance, style_grams
from vstyle.metrics import warping_error
from vstyle.nets.vgg import VGGFeatures
from vstyle.nets.weights import find_weights, load_state
from vstyle.optimize.stylizer import FrameOptimizer
from vstyle.optimize.video import VideoOptimizer
from vstyle.options import (
    DEFAULT_STYLE_LAYERS,
    OptimOptions,
    Options,
    RuntimeOptions,
    StyleOptions,
    TemporalOptions,
)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "assets"


def decode(path: Path, count: int, width: int) -> list[Frame]:
    """The first ``count`` frames of ``path``, resized to ``width`` (even height)."""
    frames: list[Frame] = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            rgb = frame.to_ndarray(format="rgb24")
            h, w = rgb.shape[:2]
            small = resize(rgb, width, max(2, round(h * width / w / 2) * 2))
            frames.append(Frame(len(frames), small, frame.pts, frame.time_base))
            if len(frames) == count:
                break
    return frames


def long_term_offsets(count: int) -> tuple[int, ...]:
    """J = 1, 10, 20, 40, shrunk in proportion for clips shorter than 40 frames."""
    k = min(1.0, count / 40)
    return tuple(sorted({1, *(max(j // 10 + 1, round(j * k)) for j in (10, 20, 40))}))


def variants(base: Options, count: int) -> dict[str, tuple[type, Options]]:
    per_frame = replace(
        base, optim=replace(base.optim, init="content"), temporal=TemporalOptions(enabled=False)
    )
    weight, offsets = TemporalOptions.weight, long_term_offsets(count)
    has_pass_iters = "pass_iters" in {f.name for f in fields(TemporalOptions)}

    def temporal(**changes: object) -> Options:
        return replace(base, temporal=TemporalOptions(**changes))

    passes = {"passes": 3} | ({"pass_iters": base.optim.iters} if has_pass_iters else {})
    return {
        "per-frame (init content)": (FrameOptimizer, per_frame),
        "prev-warped init only": (VideoOptimizer, temporal(weight=0.0)),
        f"single pass, short-term (w={weight:g})": (VideoOptimizer, base),
        "--scales 2": (VideoOptimizer, replace(base, optim=replace(base.optim, scales=2))),
        "--long-term " + ",".join(map(str, offsets)): (
            VideoOptimizer,
            temporal(long_term=offsets),
        ),
        "--passes 3": (VideoOptimizer, temporal(**passes)),
    }


def measure(args: argparse.Namespace) -> list[dict]:
    """Run every variant on this checkout's code; one dict of figures per variant."""
    runtime = Runtime.from_options(args.device)
    frames = decode(args.clip, args.frames, args.width)
    weights = args.vgg_weights if args.vgg_weights.exists() else None
    base = Options(
        style=StyleOptions(paths=(args.style,)),
        optim=OptimOptions(iters=args.iters, init="prev-warped"),
        runtime=RuntimeOptions(device=args.device, vgg_weights=weights),
    )
    features = runtime.prepare(VGGFeatures(load_state(find_weights(weights)), DEFAULT_STYLE_LAYERS))
    style = read_image(args.style)
    k = max(frames[0].size) / max(style.shape[:2])
    style_t = runtime.tensor(
        to_tensor(resize(style, round(style.shape[1] * k), round(style.shape[0] * k)))
    )
    grams = style_grams(style_t, features)
    rows = []
    for name, (kind, options) in variants(base, len(frames)).items():
        if args.only and not any(s in name for s in args.only):
            continue
        stylizer = kind(options, runtime)
        runtime.synchronize()
        start = time.perf_counter()
        out = list(stylizer(iter(frames)))
        runtime.synchronize()
        m = warping_error(frames, out)
        sd = np.mean(
            [gram_distance(runtime.tensor(to_tensor(f.rgb)), grams, features) for f in out]
        )
        rows.append(
            {
                "variant": name,
                "s/frame": (time.perf_counter() - start) / len(frames),
                "lai": m.warp_error,
                "ruder": m.warp_error_all,
                "style": float(sd),
                "input": m.input_warp_error,
                "size": list(frames[0].size),
                "frames": len(frames),
            }
        )
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return rows


def start_at(ref: str, argv: list[str], tmp: str) -> subprocess.Popen:
    """Start the same measurement on git revision ``ref``'s code, in a subprocess.

    It runs beside this process's own measurement (one thread each), so both see the
    same machine load; :func:`finish` collects its figures.
    """
    archive = subprocess.run(
        ["git", "archive", ref, "vstyle"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
    return subprocess.Popen(
        [sys.executable, __file__, *argv, "--worker"],
        env=os.environ | {"PYTHONPATH": tmp},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(ref: str, worker: subprocess.Popen) -> list[dict]:
    out, err = worker.communicate()
    if worker.returncode != 0:
        raise RuntimeError(f"the run on {ref} failed:\n{err[-3000:]}")
    return json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=SHARED / "video" / "carphone_pristine.mp4")
    parser.add_argument("--style", type=Path, default=SHARED / "styles" / "starry_night.jpg")
    parser.add_argument("--frames", type=int, default=12)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--iters", type=int, default=20)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--only", nargs="*", help="run only variants whose name contains these")
    parser.add_argument("--before", help="also run git revision REF's code (e.g. main)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--vgg-weights", type=Path, default=SHARED / "weights" / "vgg19-features.pth"
    )
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(args)))
        return
    argv = [a for a in sys.argv[1:] if a != "--before" and a != args.before]
    versions: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="vstyle-before-") as tmp:
        worker = start_at(args.before, argv, tmp) if args.before else None
        after = measure(args)
        if worker is not None:
            versions["before"] = finish(args.before, worker)
    versions["after"] = after
    from results import append, commit, device_name, table  # the worker runs without it

    rows = [
        [version if args.before else "", r["variant"], f"{r['s/frame']:.2f}",
         f"{r['lai']:.5f}", f"{r['ruder']:.5f}", f"{r['style']:.3f}"]
        for version, figures in versions.items() for r in figures
    ]  # fmt: skip
    header = ["code", "variant", "s/frame", "warp error (Lai)", "warp error all (Ruder)",
              "style distance"]  # fmt: skip
    first = versions["after"][0]
    w, h = first["size"]
    before = f"before = {args.before}, after = {commit()} (working tree); " if args.before else ""
    notes = (f"{before}{args.clip.name}, {first['frames']} frames at {w}x{h}, {args.style.name}, "
             f"{args.iters} iterations per frame ({2 * args.iters} first, {args.iters} per later "
             f"pass), L-BFGS; input's own warp error {first['input']:.5f}")  # fmt: skip
    runtime = Runtime.from_options(args.device)
    append(
        "video_optimize.py: temporal video optimization",
        table(header, rows),
        device_name(runtime.device),
        notes,
    )


if __name__ == "__main__":
    main()
