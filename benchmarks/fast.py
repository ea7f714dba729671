"""Engine benchmark: frames per second of the feed-forward nets by engine x precision.

Method: random-weight nets (speed does not depend on the weights) of each
``--widths`` at each ``--sizes``; network only: a (``--batch``, 3, H, W) batch
already on the device, the median (and min/max) over ``--repeats`` calls after two
warm-up calls (the first compiles for ``compile``, builds for ``tensorrt``);
end to end: ``vstyle.pipeline.run`` file to file on a generated clip of
``--frames`` frames (decode, resize, net, encode with libx264 ultrafast), the
frames written divided by the run's wall time, engine build included. eager fp32 is
the baseline column. Quality: each lower precision's picture against fp32's (PSNR,
largest difference) with the trained lengstrom models in ../shared, on chelsea at
320x240, when they are there. Appends a table to RESULTS.md.

    python benchmarks/engines.py                                   # CPU figures
    python benchmarks/engines.py --device cuda --sizes 1920x1080 1280x720 640x360 \
        --engines eager compile onnx tensorrt --precisions fp32 fp16 --batch 8
"""

from __future__ import annotations

import argparse
import copy
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import av
import numpy as np
import torch
from results import append, device_name, table

from vstyle import engines
from vstyle.device import Runtime
from vstyle.io.image import read_image
from vstyle.nets.lengstrom import LengstromNet, read_lengstrom
from vstyle.nets.modelfile import ModelInfo, save_model
from vstyle.nets.transformer import TransformerNet
from vstyle.options import FastOptions, IOOptions, Options
from vstyle.pipeline import run


def network_fps(engine, batch: torch.Tensor, repeats: int, runtime: Runtime) -> list[float]:
    for _ in range(2):
        engine(batch)
    runtime.synchronize()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        engine(batch)
        runtime.synchronize()
        times.append(time.perf_counter() - start)
    n = batch.shape[0]
    return [n / statistics.median(times), n / max(times), n / min(times)]


def make_clip(path: Path, size: tuple[int, int], frames: int) -> Path:
    rng = np.random.default_rng(0)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = *size, "yuv420p"
        stream.codec_context.options = {"preset": "ultrafast"}
        base = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
        for i in range(frames):
            rgb = np.ascontiguousarray(np.roll(base, 2 * i, axis=1))
            out.mux(stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
        out.mux(stream.encode())
    return path


def end_to_end_fps(model: Path, clip: Path, engine: str, precision: str, args) -> float:
    options = Options(
        input=clip, output=clip.with_name(f"out-{engine}-{precision}.mp4"), overwrite=True,
        fast=FastOptions(model=model, engine=engine, batch=args.batch),
        io=IOOptions(preset="ultrafast"),
    )  # fmt: skip
    options = replace(options, runtime=replace(options.runtime, device=args.device,
                                               precision=precision))  # fmt: skip
    report = run(options)
    return report.frames / report.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--sizes", nargs="+", default=["320x240"])
    parser.add_argument("--widths", nargs="+", type=float, default=[0.5, 1.0])
    parser.add_argument("--engines", nargs="+", default=["eager", "compile", "onnx"])
    parser.add_argument("--precisions", nargs="+", default=["fp32", "bf16"])
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--frames", type=int, default=60)
    args = parser.parse_args()
    torch.manual_seed(0)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for text in args.sizes:
            size = tuple(int(v) for v in text.split("x"))
            clip = make_clip(Path(tmp) / f"clip-{text}.mp4", size, args.frames)
            for width in args.widths:
                net = TransformerNet(width).eval()
                model = save_model(Path(tmp) / f"w{width}.vsm", net, ModelInfo("vstyle", width),
                                   overwrite=True)  # fmt: skip
                rows += bench(net, model, clip, size, width, args)
    header = ["size", "width", "engine", "precision", "net fps (median)", "min-max",
              "x eager fp32", "end-to-end fps"]  # fmt: skip
    body = table(header, rows) + quality(args.precisions)
    append(
        "engines.py: feed-forward nets by engine and precision",
        body,
        device_name(args.device),
        f"batch {args.batch}, {args.repeats} timed calls after 2 warm-ups; end to end: "
        f"{args.frames}-frame generated clip, libx264 ultrafast, engine build included",
    )


def bench(net, model: Path, clip: Path, size, width: float, args) -> list[list[object]]:
    runtime = Runtime.from_options(args.device)
    batch = torch.rand(args.batch, 3, size[1], size[0], device=runtime.device)
    rows, baseline = [], None
    for name in args.engines:
        for precision in args.precisions:
            try:
                engine = engines.build(net, runtime, name, size, precision, args.batch)
            except Exception as exc:  # a combination this machine cannot run: say why
                rows.append([f"{size[0]}x{size[1]}", width, name, precision,
                             f"n/a ({str(exc)[:60]})", "", "", ""])  # fmt: skip
                continue
            median, low, high = network_fps(engine, batch, args.repeats, runtime)
            baseline = baseline or median  # eager fp32 comes first
            e2e = end_to_end_fps(model, clip, name, precision, args)
            rows.append([
                f"{size[0]}x{size[1]}", width, name, precision, f"{median:.1f}",
                f"{low:.1f}-{high:.1f}", f"{median / baseline:.2f}", f"{e2e:.1f}",
            ])  # fmt: skip
    return rows


SHARED = Path(__file__).resolve().parents[2] / "shared" / "assets"


def quality(precisions: list[str]) -> str:
    """Trained models in a lower precision against fp32 (eager, CPU), as a table."""
    models = sorted((SHARED / "fast-models").glob("*.pth"))
    lower = [p for p in precisions if p != "fp32"]
    if not models or not lower:
        return ""
    picture = read_image(SHARED / "content" / "chelsea.png")
    x = torch.nn.functional.interpolate(
        torch.from_numpy(picture).permute(2, 0, 1)[None].float() / 255, size=(240, 320)
    )
    rows = []
    for path in models:
        net = LengstromNet().eval()
        net.load_state_dict(read_lengstrom(path))
        with torch.no_grad():
            ref = (net(x).clamp(0, 1) * 255).round()
            for precision in lower:
                dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}[precision]
                low = copy.deepcopy(net).to(dtype)(x.to(dtype)).float()
                low = (low.clamp(0, 1) * 255).round()
                mse = float((ref - low).square().mean())
                psnr = 10 * np.log10(255**2 / max(mse, 1e-12))
                diff = (ref - low).abs()
                rows.append([path.stem, precision, f"{psnr:.1f}", int(diff.max()),
                             f"{float(diff.mean()):.2f}"])  # fmt: skip
    header = ["trained model", "precision", "PSNR vs fp32 (dB)", "max diff", "mean abs diff"]
    return "\n\n" + table(header, rows)


if __name__ == "__main__":
    main()
