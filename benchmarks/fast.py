"""Fast-network benchmark (issue 9): frames/s by engine x precision x width x size,
against eager fp32, the ffmpeg binary and pytorch/examples' net in the same run.

Method, per ``--sizes`` (``240p`` = 320x240, ``360p``, ``720p``, ``1080p`` or WxH):

* Network only: random-weight nets (speed does not depend on the weights) of each
  ``--widths``; a (``--batch``, 3, H, W) batch already on the device, the median (and
  min-max) over ``--repeats`` calls after two warm-ups (the first compiles for
  ``compile``, builds for ``tensorrt``). eager fp32 is the baseline column.
* End to end: ``vstyle.pipeline.run`` file to file on a generated clip of ``--frames``
  frames at that size (decode, net, encode), frames written / the run's wall time,
  engine build included. Frames and repeats shrink with the pixel count (at least 8
  frames and 3 repeats) so 1080p finishes on a CPU.
* Ceiling: the ``ffmpeg`` binary (imageio-ffmpeg's, else PATH) decodes the same clip
  and encodes it with the settings vstyle used (libx264, ``--crf``, ``--preset``,
  yuv420p); process wall time, median of 3. ``/ ffmpeg`` is vstyle's end-to-end fps
  as a fraction of it: what the net leaves of the I/O's speed.
* Peer: pytorch/examples' fast_neural_style ``TransformerNet`` (the same Johnson et
  al. layout at full width), imported at run time from ``--peer PATH`` (its
  ``neural_style/transformer_net.py``; never copied here), run as its ``stylize()``
  does: eager fp32 under ``no_grad``, input scaled to 0-255, same batch and timing.
  The example stylizes pictures only, so its end to end is a plain PyAV loop (decode,
  net, encode with the same settings, no overlap of the three). ``x peer`` compares
  the full-width rows with it (network: timed in turns with each engine, so load
  changes cancel). Without ``--peer`` these columns are left out.
* Quality: see :mod:`fast_quality` (the trained models on a real clip, with and
  without ``--stabilize``, and the optimizer on the same clip); and each lower
  precision's picture against fp32's with the trained models on chelsea.

    python benchmarks/fast.py --peer /tmp/transformer_net.py          # CPU figures
    python benchmarks/fast.py --device cuda --sizes 1080p 720p 360p --batch 8 \
        --engines eager compile onnx tensorrt --precisions fp32 fp16 --peer ...
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import av
import numpy as np
import torch
from fast_quality import SHARED, clip_quality
from results import append, device_name, table

from vstyle import engines
from vstyle.device import Runtime
from vstyle.fast.stylizer import batches
from vstyle.io.image import read_image
from vstyle.nets.lengstrom import LengstromNet, read_lengstrom
from vstyle.nets.modelfile import ModelInfo, save_model
from vstyle.nets.transformer import TransformerNet
from vstyle.options import FastOptions, IOOptions, Options
from vstyle.pipeline import run

SIZES = {"240p": (320, 240), "360p": (640, 360), "720p": (1280, 720), "1080p": (1920, 1080)}
BASE_PIXELS = 320 * 240  # --frames and --repeats are counts at this size


def parse_size(text: str) -> tuple[int, int]:
    """``360p`` and friends, or ``WxH``."""
    if text in SIZES:
        return SIZES[text]
    width, height = text.lower().split("x")
    return int(width), int(height)


def scaled(count: int, size: tuple[int, int], floor: int) -> int:
    """``count`` at 320x240, shrunk in proportion for more pixels (never grown), >= ``floor``."""
    return max(floor, min(count, round(count * BASE_PIXELS / (size[0] * size[1]))))


def network_fps(calls: list, batch: torch.Tensor, repeats: int, runtime: Runtime) -> list:
    """[median, slowest, fastest] frames/s of each of ``calls`` on ``batch``.

    After two warm-ups each, the calls are timed in turns, so a change of the machine's
    load during the measurement hits all of them alike and their ratio stays fair.
    """
    for call in calls:
        for _ in range(2):
            call(batch)
    runtime.synchronize()
    times: list[list[float]] = [[] for _ in calls]
    for _ in range(repeats):
        for call, spent in zip(calls, times, strict=True):
            start = time.perf_counter()
            call(batch)
            runtime.synchronize()
            spent.append(time.perf_counter() - start)
    n = batch.shape[0]
    return [[n / statistics.median(t), n / max(t), n / min(t)] for t in times]


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


def encoder_io(args: argparse.Namespace) -> IOOptions:
    """The encoder settings every end-to-end run here uses (vstyle's, ffmpeg's, the peer's)."""
    return IOOptions(codec="libx264", crf=args.crf, preset=args.preset, pix_fmt="yuv420p")


def end_to_end_fps(model: Path, clip: Path, engine: str, precision: str, args) -> float:
    options = Options(
        input=clip, output=clip.with_name(f"out-{engine}-{precision}.mp4"), overwrite=True,
        fast=FastOptions(model=model, engine=engine, batch=args.batch), io=encoder_io(args),
    )  # fmt: skip
    options = replace(options, runtime=replace(options.runtime, device=args.device,
                                               precision=precision))  # fmt: skip
    report = run(options)
    return report.frames / report.seconds


def ffmpeg_exe() -> str | None:
    """The ffmpeg binary of imageio-ffmpeg (the dev extra), else the one on PATH."""
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        return shutil.which("ffmpeg")


def ffmpeg_fps(exe: str, clip: Path, frames: int, args) -> float:
    """Median frames/s of 3 runs of ``ffmpeg`` transcoding ``clip`` as vstyle encodes."""
    io = encoder_io(args)
    command = [exe, "-v", "error", "-y", "-i", str(clip), "-an", "-c:v", io.codec,
               "-crf", str(io.crf), "-pix_fmt", io.pix_fmt]  # fmt: skip
    command += ["-preset", io.preset] if io.preset else []
    fps = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([*command, str(clip.with_name("ffmpeg.mp4"))], check=True)
        fps.append(frames / (time.perf_counter() - start))
    return statistics.median(fps)


def load_peer(path: Path) -> torch.nn.Module:
    """pytorch/examples' ``TransformerNet()`` from its ``transformer_net.py``, eval mode."""
    spec = importlib.util.spec_from_file_location("peer_transformer_net", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"--peer '{path}' is not a Python file")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.TransformerNet().eval()


class PeerEngine:
    """The example's ``stylize()``: eager fp32 under ``no_grad`` on 0-255 input."""

    name, precision = "peer", "fp32"

    def __init__(self, net: torch.nn.Module) -> None:
        self.net = net

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return self.net(batch * 255)


def peer_end_to_end_fps(net: torch.nn.Module, clip: Path, args) -> float:
    """A plain PyAV loop around the peer: decode, net, encode as vstyle does; frames/s."""
    start, frames = time.perf_counter(), 0
    io = encoder_io(args)
    with av.open(str(clip)) as source, av.open(str(clip.with_name("peer.mp4")), "w") as sink:
        video = source.streams.video[0]
        video.thread_type = "AUTO"
        stream = sink.add_stream(io.codec, rate=video.average_rate)
        stream.width, stream.height, stream.pix_fmt = video.width, video.height, io.pix_fmt
        stream.codec_context.options = {"crf": str(io.crf)} | (
            {"preset": io.preset} if io.preset else {}
        )
        with torch.no_grad():
            for chunk in batches(source.decode(video), args.batch):
                x = torch.stack([torch.from_numpy(f.to_ndarray(format="rgb24")) for f in chunk])
                y = net(x.permute(0, 3, 1, 2).float()).clamp(0, 255).round().byte()
                for rgb in y.permute(0, 2, 3, 1).contiguous().numpy():
                    sink.mux(stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
                    frames += 1
        sink.mux(stream.encode())
    return frames / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--sizes", nargs="+", default=["240p", "360p"])
    parser.add_argument("--widths", nargs="+", type=float, default=[0.5, 1.0])
    parser.add_argument("--engines", nargs="+", default=["eager", "compile", "onnx"])
    parser.add_argument("--precisions", nargs="+", default=["fp32", "bf16"])
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=10, help="timed calls at 320x240")
    parser.add_argument("--frames", type=int, default=60, help="clip frames at 320x240")
    parser.add_argument("--crf", type=int, default=IOOptions.crf)
    parser.add_argument("--preset", default=None, help="x264 preset (default: x264's, medium)")
    parser.add_argument("--peer", type=Path, help="pytorch/examples' transformer_net.py")
    parser.add_argument("--quality", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--clip", type=Path, default=SHARED / "video" / "carphone_pristine.mp4")
    parser.add_argument("--quality-frames", type=int, default=30)
    parser.add_argument("--quality-side", type=int, default=128)
    parser.add_argument("--optimize-iters", type=int, default=10)
    parser.add_argument("--note", default="", help="added to the notes (e.g. the load)")
    args = parser.parse_args()
    torch.manual_seed(0)
    peer = load_peer(args.peer) if args.peer else None
    exe = ffmpeg_exe()
    rows, ceilings = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for text in args.sizes:
            size = parse_size(text)
            frames = scaled(args.frames, size, 8)
            clip = make_clip(Path(tmp) / f"clip-{text}.mp4", size, frames)
            ceiling = ceiling_row(clip, size, frames, exe, peer, args)
            ceilings.append(ceiling)
            for width in args.widths:
                net = TransformerNet(width).eval()
                model = save_model(Path(tmp) / f"w{width}.vsm", net, ModelInfo("vstyle", width),
                                   overwrite=True)  # fmt: skip
                rows += bench(net, model, clip, size, width, ceiling, peer, args)
        quality = clip_quality(args, Path(tmp)) if args.quality else ""
    header = ["size", "width", "engine", "precision", "net fps (median)", "min-max", "x eager fp32",
              "x peer (net)", "end-to-end fps", "x peer (e2e)", "/ ffmpeg"]  # fmt: skip
    keep = [i for i, h in enumerate(header) if peer or "peer" not in h]
    body = table([header[i] for i in keep], [[r[i] for i in keep] for r in rows])
    ceiling_header = ["size", "frames", "ffmpeg fps", "peer net fps", "peer end-to-end fps"]
    body += "\n\n" + table(ceiling_header, [[c[k] for k in ceiling_header] for c in ceilings])
    body += "\n\n" + "\n".join(aims(rows, peer is not None))
    body += quality + (precision_quality(args.precisions) if args.quality else "")
    preset = args.preset or "default (medium)"
    append(
        "fast.py: feed-forward nets by engine, precision and size",
        body,
        device_name(args.device),
        f"batch {args.batch}; network: {args.repeats} timed calls at 320x240 (fewer, at "
        f"least 3, for more pixels) after 2 warm-ups; end to end: {args.frames}-frame "
        f"generated clip at 320x240 (fewer, at least 8, for more pixels), libx264 crf "
        f"{args.crf} preset {preset} yuv420p for vstyle, ffmpeg and the peer, engine build "
        f"included; random weights; "
        + ("peer: pytorch/examples TransformerNet" if peer else "no --peer: peer columns left out")
        + (f"; {args.note}" if args.note else ""),
    )


def ceiling_row(clip: Path, size, frames: int, exe: str | None, peer, args) -> dict:
    """The size's ffmpeg transcode fps and the peer's fps (network only, end to end)."""
    row = {"size": f"{size[0]}x{size[1]}", "frames": frames, "ffmpeg fps": "n/a (no ffmpeg)",
           "peer net fps": "", "peer end-to-end fps": ""}  # fmt: skip
    if exe:
        row["ffmpeg fps"] = ffmpeg_fps(exe, clip, frames, args)
    if peer is not None:
        runtime = Runtime.from_options(args.device)
        batch = torch.rand(args.batch, 3, size[1], size[0], device=runtime.device)
        repeats = scaled(args.repeats, size, 3)
        row["peer net fps"] = network_fps([PeerEngine(peer)], batch, repeats, runtime)[0][0]
        row["peer end-to-end fps"] = peer_end_to_end_fps(peer, clip, args)
    return {k: f"{v:.1f}" if isinstance(v, float) else v for k, v in row.items()}


def ratio(a: float, b: str) -> str:
    """``a / b`` to 3 significant digits, or empty where ``b`` is not a figure."""
    try:
        return f"{a / float(b):.3g}"
    except ValueError:
        return ""


def bench(net, model: Path, clip: Path, size, width, ceiling, peer, args) -> list[list[object]]:
    runtime = Runtime.from_options(args.device)
    batch = torch.rand(args.batch, 3, size[1], size[0], device=runtime.device)
    repeats = scaled(args.repeats, size, 3)
    rows, baseline = [], None
    # The peer is the full-width net: timed in turns with each full-width engine.
    against = [PeerEngine(peer)] if peer is not None and width == 1.0 else []
    for name in args.engines:
        for precision in args.precisions:
            label = [f"{size[0]}x{size[1]}", width, name, precision]
            try:
                engine = engines.build(net, runtime, name, size, precision, args.batch)
            except Exception as exc:  # a combination this machine cannot run: say why
                rows.append([*label, f"n/a ({str(exc)[:60]})", *[""] * 6])
                continue
            (median, low, high), *paired = network_fps([engine, *against], batch, repeats,
                                                       runtime)  # fmt: skip
            baseline = baseline or median  # eager fp32 comes first
            full = bool(paired)
            e2e = end_to_end_fps(model, clip, name, precision, args)
            rows.append([
                *label, f"{median:.1f}", f"{low:.1f}-{high:.1f}", f"{median / baseline:.2f}",
                f"{median / paired[0][0]:.3g}" if full else "", f"{e2e:.1f}",
                ratio(e2e, ceiling["peer end-to-end fps"]) if full else "",
                ratio(e2e, ceiling["ffmpeg fps"]),
            ])  # fmt: skip
    return rows


def aims(rows: list[list[object]], peer: bool) -> list[str]:
    """Issue 9's CPU aims at 320x240, from the fastest engine and precision measured."""

    def best(width: float, column: int) -> tuple[float, list[object]] | None:
        found = [(float(r[column]), r) for r in rows
                 if r[0] == "320x240" and r[1] == width and r[column]]  # fmt: skip
        return max(found, key=lambda item: item[0]) if found else None

    lines = []
    if slim := best(0.5, 8):
        fps, r = slim
        verdict = "met" if fps >= 10 else "not met"
        lines.append(f"- Aim: slim net (0.5) at 320x240 >= 10 fps end to end: {fps:.1f} "
                     f"({r[2]} {r[3]}): {verdict}")  # fmt: skip
    if peer and (full := best(1.0, 7)):
        x, r = full
        verdict = "met" if x >= 2 else "not met"
        lines.append(f"- Aim: full-width net at 320x240 >= 2x the peer's frames/s (network): "
                     f"{x:.2f}x ({r[2]} {r[3]}, {r[4]} fps): {verdict}")  # fmt: skip
    return lines or ["- Aims: not measured (they are for 320x240)"]


def precision_quality(precisions: list[str]) -> str:
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
