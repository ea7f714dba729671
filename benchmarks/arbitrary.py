"""Per-style network vs style swap vs AdaIN vs Gatys, side by side (issue 11's benchmark).

The seed paper's comparison, measured in one run on the same clip, styles and device:

- ``fast``: a per-style feed-forward net (the lengstrom models in ../shared/assets/fast-models,
  imported at run time; their training was not done here);
- ``swap-opt``: Chen & Schmidt's style swap by optimization (``--method swap``);
- ``swap-net`` and ``adain-net``: an inverse network (``vstyle train --arbitrary``), trained
  here for ``--train-steps`` on ../shared/assets/train with the paintings of
  ../shared/assets/styles, minus the benchmark's own styles (they stay unseen), into a
  temporary folder that is deleted afterwards;
- ``gatys``: Gatys et al.'s optimization (``--method optimize``).

Columns: the training time (and steps) of each method's model; stylizer frames/s at 360p
and 720p, frames in memory (conversions and the method, no decode or encode): for the nets
``--speed-frames`` timed after a warm-up frame; for the optimizers a frame of ``--iters``
iterations, from a timed frame of none (content targets, the swap) plus ``--iters`` times
the time of one iteration (from ``--speed-iters`` timed), and only up to
``--optimizer-max-side`` (720p takes minutes a frame on a CPU); style distance (Gram,
relu1_1..relu5_1, against the style at the frame's long side) and content distance
(relu4_2, against the input frame), means over frames and styles; the temporal warping error of
``vstyle.metrics`` (Lai et al.), plain and made coherent: ``--stabilize`` for the nets,
the temporal engine (warped start and short-term loss) for the optimizers, which refuse
``--stabilize``. Gatys minimizes the Gram distance it is scored by; the others do not.

    python benchmarks/arbitrary.py                       # ~10 min on a loaded 2-core CPU:
                                                         # 40-step decoders, barely trained
    python benchmarks/arbitrary.py --train-steps 20000 --train-size 256 --train-batch 8 \\
        --width 640 --iters 100 --device cuda            # a GPU, a decoder worth the name
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from results import append, device_name, table
from video_optimize import decode  # the same frames the optimizer benchmark reads

from vstyle.device import Runtime
from vstyle.fast import prepare_fast
from vstyle.frames import Frame, to_tensor
from vstyle.io.image import read_image, resize
from vstyle.losses.distances import content_distance, gram_distance, style_grams
from vstyle.metrics import warping_error
from vstyle.models import import_model
from vstyle.nets.vgg import VGGFeatures
from vstyle.nets.weights import load_state
from vstyle.options import (
    DEFAULT_CONTENT_LAYERS,
    DEFAULT_STYLE_LAYERS,
    ArbitraryOptions,
    FastOptions,
    OptimOptions,
    Options,
    RuntimeOptions,
    StyleOptions,
    TemporalOptions,
    TrainOptions,
    resolve_init,
)
from vstyle.pipeline import Hooks, build_stylizer
from vstyle.train import train

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "assets"
# The lengstrom models and the pictures they were trained on, which every method gets;
# the same paintings are left out of the inverse nets' training (styles/ names them so).
HELD_OUT = {"wave": ("great_wave", "wave"), "udnie": ("udnie",)}


@dataclass
class Method:
    """One row: how to build its options, and what its model cost to train."""

    name: str
    options: Callable[[Path, bool], Options]  # (style picture, coherent) -> options
    training: str = "none (any style)"
    optimizes: bool = False
    quality: list[tuple[float, float, float, float]] = field(default_factory=list)


def stylize(options: Options, runtime: Runtime, frames: list[Frame]) -> list[Frame]:
    """``frames`` through the stylizer ``vstyle`` would build for ``options``."""
    size = (frames[0].rgb.shape[1], frames[0].rgb.shape[0])
    options = resolve_init(options, video=len(frames) > 1)
    if options.fast.model is not None:
        runtime = prepare_fast(options, runtime)
    stylizer = build_stylizer(options, runtime, size, Hooks(), len(frames))
    return list(stylizer(iter(frames)))


class Scorer:
    """Style and content distances with the full VGG-19 (fp32), styles' Grams cached."""

    def __init__(self, vgg: Path, runtime: Runtime) -> None:
        layers = DEFAULT_STYLE_LAYERS + DEFAULT_CONTENT_LAYERS
        self.runtime = runtime
        self.features = runtime.prepare(VGGFeatures(load_state(vgg), layers))
        self.grams: dict[tuple[Path, int], dict[str, torch.Tensor]] = {}

    def __call__(self, style: Path, inputs: list[Frame], outputs: list[Frame]) -> tuple:
        side = max(outputs[0].rgb.shape[:2])
        if (style, side) not in self.grams:
            rgb = read_image(style, "style")
            k = side / max(rgb.shape[:2])
            small = resize(rgb, round(rgb.shape[1] * k), round(rgb.shape[0] * k))
            self.grams[style, side] = style_grams(self.tensor(small), self.features)
        grams, f = self.grams[style, side], self.features
        s = [gram_distance(self.tensor(o.rgb), grams, f) for o in outputs]
        c = [content_distance(self.tensor(o.rgb), self.tensor(i.rgb), f) for i, o in
             zip(inputs, outputs, strict=True)]  # fmt: skip
        return statistics.mean(s), statistics.mean(c)

    def tensor(self, rgb: np.ndarray) -> torch.Tensor:
        return self.runtime.tensor(to_tensor(rgb))


