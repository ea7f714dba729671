"""A picture far over --max-memory runs tiled, and its peak RSS stays under the limit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SHARED, smooth_noise
from vstyle.options import parse_memory
from vstyle.photo.memory import auto_tile, peak_bytes

# Runs the CLI in a fresh process and prints that process's peak RSS (Linux: KiB).
PEAK_RSS = """
import resource, sys
from vstyle.cli import app
try:
    app(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print("PEAK", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, file=sys.stderr)
sys.exit(code)
"""


@pytest.mark.slow
def test_large_picture_stays_within_max_memory(vgg_env, write_png, tmp_path: Path) -> None:
    style = SHARED / "styles" / "candy.jpg"
    if not style.is_file():
        pytest.skip(f"style picture not found at {style}: put ../shared beside the checkout")
    limit = "2GiB"
    budget = parse_memory("--max-memory", limit)
    assert budget is not None and peak_bytes(2000, 1500) > budget  # whole, it would not fit
    tile = auto_tile(2000, 1500, budget)
    content = write_png("big.png", smooth_noise(1500, 2000, seed=4, cells=8))
    out, report = tmp_path / "out.png", tmp_path / "report.json"
    args = [str(content), str(out), "-s", str(style), "--iters", "1", "--device", "cpu",
            "--precision", "fp32", "--max-memory", limit, "--report", str(report),
            "-q"]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2")}
    done = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, *args], capture_output=True, text=True, env=env,
        cwd=Path(__file__).resolve().parents[2], timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    peak = int(done.stderr.split("PEAK")[-1].split()[0])
    frames = json.loads(report.read_text())["frame_reports"]
    assert [f["tile"] for f in frames] == [tile]
    from vstyle.io.image import read_image

    assert read_image(out).shape == (1500, 2000, 3)
    assert peak < budget, f"peak RSS {peak / 2**20:.0f} MiB over --max-memory {limit}"
