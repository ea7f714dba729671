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