def net_fps(options: Options, runtime: Runtime, frame: Frame, size: tuple, count: int) -> float:
    """Frames/s of a feed-forward stylizer at ``size``, the first (warm-up) frame not timed."""
    big = frame.with_rgb(resize(frame.rgb, *size))
    frames = [replace(big, index=i) for i in range(count + 1)]
    options = replace(options, fast=replace(options.fast, stabilize=False))
    stylizer = build_stylizer(options, prepare_fast(options, runtime), size, Hooks(), len(frames))
    out = stylizer(iter(frames))
    next(out)
    start = time.perf_counter()
    done = sum(1 for _ in out)
    return done / (time.perf_counter() - start)


def optimizer_fps(options: Options, runtime: Runtime, frame: Frame, size: tuple, k: int) -> float:
    """Frames/s of a picture optimizer at ``size`` with ``--iters`` iterations: a frame of
    none (content targets, the swap) plus ``--iters`` times the time of one iteration,
    timed over ``k`` after a warm-up that also builds the style's targets."""
    rgb = resize(frame.rgb, *size)
    engine = build_stylizer(resolve_init(options, False), runtime, size, Hooks(), 1)
    engine.stylize(rgb, iters=0)  # style targets, allocations: once per run
    start = time.perf_counter()
    engine.stylize(rgb, iters=0)
    fixed = time.perf_counter() - start
    start = time.perf_counter()
    engine.stylize(rgb, iters=k, stop_early=False)
    per_iteration = max(time.perf_counter() - start - fixed, 0.0) / k
    return 1 / (fixed + options.optim.iters * per_iteration)


def paintings_without(names: list[str], folder: Path) -> Path:
    """``folder`` of links to the training paintings, the benchmark's own styles left out."""
    folder.mkdir()
    held_out = {stem for name in names for stem in HELD_OUT[name]}
    for path in sorted((SHARED / "styles").iterdir()):
        if path.suffix.lower() in (".jpg", ".jpeg", ".png") and path.stem not in held_out:
            (folder / path.name).symlink_to(path)
    return folder


