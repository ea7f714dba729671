"""Flow benchmark: end-point error, reliability masks and speed per estimator on MPI-Sintel.

Method. Sequences alley_1 (a few px of motion per frame) and cave_2 (~15 px), frames
2 -> 3, at full size (1024x436) and resized to 640x360 (area filter; the ground-truth
flow is resized the same way and scaled per axis). For each estimator the forward
(2 -> 3) and backward (3 -> 2) flows are computed once; "s/pair" is the wall time of
both through the full callable (tensor -> OpenCV or RAFT -> tensor), one run, so it
carries the machine's load (noted below the table).

* EPE: mean end-point error of the forward flow on valid pixels not occluded
  (``noc``) and on all valid pixels (``all``), in pixels of the size used.
* Masks: Sintel's occlusion map marks pixels of frame 2 not visible in frame 3, so
  the reliability is computed on frame 2's grid with frame 3 as the earlier frame.
  "binary" is the paper's c in {0, 1} (``sigma=0``), unreliable where c = 0; "soft" is
  Ruder's consistencyChecker form (labels 1/0/-1, Gaussian sigma 0.8, clip), unreliable
  where c < 0.5. Precision, recall and F1 of "unreliable" against "occluded", and the
  fraction of the frame flagged; pixels Sintel marks invalid are left out. At 640x360
  a pixel counts as occluded if any part of it was.
* ``dis-medium`` is the DIS preset used before (finest scale 1); ``rlof`` is OpenCV's
  dense RLOF (not offered by vstyle: no better than DIS here and slower); ``raft`` and
  ``raft-small`` run only where their weights are found (``$VSTYLE_RAFT_WEIGHTS`` or
  the cache); offline they are listed as not run, and their speed alone is measured
  with random weights (same network, same cost).

    python benchmarks/flow.py [--flows dis,deepflow] [--device cpu] [--no-append]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import cv2
import numpy as np
import torch

from vstyle.errors import WeightsError
from vstyle.flow import make_flow, read_flo, reliability
from vstyle.flow.estimators import OpenCVFlow
from vstyle.flow.raft import RAFT
from vstyle.flow.raft_flow import ENV_RAFT, PUBLISHED
from vstyle.frames import to_tensor

ASSETS = Path(__file__).resolve().parents[1].parent / "shared/assets/flow"
SEQUENCES = ("sintel_clean_alley_1", "sintel_clean_cave_2")
SIZES = ((1024, 436), (640, 360))
FLOWS = ("dis-medium", "dis", "deepflow", "farneback", "rlof", "raft", "raft-small")
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


class _Baseline(OpenCVFlow):
    """An OpenCV estimator vstyle does not offer, behind the same callable."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._calc = {"dis-medium": _dis_medium, "rlof": _rlof}[name]


def _dis_medium(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM).calc(a, b, None)


