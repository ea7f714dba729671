"""Flow benchmark: estimator timings, Sintel accuracy, mask quality, prefetch overlap.

Method: each timing is the median (and min/max) of ``--repeats`` runs after one
warm-up, on MPI-Sintel alley_1 frames 2 -> 3 resized to each size; the full
callable is timed (tensor -> grey uint8 -> OpenCV -> tensor), and OpenCV's own
``calc`` separately. Accuracy: mean end-point error on non-occluded valid pixels,
in pixels of the size used. Masks: precision and recall of c = 0 against Sintel's
occlusion map, at full size. Writes JSON with versions and the git commit.

    python benchmarks/flow.py [--repeats 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from vstyle.flow import make_flow, read_flo, reliability, warp
from vstyle.flow.estimators import _CALC, _gray
from vstyle.frames import to_tensor

SINTEL = Path(__file__).resolve().parents[1].parent / "shared/assets/flow/sintel_clean_alley_1"
SIZES = ((256, 108), (640, 360), (1024, 436))


def _load(size: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
    out = []
    for n in (2, 3):
        bgr = cv2.resize(cv2.imread(str(SINTEL / f"frame_{n:04d}.png")), size, cv2.INTER_AREA)
        out.append(to_tensor(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)))
    return out[0], out[1]


def _time(fn, repeats: int) -> dict[str, float]:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(1000 * (time.perf_counter() - start))
    return {"median_ms": statistics.median(times), "min_ms": min(times), "max_ms": max(times)}


def timings(repeats: int) -> list[dict]:
    rows = []
    for size in SIZES:
        a, b = _load(size)
        ga, gb = _gray(a)[0], _gray(b)[0]
        forward = make_flow("dis")(a, b)
        rows.append(
            {
                "what": "reliability",
                "size": size,
                **_time(lambda f=forward: reliability(f, f), repeats),
            }
        )
        rows.append(
            {"what": "warp", "size": size, **_time(lambda f=forward, a=a: warp(a, f), repeats)}
        )
        for name in _CALC:
            flow = make_flow(name)
            row = {"what": name, "size": size, **_time(lambda f=flow, a=a, b=b: f(a, b), repeats)}
            calc = _time(lambda c=_CALC[name], x=ga, y=gb: c(x, y), repeats)
            rows.append({**row, "opencv_only_median_ms": calc["median_ms"]})
    return rows


def _masks(size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    def read(kind: str) -> np.ndarray:
        full = cv2.imread(str(SINTEL / "gt" / kind / "frame_0002.png"), cv2.IMREAD_GRAYSCALE) > 127
        return cv2.resize(full.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0

    return read("occlusions"), read("invalid")


def accuracy() -> list[dict]:
    gt_full = read_flo(SINTEL / "gt" / "frame_0002.flo")
    rows = []
    for scale in (0.5, 1.0):
        size = (round(1024 * scale), round(436 * scale))
        a, b = _load(size)
        gt = cv2.resize(gt_full, size, interpolation=cv2.INTER_AREA) * scale
        occluded, invalid = _masks(size)
        valid, occ = ~occluded & ~invalid, occluded & ~invalid
        zero_epe = float(np.linalg.norm(gt, axis=2)[valid].mean())
        for name in _CALC:
            flow = make_flow(name)
            forward, backward = flow(a, b), flow(b, a)
            epe = np.linalg.norm(forward[0].permute(1, 2, 0).numpy() - gt, axis=2)
            flagged = (reliability(backward, forward)[0, 0].numpy() == 0) & ~invalid
            hits = float((flagged & occ).sum())
            rows.append({
                "flow": name, "size": size, "epe_noc": float(epe[valid].mean()),
                "epe_zero_flow": zero_epe, "c0_fraction": float(flagged.mean()),
                "precision": hits / max(flagged.sum(), 1), "recall": hits / occ.sum(),
                "chance_precision": float(occ.mean()),
            })  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    report = {
        "versions": {"opencv": cv2.__version__, "torch": torch.__version__,
                     "numpy": np.__version__, "python": platform.python_version()},
        "commit": commit.strip(), "machine": platform.machine(),
        "torch_threads": torch.get_num_threads(), "opencv_threads": cv2.getNumThreads(),
        "timings": timings(args.repeats), "accuracy": accuracy(),
    }  # fmt: skip
    text = json.dumps(report, indent=1)
    if args.json:
        args.json.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