def train_decoder(op: str, args: argparse.Namespace, vgg: Path, work: Path) -> tuple[Path, str]:
    """An inverse net trained here for ``--train-steps``: the model and how it was made."""
    options = TrainOptions(
        data=SHARED / "train", out=work / f"inverse-{op}.vsm", arbitrary=True,
        styles=work / "paintings", op=op, size=args.train_size, batch=args.train_batch,
        steps=args.train_steps, checkpoint_every=args.train_steps, device=args.device,
        precision=args.precision, vgg_weights=vgg, seed=0,
    )  # fmt: skip
    result = train(options, lambda s: s.step % 10 or print(f"  {op} step {s.step}", flush=True))
    first, last = (statistics.mean(result.losses[s]) for s in (slice(0, 5), slice(-5, None)))
    text = (
        f"{result.seconds:.0f} s ({args.train_steps} steps of {args.train_batch} crops "
        f"of {args.train_size} px; loss {first:.3g} -> {last:.3g})"
    )
    print(f"trained the {op} decoder: {text}", flush=True)
    return options.out, text


def methods(args: argparse.Namespace, vgg: Path, work: Path) -> list[Method]:
    """The five methods, their models imported or trained into ``work``."""
    runtime = RuntimeOptions(device=args.device, precision=args.precision, vgg_weights=vgg)
    optim = OptimOptions(iters=args.iters, tolerance=0.0)
    arbitrary = ArbitraryOptions(style_size=args.style_size)

    def base(style: Path, coherent: bool, **changes: object) -> Options:
        o = Options(style=StyleOptions(paths=(style,)), optim=optim, runtime=runtime,
                    arbitrary=arbitrary, temporal=TemporalOptions(enabled=coherent))  # fmt: skip
        return replace(o, **changes)

    def net(model: Path, style: Path, coherent: bool, **changes: object) -> Options:
        fast = FastOptions(model=model, engine=args.engine, stabilize=coherent)
        return base(style, False, fast=fast, **changes)

    for name in args.styles:
        import_model(SHARED / "fast-models" / f"{name}.pth", "lengstrom", work / f"{name}.vsm")
    paintings_without(args.styles, work / "paintings")
    swap_model, swap_text = train_decoder("swap", args, vgg, work)
    adain_model, adain_text = train_decoder("adain", args, vgg, work)

    def fast(style: Path, coherent: bool) -> Options:  # one model per style, no --style
        return replace(net(work / f"{style.stem}.vsm", style, coherent), style=StyleOptions())

    return [
        Method("fast", fast, "not here (lengstrom's model, one per style)"),
        Method("swap-opt", lambda s, c: base(s, c, method="swap"), optimizes=True),
        Method("swap-net", lambda s, c: net(swap_model, s, c, method="swap"), swap_text),
        Method("adain-net", lambda s, c: net(adain_model, s, c), adain_text),
        Method("gatys", lambda s, c: base(s, c, method="optimize"), optimizes=True),
    ]


def measure(method: Method, args: argparse.Namespace, frames: list[Frame], scorer: Scorer):
    """Quality on the clip for every style, then speed at 360p and 720p (first style)."""
    runtime = Runtime.from_options(args.device, args.precision)
    for name in args.styles:
        style = SHARED / "fast-models" / f"{name}.jpg"
        plain = stylize(method.options(style, False), runtime, frames)
        coherent = stylize(method.options(style, True), runtime, frames)
        s, c = scorer(style, frames, plain)
        e0, e1 = (warping_error(frames, out).warp_error for out in (plain, coherent))
        method.quality.append((s, c, e0, e1))
        print(f"{method.name} {name}: style {s:.4g} content {c:.4g} warp {e0:.4g} -> {e1:.4g}",
              flush=True)  # fmt: skip
    options = method.options(SHARED / "fast-models" / f"{args.styles[0]}.jpg", False)
    fps = []
    for size in args.sizes:
        if not method.optimizes:
            fps.append(f"{net_fps(options, runtime, frames[0], size, args.speed_frames):.3g}")
        elif max(size) <= args.optimizer_max_side:
            fps.append(f"{optimizer_fps(options, runtime, frames[0], size, args.speed_iters):.2g}")
        else:
            fps.append("not run")
        print(f"{method.name} {size[0]}x{size[1]}: {fps[-1]} fps", flush=True)
    return fps


