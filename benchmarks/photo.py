"""Photographic transfer (issue 12): the photorealism term, tiled runs, region masks.

Four tables, one run, one device (the last only when asked for):

- ``photo term``: for content of each ``--sizes`` long side (tubingen, and 1920x1080 on a
  GPU), the seconds to build the Matting Laplacian, its entries, the seconds of one
  loss + backward (median of ``--repeats``) and the peak memory of both: on the CPU the
  growth of the process's peak RSS over its size before the build, on CUDA
  ``torch.cuda.max_memory_allocated``. Each size runs in a fresh process (spawned), so
  one size's peak does not hide the next's.
- ``tiled``: a whole ``vstyle`` optimization with ``--tile`` at each ``--tile-sizes`` long
  side (tubingen upscaled, starry_night), ``--tile-iters`` iterations per tile and for
  the coarse pass's share, ``--photo`` on: seconds and peak memory, as above.
- ``regions``: a picture whose left and right halves are masked apart, a style whose top is
  starry_night and bottom candy, masked apart (top paints left, bottom right). Style
  distance per region (the Gram distance, relu1_1..relu5_1, of the output's region to its
  style region, scaled as the loss is) with and without the masks; lower is closer.
- ``budget`` (only with ``--budget-sizes``; long): the whole ``vstyle`` CLI in a fresh
  process on tubingen upscaled to each long side, with ``--max-memory`` and no ``--tile``,
  for each of ``--budget-methods``: the optimizer (starry_night, ``--budget-iters``
  iterations a tile) and the fast net (lengstrom's wave model from
  ../shared/assets/fast-models, imported as ``vstyle models import`` does). The tile
  vstyle chose, the tiles, the seconds and the process's peak RSS against the limit
  (host memory: on CUDA the device's own peak is not in it).

``--tables`` picks which of the tables run (all by default; ``budget`` still needs
``--budget-sizes``).

    python benchmarks/photo.py                                  # CPU, ~10 min on 2 cores
    python benchmarks/photo.py --device cuda --sizes 256,512,1024 --tile-sizes 2000,4000 \\
        --tile 1024 --tile-iters 20
    python benchmarks/photo.py --tables budget --budget-sizes 4000 --max-memory 4GiB \\
        --budget-iters 3 --budget-methods fast          # the optimizer's row: ~17 min more
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from results import append, device_name, table

from vstyle.device import peak_rss

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT.parent / "shared" / "assets"
CONTENT = ASSETS / "content" / "tubingen.jpg"
STYLES = (ASSETS / "styles" / "starry_night.jpg", ASSETS / "styles" / "candy.jpg")
VGG = ASSETS / "weights" / "vgg19-features.pth"
FAST_WEIGHTS = ASSETS / "fast-models" / "wave.pth"  # lengstrom's layout
TABLES = ("term", "tiled", "regions", "budget")
# Runs the CLI in this fresh process and prints its own peak RSS in bytes, as
# tests/photo/test_large.py does.
PEAK_RSS = """
import sys
from vstyle.cli import app
from vstyle.device import peak_rss
try:
    app(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print("PEAK", peak_rss(), file=sys.stderr)
sys.exit(code)
"""


def peak_mb(device: torch.device, base: int) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return (peak_rss() - base) / 2**20


def start_peak(device: torch.device) -> int:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    return peak_rss()


def content_at(long_side: int, size: tuple[int, int] | None = None) -> np.ndarray:
    from vstyle.io.image import read_image, resize

    rgb = read_image(CONTENT)
    if size is not None:
        return resize(rgb, *size)
    h, w = rgb.shape[:2]
    return resize(rgb, round(w * long_side / max(h, w)), round(h * long_side / max(h, w)))


def photo_term(device: str, long_side: int, size: tuple[int, int] | None, repeats: int) -> list:
    """One row of the photo-term table (runs in its own process)."""
    from vstyle.frames import to_tensor
    from vstyle.losses.photo import photo_loss
    from vstyle.photo.laplacian import matting_laplacian

    torch.set_num_threads(max(1, torch.get_num_threads()))
    dev = torch.device(device)
    rgb = content_at(long_side, size)
    image = to_tensor(rgb).to(dev)
    base = start_peak(dev)
    t = time.perf_counter()
    m = matting_laplacian(image, device=dev)
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
    build = time.perf_counter() - t
    x = image.clone().requires_grad_(True)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        photo_loss(x, m).backward()
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        times.append(time.perf_counter() - t)
    h, w = rgb.shape[:2]
    return [f"{w}x{h}", f"{build:.2f}", m.values().numel(), f"{statistics.median(times):.4f}",
            f"{peak_mb(dev, base):.0f}"]  # fmt: skip


def tiled_run(device: str, long_side: int, tile: int, iters: int) -> list:
    """One row of the tiled table (runs in its own process)."""
    from vstyle.device import Runtime
    from vstyle.optimize.stylizer import FrameOptimizer
    from vstyle.options import OptimOptions, Options, PhotoOptions, RuntimeOptions, StyleOptions

    dev = torch.device(device)
    runtime = Runtime(dev, "fp32")
    opts = Options(
        style=StyleOptions(paths=(STYLES[0],)),
        optim=OptimOptions(iters=iters, init="content"),
        runtime=RuntimeOptions(device=device, precision="fp32", vgg_weights=VGG),
        photo=PhotoOptions(enabled=True, tile=tile),
    )
    rgb = content_at(long_side)
    opt = FrameOptimizer(opts, runtime)
    base = start_peak(dev)
    t = time.perf_counter()
    opt.stylize(rgb)
    seconds = time.perf_counter() - t
    from vstyle.photo.tiles import boxes

    h, w = rgb.shape[:2]
    return [f"{w}x{h}", tile, len(boxes(h, w, tile, opts.photo.tile_overlap)), iters,
            f"{seconds:.0f}", f"{peak_mb(dev, base):.0f}"]  # fmt: skip


def two_halves(height: int, width: int, a, b, vertical: bool) -> np.ndarray:
    out = np.zeros((height, width, 3), np.uint8)
    if vertical:
        out[:, : width // 2], out[:, width // 2 :] = a, b
    else:
        out[: height // 2], out[height // 2 :] = a, b
    return out


def regions(device: str, side: int, iters: int) -> list[list]:
    """The regions table (runs in its own process)."""
    from vstyle.device import Runtime
    from vstyle.frames import to_tensor
    from vstyle.io.image import read_image, resize, write_image
    from vstyle.losses.gatys import scaled_distance
    from vstyle.optimize.stylizer import FrameOptimizer
    from vstyle.options import OptimOptions, Options, PhotoOptions, RuntimeOptions, StyleOptions
    from vstyle.photo.regions import masked_gram

    dev = torch.device(device)
    runtime = Runtime(dev, "fp32")
    rgb = content_at(side)
    h, w = rgb.shape[:2]
    style = np.concatenate([resize(read_image(p), w, h // 2) for p in STYLES])
    red, blue = (255, 0, 0), (0, 0, 255)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for name, pic in (("style", style), ("cmask", two_halves(h, w, red, blue, True)),
                          ("smask", two_halves(style.shape[0], w, red, blue, False))):  # fmt: skip
            paths[name] = Path(tmp) / f"{name}.png"
            write_image(paths[name], pic)
        base = Options(
            style=StyleOptions(paths=(paths["style"],)),
            optim=OptimOptions(iters=iters, init="content"),
            runtime=RuntimeOptions(device=device, precision="fp32", vgg_weights=VGG),
        )
        masked = replace(base, photo=PhotoOptions(content_mask=paths["cmask"],
                                                  style_mask=paths["smask"]))  # fmt: skip
        opt = FrameOptimizer(masked, runtime)
        terms = opt.photo
        layers = base.loss.style_layers
        with torch.no_grad():
            sf = opt.vgg(runtime.tensor(to_tensor(style)))
        half = style.shape[0] // 2
        smasks = [torch.zeros(1, 1, style.shape[0], w) for _ in range(2)]
        smasks[0][..., :half, :], smasks[1][..., half:, :] = 1, 1
        cmasks = [torch.zeros(1, 1, h, w) for _ in range(2)]
        cmasks[0][..., : w // 2], cmasks[1][..., w // 2 :] = 1, 1
        for label, options in (("without masks", base), ("with masks", masked)):
            opt.options = options
            opt.photo = None if options is base else terms
            out, _ = opt.stylize(rgb)
            with torch.no_grad():
                of = opt.vgg(out)
            dist = []
            for cm, sm in zip(cmasks, smasks, strict=True):
                d = [scaled_distance(masked_gram(of[n], cm), masked_gram(sf[n], sm)).item()
                     for n in layers]  # fmt: skip
                dist.append(f"{statistics.mean(d):.3f}")
            rows.append([label, f"{w}x{h}", iters, *dist])
    return rows


def budget_run(device: str, method: str, long_side: int, limit: str, iters: int, work: Path):
    """One row of the budget table: the CLI in a fresh process, its peak RSS and seconds."""
    from vstyle.io.image import write_image
    from vstyle.options import DEFAULT_TILE_OVERLAP, parse_memory
    from vstyle.photo.tiles import boxes, fitted_overlap

    rgb = content_at(long_side)
    content, out = work / f"c{long_side}.png", work / f"{method}{long_side}.png"
    report = work / f"{method}{long_side}.json"
    if not content.exists():
        write_image(content, rgb)
    if method == "fast":
        how = ["--model", str(work / "wave.vsm")]
    else:
        how = ["-s", str(STYLES[0]), "--iters", str(iters), "--vgg-weights", str(VGG)]
    args = [str(content), str(out), *how, "--device", device, "--max-memory", limit,
            "--report", str(report), "-q"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", PEAK_RSS, *args], capture_output=True,
                          text=True, env=env, cwd=ROOT)  # fmt: skip
    seconds = time.perf_counter() - t
    if done.returncode != 0:
        sys.exit(f"{method} at {long_side} px failed: {done.stderr.strip()[-500:]}")
    peak = int(done.stderr.split("PEAK")[-1].split()[0])
    frame = json.loads(report.read_text())["frame_reports"][0]
    h, w = rgb.shape[:2]
    tile = frame.get("tile")
    tiles = len(boxes(h, w, tile, fitted_overlap(DEFAULT_TILE_OVERLAP, tile))) if tile else 1
    budget = parse_memory("--max-memory", limit) or 0
    return [method, f"{w}x{h}", tile or "whole", tiles, iters if method != "fast" else "-",
            f"{seconds:.0f}", f"{peak / 2**20:.0f}", f"{budget / 2**20:.0f}",
            "yes" if peak < budget else "NO"]  # fmt: skip


def budget_rows(args: argparse.Namespace) -> list[list]:
    """The budget table: every method at every ``--budget-sizes`` long side."""
    from vstyle.models import import_model

    methods = [m for m in args.budget_methods.split(",") if m]
    unknown = set(methods) - {"optimize", "fast"}
    if unknown:
        sys.exit(f"--budget-methods: unknown {', '.join(sorted(unknown))} (optimize, fast)")
    if "fast" in methods and not FAST_WEIGHTS.is_file():
        sys.exit(f"the budget table's fast row needs {FAST_WEIGHTS}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if "fast" in methods:
            import_model(FAST_WEIGHTS, "lengstrom", work / "wave.vsm")
        for side in (int(s) for s in args.budget_sizes.split(",") if s):
            for method in methods:
                rows.append(budget_run(args.device, method, side, args.max_memory,
                                       args.budget_iters, work))  # fmt: skip
    return rows


def in_process(fn, *args):
    """Run ``fn(*args)`` in a fresh spawned process (its own peak memory)."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cpu")
    p.add_argument("--tables", default=",".join(TABLES), help="which tables run")
    p.add_argument("--sizes", default="256,512,1024")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--tile-sizes", default="1000,2000")
    p.add_argument("--tile", type=int, default=512)
    p.add_argument("--tile-iters", type=int, default=2)
    p.add_argument("--region-side", type=int, default=128)
    p.add_argument("--region-iters", type=int, default=60)
    p.add_argument("--budget-sizes", default="", help="long sides of the budget table (off)")
    p.add_argument("--max-memory", default="4GiB", help="the budget table's --max-memory")
    p.add_argument("--budget-iters", type=int, default=3, help="optimizer iterations a tile")
    p.add_argument("--budget-methods", default="optimize,fast")
    args = p.parse_args()
    tables = set(args.tables.split(","))
    if tables - set(TABLES):
        sys.exit(f"--tables: unknown {', '.join(sorted(tables - set(TABLES)))} ({TABLES})")
    missing = [str(f) for f in (CONTENT, *STYLES, VGG) if not f.is_file()]
    if missing:
        sys.exit(f"benchmarks/photo.py needs ../shared/assets: missing {', '.join(missing)}")
    dev = torch.device(args.device)
    peak = "peak MB (max allocated)" if dev.type == "cuda" else "peak MB (RSS growth)"
    parts = []
    if "term" in tables:
        rows = [in_process(photo_term, args.device, int(s), None, args.repeats)
                for s in args.sizes.split(",") if s]  # fmt: skip
        if dev.type == "cuda":
            rows.append(in_process(photo_term, args.device, 1920, (1920, 1080), args.repeats))
        header = ["size", "build s", "entries", "loss+backward s", peak]
        parts.append("Photorealism term (Matting Laplacian, sparse CSR):\n\n" + table(header, rows))
    tiled = [in_process(tiled_run, args.device, int(s), args.tile, args.tile_iters)
             for s in args.tile_sizes.split(",") if s and "tiled" in tables]  # fmt: skip
    if tiled:
        header = ["size", "tile", "tiles", "iters/tile", "seconds", peak]
        parts.append("Tiled optimization (--photo --tile, whole run):\n\n" + table(header, tiled))
    if "regions" in tables:
        rows = in_process(regions, args.device, args.region_side, args.region_iters)
        header = ["run", "size", "iters", "left region", "right region"]
        title = "Style distance per region (left <- starry_night, right <- candy)"
        parts.append(f"{title}:\n\n" + table(header, rows))
    if "budget" in tables and args.budget_sizes:
        header = ["method", "size", "tile", "tiles", "iters/tile", "seconds", "peak RSS MiB",
                  "limit MiB", "under"]  # fmt: skip
        title = f"--max-memory {args.max_memory}, tile chosen by vstyle (whole CLI, fresh process)"
        parts.append(f"{title}:\n\n" + table(header, budget_rows(args)))
    if not parts:
        sys.exit("nothing to run: --tables names none with its sizes given")
    notes = ("peak memory per row in a fresh process; tiled runs with --photo; budget rows: "
             "the CLI's defaults but --device and --max-memory")  # fmt: skip
    title = "photo.py: photorealism, tiles, regions, --max-memory"
    append(title, "\n\n".join(parts), device_name(dev), notes=notes)


if __name__ == "__main__":
    main()
