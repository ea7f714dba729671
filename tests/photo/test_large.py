"""Pictures far over --max-memory run tiled (optimizer and fast net), peak RSS under the limit."""

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

# Runs the CLI in a fresh process and prints that process's own peak RSS in bytes.
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


@pytest.mark.slow
def test_large_picture_stays_within_max_memory(vgg_env, write_png, tmp_path: Path) -> None:
    style = SHARED / "styles" / "candy.jpg"
    if not style.is_file():
        pytest.skip(f"style picture not found at {style}: put ../shared beside the checkout")
    limit, iters = "4GiB", 2  # a 4000 px photo, a couple of iterations a tile (CI's time)
    budget = parse_memory("--max-memory", limit)
    assert budget is not None and peak_bytes(4000, 3000) > budget  # whole, it would not fit
    tile = auto_tile(4000, 3000, budget, "lbfgs", iters)
    content = write_png("big.png", smooth_noise(3000, 4000, seed=4, cells=8))
    out, report = tmp_path / "out.png", tmp_path / "report.json"
    args = [str(content), str(out), "-s", str(style), "--iters", str(iters), "--device", "cpu",
            "--max-memory", limit, "--report", str(report), "-q"]  # fmt: skip
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

    assert read_image(out).shape == (3000, 4000, 3)
    assert peak < budget, f"peak RSS {peak / 2**20:.0f} MiB over --max-memory {limit}"


@pytest.mark.slow
def test_large_picture_fast_net_stays_within_max_memory(write_png, tmp_path: Path) -> None:
    from tests.nets.test_transformer import seeded
    from vstyle.nets.modelfile import ModelInfo, save_model
    from vstyle.nets.transformer import TransformerNet
    from vstyle.photo.memory import auto_fast_tile, fast_peak_bytes

    # Run whole, this net peaked at 2112 MB (onnx) and 2191 MB (eager) RSS on the project's
    # CPU, over the limit; tiled at it, 658 MB.
    limit = "1.5GiB"
    budget = parse_memory("--max-memory", limit)
    assert budget is not None and fast_peak_bytes(3000, 2000) > budget  # whole, it would not fit
    tile = auto_fast_tile(3000, 2000, budget, 0.25)
    model = save_model(
        tmp_path / "m.vsm", seeded(TransformerNet(0.25), 7), ModelInfo("vstyle", 0.25)
    )
    content = write_png("big.png", smooth_noise(2000, 3000, seed=4, cells=8))
    out, report = tmp_path / "out.png", tmp_path / "report.json"
    args = [str(content), str(out), "--model", str(model), "--device", "cpu", "--precision",
            "fp32", "--max-memory", limit, "--report", str(report), "-q"]  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, *args], capture_output=True, text=True,
        env={**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2")},
        cwd=Path(__file__).resolve().parents[2], timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    peak = int(done.stderr.split("PEAK")[-1].split()[0])
    frames = json.loads(report.read_text())["frame_reports"]
    assert [(f["engine"], f["tile"]) for f in frames] == [("tiled", tile)]
    from vstyle.io.image import read_image

    assert read_image(out).shape == (2000, 3000, 3)
    assert peak < budget, f"peak RSS {peak / 2**20:.0f} MiB over --max-memory {limit}"
