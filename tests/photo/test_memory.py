"""--max-memory: sizes parsed, and pictures too large for it tiled automatically."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from vstyle.cli import app
from vstyle.errors import OptionError
from vstyle.io.image import read_image
from vstyle.options import PhotoOptions, parse_memory
from vstyle.photo.memory import (
    PEAK_BASE_BYTES,
    PEAK_BYTES_PER_PIXEL,
    PLAN_SHARE,
    WHOLE_BYTES_PER_PIXEL,
    auto_tile,
    peak_bytes,
)


def test_sizes_parse() -> None:
    assert parse_memory("--max-memory", "8GiB") == 8 * 2**30
    assert parse_memory("--max-memory", "512MiB") == 512 * 2**20
    assert parse_memory("--max-memory", "1.5 GB") == 1_500_000_000
    assert parse_memory("--max-memory", "4096") == 4096
    assert parse_memory("--max-memory", None) is None


@pytest.mark.parametrize("text", ["lots", "-1GiB", "8XB", "0", "GiB", "1e9"])
def test_bad_sizes_are_one_line_errors(text: str) -> None:
    with pytest.raises(OptionError, match="--max-memory .* is not a size") as err:
        parse_memory("--max-memory", text)
    assert "\n" not in str(err.value)


def test_tile_chosen_to_fit() -> None:
    # 100x100 needs its whole peak; one byte less leaves room for a 99x99 tile at most,
    # rounded down to a multiple of 32.
    fits = math.ceil(peak_bytes(100, 100) / PLAN_SHARE)  # a share of the budget is planned on
    assert auto_tile(100, 100, fits) is None
    assert auto_tile(100, 100, fits - 1000) == 96
    # Room for 1000x1000 px of optimization besides the whole picture's own buffers.
    need = PEAK_BASE_BYTES + WHOLE_BYTES_PER_PIXEL * 4000 * 3000 + PEAK_BYTES_PER_PIXEL * 10**6
    budget = math.ceil(need / PLAN_SHARE)
    assert auto_tile(4000, 3000, budget) == 992
    with pytest.raises(OptionError, match="--max-memory .* is too small"):
        auto_tile(4000, 3000, PEAK_BASE_BYTES)
    with pytest.raises(OptionError, match="--max-memory"):
        PhotoOptions(max_memory=0)


def test_estimate_grows_with_the_optimizers_remembered_steps() -> None:
    """L-BFGS remembers up to LBFGS_HISTORY steps of two picture-sized vectors: the peak
    of a long run is far over one iteration's, and the tile chosen for it is smaller."""
    from vstyle.optimize.loop import LBFGS_HISTORY
    from vstyle.photo.memory import LBFGS_STEP_BYTES_PER_PIXEL, MOMENTS_BYTES_PER_PIXEL

    px = 1000 * 800
    one, many = peak_bytes(1000, 800), peak_bytes(1000, 800, "lbfgs", 300)
    assert many - one == LBFGS_STEP_BYTES_PER_PIXEL * (LBFGS_HISTORY - 1) * px
    assert many > 2 * one  # planned on one iteration, a 300-iteration run would overshoot
    assert peak_bytes(1000, 800, "lbfgs", LBFGS_HISTORY) == many  # the history is capped
    assert one < peak_bytes(1000, 800, "lbfgs", 20) < many
    assert peak_bytes(1000, 800, "adam", 300) - one == MOMENTS_BYTES_PER_PIXEL * px
    budget = 4 * 2**30
    assert auto_tile(4000, 3000, budget, "lbfgs", 300) < auto_tile(4000, 3000, budget)


def test_a_video_plans_on_its_first_frames_iterations(tiny_vgg: Path, tmp_path: Path) -> None:
    from vstyle.device import Runtime
    from vstyle.io.image import write_image
    from vstyle.optimize.stylizer import FrameOptimizer
    from vstyle.optimize.video import VideoOptimizer
    from vstyle.options import OptimOptions, Options, RuntimeOptions, StyleOptions

    write_image(tmp_path / "s.png", np.zeros((32, 32, 3), np.uint8))
    options = Options(
        style=StyleOptions(paths=(tmp_path / "s.png",)),
        optim=OptimOptions(iters=30),
        runtime=RuntimeOptions(device="cpu", vgg_weights=tiny_vgg),
    )
    cpu = Runtime.from_options("cpu")
    assert FrameOptimizer(options, cpu).most_iters() == 30
    assert VideoOptimizer(options, cpu).most_iters() == 60  # the first frame's, twice


def _run(tmp_path: Path, content: np.ndarray, style: np.ndarray, write_png, *extra: str):
    out, report = tmp_path / f"o{len(list(tmp_path.glob('o*.png')))}.png", tmp_path / "r.json"
    args = [str(write_png("c.png", content)), str(out), "-s", str(write_png("s.png", style)),
            "--iters", "2", "--device", "cpu", "-q", "--report", str(report), *extra]  # fmt: skip
    result = CliRunner().invoke(app, args)
    return result, out, report


def test_too_large_for_max_memory_is_tiled(
    content_rgb, style_rgb, write_png, tiny_vgg_env, tmp_path, caplog
) -> None:
    big = np.kron(content_rgb, np.ones((2, 2, 1), np.uint8))  # 128x96, needs peak_bytes
    need = PEAK_BASE_BYTES + PEAK_BYTES_PER_PIXEL * 70 * 70  # room for 64 px, not 96
    budget = math.ceil(need / PLAN_SHARE)
    assert peak_bytes(128, 96) > need
    with caplog.at_level(logging.INFO, logger="vstyle.optimize.stylizer"):
        result, out, report = _run(tmp_path, big, style_rgb, write_png, "--max-memory", str(budget))
    assert result.exit_code == 0, result.output
    assert read_image(out).shape == (96, 128, 3)
    frames = json.loads(report.read_text())["frame_reports"]
    assert [f["tile"] for f in frames] == [64]
    assert "64 px tiles" in caplog.text
    # What --tile 64 gives (the 32 px default overlap is cut to a quarter tile), but for
    # the style Grams, taken in pieces of one tile rather than two to stay in the budget.
    explicit, out2, _ = _run(tmp_path, big, style_rgb, write_png, "--tile", "64",
                             "--tile-overlap", "16")  # fmt: skip
    assert explicit.exit_code == 0, explicit.output
    apart = np.abs(read_image(out).astype(float) - read_image(out2))
    assert apart.mean() < 0.1 and apart.max() <= 8, (apart.mean(), apart.max())
    assert not np.array_equal(read_image(out), big)


def test_enough_max_memory_leaves_it_whole(
    content_rgb, style_rgb, write_png, tiny_vgg_env, tmp_path
) -> None:
    result, out, report = _run(tmp_path, content_rgb, style_rgb, write_png, "--max-memory", "8GiB")
    assert result.exit_code == 0, result.output
    assert read_image(out).shape == content_rgb.shape
    assert "tile" not in json.loads(report.read_text())["frame_reports"][0]


def test_bad_max_memory_on_the_cli(content_rgb, style_rgb, write_png, tiny_vgg_env, tmp_path):
    result, out, _ = _run(tmp_path, content_rgb, style_rgb, write_png, "--max-memory", "8 lots")
    assert result.exit_code != 0 and not out.exists()
    assert result.output.strip().count("\n") == 0, result.output
    assert "--max-memory '8 lots'" in result.output