def _rlof(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # RLOF wants colour; the callable hands over grey, so repeat it (OpenCV's sample does
    # the same for grey input).
    a3, b3 = (cv2.cvtColor(x, cv2.COLOR_GRAY2BGR) for x in (a, b))
    return cv2.optflow.calcOpticalFlowDenseRLOF(a3, b3, None)


def _estimator(name: str, device: str):
    if name in ("dis-medium", "rlof"):
        return _Baseline(name)
    return make_flow(name, device)


def load(seq: str, size: tuple[int, int]) -> dict:
    """Frames 2 and 3 as tensors, the ground truth flow and masks, at ``size``."""
    root = ASSETS / seq
    frames = [cv2.imread(str(root / f"frame_{n:04d}.png")) for n in (2, 3)]
    gt = read_flo(root / "gt" / "frame_0002.flo")
    masks = [cv2.imread(str(root / "gt" / k / "frame_0002.png"), 0) > 127
             for k in ("occlusions", "invalid")]  # fmt: skip
    full = gt.shape[1], gt.shape[0]
    if size != full:
        frames = [cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in frames]
        scale = np.array([size[0] / full[0], size[1] / full[1]], np.float32)
        gt = cv2.resize(gt, size, interpolation=cv2.INTER_AREA) * scale
        masks = [cv2.resize(m.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0
                 for m in masks]  # fmt: skip
    a, b = (to_tensor(cv2.cvtColor(f, cv2.COLOR_BGR2RGB)) for f in frames)
    occluded, invalid = masks
    return {"a": a, "b": b, "gt": gt, "occluded": occluded & ~invalid, "valid": ~invalid}


def mask_scores(unreliable: np.ndarray, data: dict) -> dict[str, float]:
    """Precision, recall, F1 of ``unreliable`` against the occlusion map, and its fraction."""
    flagged, occ, valid = unreliable & data["valid"], data["occluded"], data["valid"]
    hits = float((flagged & occ).sum())
    p, r = hits / max(float(flagged.sum()), 1.0), hits / max(float(occ.sum()), 1.0)
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f1, "flagged": float(flagged.sum() / valid.sum())}


def measure(name: str, flow, data: dict) -> dict:
    start = time.perf_counter()
    forward, backward = flow(data["a"], data["b"]), flow(data["b"], data["a"])
    seconds = time.perf_counter() - start
    error = np.linalg.norm(forward[0].permute(1, 2, 0).numpy() - data["gt"], axis=2)
    noc = data["valid"] & ~data["occluded"]
    # On frame 2's grid, frame 3 as the earlier frame: forward/backward swap roles.
    binary = reliability(backward, forward, sigma=0)[0, 0].numpy()
    soft = reliability(backward, forward)[0, 0].numpy()
    return {
        "flow": name, "s_per_pair": seconds,
        "epe_noc": float(error[noc].mean()), "epe_all": float(error[data["valid"]].mean()),
        "binary": mask_scores(binary == 0, data), "soft": mask_scores(soft < 0.5, data),
    }  # fmt: skip


def run(flows: list[str], device: str) -> tuple[list[dict], dict[str, str]]:
    rows, skipped = [], {}
    for seq in SEQUENCES:
        for size in SIZES:
            data = load(seq, size)
            zero = np.linalg.norm(data["gt"], axis=2)[data["valid"] & ~data["occluded"]].mean()
            for name in flows:
                if name in skipped:
                    continue
                try:
                    flow = _estimator(name, device)
                except WeightsError as exc:
                    skipped[name] = str(exc)
                    continue
                where = {"sequence": seq.removeprefix("sintel_clean_"),
                         "size": f"{size[0]}x{size[1]}", "zero_flow_epe": float(zero)}  # fmt: skip
                rows.append({**where, **measure(name, flow, data)})
                print(json.dumps(rows[-1]), flush=True)
    return rows, skipped


def raft_speed(names: list[str], device: str) -> list[dict]:
    """Seconds per pair of RAFT with random weights: its speed where its weights are absent."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            path = Path(tmp) / f"{name}.pth"
            torch.save(RAFT(PUBLISHED[name][2]).state_dict(), path)
            os.environ[ENV_RAFT] = str(path)
            try:
                flow = make_flow(name, device)
                for size in SIZES:
                    data = load(SEQUENCES[1], size)
                    start = time.perf_counter()
                    flow(data["a"], data["b"]), flow(data["b"], data["a"])
                    seconds = time.perf_counter() - start
                    rows.append(
                        {"flow": name, "size": f"{size[0]}x{size[1]}", "s_per_pair": seconds}
                    )
                    print(json.dumps(rows[-1]), flush=True)
            finally:
                del os.environ[ENV_RAFT]
    return rows


def _cell(m: dict) -> str:
    return f"{m['precision']:.2f} / {m['recall']:.2f} / {m['f1']:.2f} / {m['flagged']:.3f}"


def markdown(rows: list[dict], skipped: dict[str, str], meta: dict) -> str:
    lines = [
        f"## flow.py: flow accuracy, reliability masks, speed ({meta['date']})", "",
        f"- device: {meta['device']}",
        f"- command: `{meta['command']}`",
        f"- commit: {meta['commit']}, torch {meta['torch']}, opencv {meta['opencv']}",
        f"- load average (1 min) before/after: {meta['load_before']:.2f} / "
        f"{meta['load_after']:.2f} on {os.cpu_count()} cores shared with other jobs, "
        "so s/pair is indicative only (one run each)",
        "- masks: precision / recall / F1 / fraction flagged, against Sintel's occlusion map; "
        "binary = paper's c (c = 0), soft = Ruder's checker (c < 0.5)",
    ]  # fmt: skip
    lines += [f"- not run: {k}: {v}" for k, v in skipped.items()]
    lines += ["", "| sequence | size | flow | EPE noc | EPE all | s/pair | mask binary | "
              "mask soft |", "|---|---|---|---:|---:|---:|---|---|"]  # fmt: skip
    for r in rows:
        lines.append(
            f"| {r['sequence']} | {r['size']} | {r['flow']} | {r['epe_noc']:.3f} | "
            f"{r['epe_all']:.3f} | {r['s_per_pair']:.2f} | {_cell(r['binary'])} | "
            f"{_cell(r['soft'])} |"
        )
    zero = {(r["sequence"], r["size"]): r["zero_flow_epe"] for r in rows}
    lines.append("")
    lines.append(
        "Zero-flow EPE (noc): " + ", ".join(f"{s} {z} {v:.2f}" for (s, z), v in zero.items())
    )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", default=",".join(FLOWS))
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--no-append", action="store_true", help="print only")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    rows, skipped = run(args.flows.split(","), args.device)
    speed = raft_speed([n for n in skipped if n in PUBLISHED], args.device)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, cwd=Path(__file__).parent).stdout.strip()  # fmt: skip
    device = (torch.cuda.get_device_name() if args.device.startswith("cuda")
              else f"CPU {platform.machine()}, torch threads {torch.get_num_threads()}, "
                   f"OpenCV threads {cv2.getNumThreads()}")  # fmt: skip
    meta = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "device": device,
        "command": "python benchmarks/flow.py " + " ".join(
            a for a in (f"--flows {args.flows}" if args.flows != ",".join(FLOWS) else "",
                        f"--device {args.device}") if a),
        "commit": commit, "torch": torch.__version__, "opencv": cv2.__version__,
        "load_before": load_before, "load_after": os.getloadavg()[0],
    }  # fmt: skip
    text = markdown(rows, skipped, meta)
    if speed:
        text += "\nRAFT not run for accuracy; its speed with random weights (12 iterations): "
        text += ", ".join(f"{r['flow']} {r['size']} {r['s_per_pair']:.1f} s/pair" for r in speed)
        text += "\n"
    text += "\n```json\n" + json.dumps({"meta": meta, "rows": rows, "raft_speed": speed})
    text += "\n```\n"
    print(text)
    if not args.no_append:
        with RESULTS.open("a") as f:
            f.write("\n" + text)


if __name__ == "__main__":
    main()
