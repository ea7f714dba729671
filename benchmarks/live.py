"""Live-mode benchmark: frames per second shown and capture-to-output latency.

Method: a generated clip (a smooth gradient with a moving square, ``--rate`` fps)
stands in for the camera through ``--source --loop``, paced at its own rate as a
camera would deliver it; ``vstyle live`` paints it with random-weight nets (speed does
not depend on the weights) of each ``--widths`` (0.5 the slim net, 1.0 the full one)
at each ``--sizes``, for ``--seconds`` after a one-second warm-up run, with no window
and no output, so the figures are capture + resize + net + hand-over. fps is frames
shown over wall time; latency is per frame from capture to output, mean and 95th
percentile; dropped counts camera frames replaced before the painter took them.
"net alone fps" times the same engine on one frame right after each run, under the
same machine load, as the ceiling the live loop is measured against.
Appends a table to RESULTS.md.

    python benchmarks/live.py                                  # CPU: 320x240 and 640x480
    python benchmarks/live.py --device cuda --sizes 1280x720 --rate 60 --widths 1.0
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import av
import numpy as np
import torch
from results import append, device_name, table

from vstyle.live.session import LiveRun
from vstyle.nets.modelfile import ModelInfo, save_model
from vstyle.nets.transformer import TransformerNet
from vstyle.options import FastOptions, LiveOptions, Options, RuntimeOptions

AIM = "slim net at 320x240: >= 10 fps with p95 latency < 150 ms (CPU aim of issue 10)"


def make_clip(path: Path, size: tuple[int, int], rate: int, frames: int = 60) -> Path:
    width, height = size
    y, x = np.mgrid[0:height, 0:width]
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.options = {"preset": "ultrafast", "crf": "18"}
        for i in range(frames):
            rgb = np.stack([(x + 3 * i) % 256, (y + 2 * i) % 256, 0 * x + 96], -1)
            rgb = rgb.astype(np.uint8)
            rgb[(4 * i) % (height - 32) :][:32, (6 * i) % (width - 32) :][:, :32] = 240
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


def measure(model: Path, clip: Path, args: argparse.Namespace, seconds: float) -> dict:
    options = Options(
        runtime=RuntimeOptions(device=args.device, precision=args.precision),
        fast=FastOptions(model=model, engine=args.engine),
        live=LiveOptions(
            models=(model,), source=str(clip), loop=True, window=False, duration=seconds
        ),
    )
    with LiveRun(options) as run:
        summary = run.run()
        engine = run.painter.stylizers[0].engine
        bare = net_fps(engine, run.size)  # right after, under the same load
    return {"summary": summary, "engine": f"{engine.name} {engine.precision}", "net": bare}


def net_fps(run_engine, size: tuple[int, int], calls: int = 10) -> float:
    """The bare network's frames per second on this machine now (the live loop's ceiling)."""
    x = torch.rand(1, 3, size[1], size[0])
    run_engine(x)
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        run_engine(x)
        times.append(time.perf_counter() - start)
    return 1 / statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--sizes", nargs="+", default=["320x240", "640x480"])
    parser.add_argument("--widths", nargs="+", type=float, default=[0.5, 1.0])
    parser.add_argument("--engine", default="auto")
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--rate", type=int, default=30, help="camera frames per second")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--notes", default="")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for text in args.sizes:
            size = tuple(int(v) for v in text.split("x"))
            clip = make_clip(Path(tmp) / f"camera-{text}.mp4", size, args.rate)
            for width in args.widths:
                torch.manual_seed(0)
                model = save_model(
                    Path(tmp) / f"w{width}.vsm", TransformerNet(width).eval(),
                    ModelInfo("vstyle", width), overwrite=True,
                )  # fmt: skip
                measure(model, clip, args, 1.0)  # warm-up: first calls, caches
                result = measure(model, clip, args, args.seconds)
                s = result["summary"]
                rows.append([text, f"{width:g}", result["engine"], f"{result['net']:.1f}",
                             f"{s.fps:.1f}", f"{s.mean_ms:.0f}", f"{s.p95_ms:.0f}",
                             s.shown, s.dropped])  # fmt: skip
                print(rows[-1], flush=True)
    header = ["size", "width", "engine", "net alone fps", "live fps", "latency mean ms",
              "latency p95 ms", "shown", "dropped"]  # fmt: skip
    notes = (
        f"random-weight nets; source paced at {args.rate} fps (so fps <= {args.rate}); "
        f"{args.seconds:g} s each after a 1 s warm-up; aim: {AIM}. {args.notes}"
    ).strip()
    append("Live mode (benchmarks/live.py)", table(header, rows), device_name(args.device), notes)


if __name__ == "__main__":
    main()
