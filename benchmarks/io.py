"""I/O benchmark: decode -> copy -> encode speed against ffmpeg, and memory against length.

Method:
  * Speed: the same transcode (H.264 in, libx264 crf 18 preset medium yuv420p out,
    no audio) by ``vstyle --method copy`` (in-process, import time excluded) and by
    the ``ffmpeg`` binary of imageio-ffmpeg (process time), on generated 720p and
    1080p clips and optionally a real clip. Each is run ``--repeat`` times; the
    median fps and the spread (max - min) are reported.
  * Memory: peak RSS (``VmHWM``) of a ``vstyle`` process on a 300-frame and a
    3000-frame clip with audio, same size; the ratio should stay near 1.

Results are printed and appended (date, device, command line, versions, commit) to
``benchmarks/RESULTS.md``. Run: ``python benchmarks/io.py`` (about 3-4 minutes on a
2-core CPU).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import imageio_ffmpeg
import numpy as np

from vstyle.device import peak_rss
from vstyle.options import IOOptions, Options
from vstyle.pipeline import run

ROOT = Path(__file__).resolve().parent
REAL = ROOT.parent.parent / "shared" / "assets" / "video" / "bigbuckbunny.mp4"


def make_clip(path: Path, frames: int, size: tuple[int, int], audio: bool = False) -> Path:
    """A moving gradient with noise (so the encoder has work), H.264 ultrafast."""
    width, height = size
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=Fraction(30000, 1001))
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.codec_context.options = {"preset": "ultrafast", "crf": "20"}
        tone = out.add_stream("aac", rate=44100) if audio else None
        for i in range(frames):
            rgb = np.roll(base, 4 * i, axis=1)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode())
        if tone is not None:
            seconds = frames * 1001 / 30000
            for start in range(0, int(seconds * 44100), 1024):
                chunk = np.zeros((1, 1024), np.float32)
                chunk[0] = 0.2 * np.sin(2 * np.pi * 440 * (start + np.arange(1024)) / 44100)
                frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
                frame.sample_rate, frame.pts = 44100, start
                out.mux(tone.encode(frame))
            out.mux(tone.encode())
    return path


def count_frames(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def time_vstyle(src: Path, out: Path) -> float:
    options = Options(
        input=src, output=out, method="copy", overwrite=True, io=IOOptions(audio=False)
    )
    start = time.perf_counter()
    run(options)
    return time.perf_counter() - start


def time_ffmpeg(src: Path, out: Path) -> float:
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-i", str(src), "-an",
               "-c:v", "libx264", "-crf", "18", "-preset", "medium", "-pix_fmt", "yuv420p",
               str(out)]  # fmt: skip
    start = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - start


def speed(src: Path, work: Path, repeat: int) -> dict:
    frames = count_frames(src)
    fps = {"vstyle": [], "ffmpeg": []}
    for _ in range(repeat):
        fps["vstyle"].append(frames / time_vstyle(src, work / "v.mp4"))
        fps["ffmpeg"].append(frames / time_ffmpeg(src, work / "f.mp4"))
    row = {"frames": frames}
    for tool, values in fps.items():
        row[tool] = round(statistics.median(values), 2)
        row[f"{tool}_spread"] = round(max(values) - min(values), 2)
    row["ratio"] = round(row["vstyle"] / row["ffmpeg"], 3)
    return row


def peak_rss_mb(src: Path, out: Path) -> float:
    """Peak resident memory of a ``vstyle`` process, from its own ``VmHWM``.

    Not ``ru_maxrss``: Linux carries the parent's high-water mark over fork and
    exec, so every child would report at least this (large) benchmark process.
    """
    command = [sys.executable, "-m", "vstyle.cli", str(src), str(out), "--method", "copy",
               "--preset", "ultrafast", "--overwrite", "-q"]  # fmt: skip
    process = subprocess.Popen(command)
    peak = 0
    while process.poll() is None:
        peak = max(peak, peak_rss(process.pid) or 0)  # None: exiting between check and read
        time.sleep(0.02)
    if process.returncode != 0:
        raise RuntimeError(f"vstyle failed on {src} ({process.returncode})")
    return peak / 2**20


def device() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, no GPU used"


def commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, cwd=ROOT, check=True)  # fmt: skip
        dirty = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True,
                               cwd=ROOT).stdout.strip()  # fmt: skip
        return out.stdout.strip() + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--frames", type=int, default=90, help="frames of the speed clips")
    parser.add_argument("--real", type=Path, default=REAL if REAL.exists() else None)
    parser.add_argument("--rss-frames", type=int, nargs=2, default=(300, 3000))
    args = parser.parse_args()
    results: dict = {"speed": {}, "rss": {}}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        clips = {
            "720p": make_clip(work / "720.mp4", args.frames, (1280, 720)),
            "1080p": make_clip(work / "1080.mp4", args.frames * 2 // 3, (1920, 1080)),
        }
        if args.real:
            clips[f"real {args.real.name}"] = args.real
        for name, src in clips.items():
            results["speed"][name] = speed(src, work, args.repeat)
            print(name, results["speed"][name], flush=True)
        short, long = args.rss_frames
        for frames in (short, long):
            src = make_clip(work / f"rss{frames}.mp4", frames, (320, 240), audio=True)
            results["rss"][frames] = round(peak_rss_mb(src, work / "rss-out.mp4"), 1)
        results["rss"]["ratio"] = round(results["rss"][long] / results["rss"][short], 3)
        print("peak RSS MB", results["rss"], flush=True)
    append(results, args)


def append(results: dict, args: argparse.Namespace) -> None:
    versions = {"python": platform.python_version(), "av": av.__version__,
                "ffmpeg": imageio_ffmpeg.get_ffmpeg_version(), "commit": commit()}  # fmt: skip
    lines = [
        f"\n## I/O: {datetime.datetime.now().isoformat(timespec='seconds')}\n",
        f"- device: {device()}",
        f"- command: `{' '.join([Path(sys.executable).name, *sys.argv])}`",
        f"- versions: {json.dumps(versions)}",
        "- transcode: H.264 in, libx264 crf 18 preset medium yuv420p out, no audio; "
        f"median of {args.repeat} runs (spread = max - min)\n",
        "| clip | frames | vstyle fps | ffmpeg fps | ratio (aim >= 0.8) |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, row in results["speed"].items():
        lines.append(
            f"| {name} | {row['frames']} | {row['vstyle']} ± {row['vstyle_spread']} "
            f"| {row['ffmpeg']} ± {row['ffmpeg_spread']} | {row['ratio']} |"
        )
    rss = results["rss"]
    short, long = args.rss_frames
    lines += [
        "",
        f"Peak RSS, 320x240 with AAC audio: {short} frames {rss[short]} MB, "
        f"{long} frames {rss[long]} MB, ratio {rss['ratio']} (aim <= 1.1)",
        "",
        "```json",
        json.dumps({**results, "versions": versions}),
        "```",
    ]
    with open(ROOT / "RESULTS.md", "a") as f:
        if f.tell() == 0:
            f.write("# Benchmark results\n\nAppended by the scripts in this folder.\n")
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