def row(method: Method, fps: list[str]) -> list[object]:
    means = [statistics.mean(q[i] for q in method.quality) for i in range(4)]
    return [method.name, method.training, *fps, *(f"{m:.4g}" for m in means)]


def sizes(text: str) -> list[tuple[int, int]]:
    """``640x360,1280x720`` -> [(640, 360), (1280, 720)]."""
    return [tuple(int(n) for n in size.split("x")) for size in text.split(",")]  # type: ignore[misc]


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clip", type=Path, default=SHARED / "video" / "carphone_pristine.mp4")
    p.add_argument("--frames", type=int, default=4)
    p.add_argument("--width", type=int, default=96, help="quality runs' frame width")
    p.add_argument("--styles", nargs="+", default=list(HELD_OUT), choices=list(HELD_OUT))
    p.add_argument("--iters", type=int, default=10, help="optimizers: iterations per frame")
    p.add_argument("--style-size", type=int, default=128)
    p.add_argument("--train-steps", type=int, default=40)
    p.add_argument("--train-size", type=int, default=64)
    p.add_argument("--train-batch", type=int, default=1)
    p.add_argument("--sizes", type=sizes, default=sizes("640x360,1280x720"))
    p.add_argument("--speed-frames", type=int, default=1, help="nets: timed frames a size")
    p.add_argument(
        "--optimizer-max-side",
        type=int,
        default=640,
        help="optimizers: time sizes up to this long side only (720p: minutes here)",
    )
    p.add_argument("--speed-iters", type=int, default=1, help="optimizers: timed iterations")
    p.add_argument("--vgg-weights", type=Path, default=SHARED / "weights" / "vgg19-features.pth")
    p.add_argument("--engine", default="eager")
    p.add_argument("--device", default="cpu")
    p.add_argument("--precision", default="fp32")
    p.add_argument("--threads", type=int, default=0, help="torch threads; 0: torch's default")
    return p.parse_args()


def main() -> None:
    args = parse()
    needed = (SHARED / "train", SHARED / "styles", args.clip, args.vgg_weights)
    missing = [p for p in needed if not p.exists()]
    missing += [SHARED / "fast-models" / f"{n}{e}" for n in args.styles for e in (".pth", ".jpg")
                if not (SHARED / "fast-models" / f"{n}{e}").exists()]  # fmt: skip
    if missing:
        print(f"skipped: shared assets not found: {', '.join(map(str, missing))}")
        return
    if args.threads:
        torch.set_num_threads(args.threads)
    vgg = args.vgg_weights
    frames = decode(args.clip, args.frames, args.width)
    scorer = Scorer(vgg, Runtime.from_options(args.device, "fp32"))
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="vstyle-arbitrary-") as tmp:
        rows = [row(m, measure(m, args, frames, scorer)) for m in methods(args, vgg, Path(tmp))]
    floor = warping_error(frames, frames).input_warp_error
    rows.append(["input (no style)", "", *([""] * len(args.sizes)), "", "0", f"{floor:.4g}",
                 f"{floor:.4g}"])  # fmt: skip
    header = ["method", "training", *(f"fps {w}x{h}" for w, h in args.sizes), "style distance",
              "content distance", "warp error", "warp error, coherent"]  # fmt: skip
    h, w = frames[0].rgb.shape[:2]
    notes = (
        f"clip {args.clip.name}, {len(frames)} frames at {w}x{h}; styles "
        f"{', '.join(args.styles)} (the lengstrom models' own pictures, held out of the "
        f"decoders' training); optimizers {args.iters} iterations a frame (L-BFGS); "
        f"--style-size {args.style_size}; {args.precision}, engine {args.engine}; "
        f"whole run {time.perf_counter() - start:.0f} s; the swap decoder, trained first, pays "
        "the warm-up; decoders of a few CPU minutes are poor, their distances show it"
    )
    append("arbitrary.py: per-style net vs style swap vs AdaIN vs Gatys", table(header, rows),
           device_name(args.device), notes)  # fmt: skip


if __name__ == "__main__":
    main()
