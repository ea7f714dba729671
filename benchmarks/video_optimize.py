"""Video stylization by optimization: seconds per frame, flicker and style per method.

Variants, on one clip so the figures compare: per-frame independent (init content);
prev-warped initialization only (temporal weight 0); plus the short-term loss; plus
long-term terms (J = 1,10,20, scaled down for short clips); three passes. Flicker is
the warping error of ``vstyle.metrics`` (flow on the input; Lai et al.'s masked mean
and Ruder et al.'s all-pixel mean); style distance is against the style picture at the
size the optimizer uses (its long side = the frame's).

    python benchmarks/video_optimize.py --width 640 --frames 30 --iters 100   # on a GPU
    python benchmarks/video_optimize.py                                       # CPU smoke figures
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import av
import numpy as np
from results import append, device_name, table

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
    """J = 1, 10, 20, shrunk in proportion for clips shorter than 40 frames."""
    k = min(1.0, count / 40)
    return tuple(sorted({1, max(2, round(10 * k)), max(3, round(20 * k))}))


def variants(base: Options, count: int) -> dict[str, tuple[type, Options]]:
    per_frame = replace(
        base, optim=replace(base.optim, init="content"), temporal=TemporalOptions(enabled=False)
    )
    weight, offsets = TemporalOptions.weight, long_term_offsets(count)

    def temporal(**changes: object) -> Options:
        return replace(base, temporal=TemporalOptions(**changes))

    return {
        "per-frame (init content)": (FrameOptimizer, per_frame),
        "prev-warped init only": (VideoOptimizer, temporal(weight=0.0)),
        f"+ short-term (w={weight:g})": (VideoOptimizer, base),
        "+ long-term J=" + ",".join(map(str, offsets)): (
            VideoOptimizer,
            temporal(long_term=offsets),
        ),
        "+ 3 passes (short-term)": (VideoOptimizer, temporal(passes=3)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=SHARED / "video" / "carphone_pristine.mp4")
    parser.add_argument("--style", type=Path, default=SHARED / "styles" / "starry_night.jpg")
    parser.add_argument("--frames", type=int, default=12)
    parser.add_argument("--width", type=int, default=None, help="default: 640 on GPU, 128 on CPU")
    parser.add_argument("--iters", type=int, default=None, help="default: 100 on GPU, 20 on CPU")
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--vgg-weights", type=Path, default=SHARED / "weights" / "vgg19-features.pth"
    )
    args = parser.parse_args()
    runtime = Runtime.from_options(args.device)
    gpu = runtime.device.type == "cuda"
    width, iters = args.width or (640 if gpu else 128), args.iters or (100 if gpu else 20)
    frames = decode(args.clip, args.frames, width)
    weights = args.vgg_weights if args.vgg_weights.exists() else None
    base = Options(
        style=StyleOptions(paths=(args.style,)),
        optim=OptimOptions(iters=iters, init="prev-warped"),
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
        stylizer = kind(options, runtime)
        runtime.synchronize()
        start = time.perf_counter()
        out = list(stylizer(iter(frames)))
        runtime.synchronize()
        seconds = (time.perf_counter() - start) / len(frames)
        m = warping_error(frames, out)
        sd = np.mean(
            [gram_distance(runtime.tensor(to_tensor(f.rgb)), grams, features) for f in out]
        )
        rows.append(
            [name, f"{seconds:.2f}", f"{m.warp_error:.5f}", f"{m.warp_error_all:.5f}", f"{sd:.3f}"]
        )
        print(rows[-1], f"(input floor {m.input_warp_error:.5f})", flush=True)
    header = ["variant", "s/frame", "warp error (Lai)", "warp error all (Ruder)", "style distance"]
    notes = (f"{args.clip.name}, {len(frames)} frames at {frames[0].size[0]}x{frames[0].size[1]}, "
             f"{args.style.name}, {iters} iterations per frame ({2 * iters} first), L-BFGS; "
             f"input's own warp error {m.input_warp_error:.5f}")  # fmt: skip
    append(
        "video_optimize.py: temporal video optimization",
        table(header, rows),
        device_name(runtime.device),
        notes,
    )


if __name__ == "__main__":
    main()
