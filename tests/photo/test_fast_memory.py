"""--max-memory for the fast networks: a picture too large to run whole runs tiled."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.conftest import smooth_noise
from tests.nets.test_transformer import seeded
from vstyle.cli import app
from vstyle.errors import OptionError
from vstyle.io.image import read_image
from vstyle.nets.modelfile import ModelInfo, save_model
from vstyle.nets.transformer import TransformerNet
from vstyle.photo import fast_tiles
from vstyle.photo.memory import (
    FAST_PEAK_BASE_BYTES,
    FAST_PEAK_BYTES_PER_PIXEL,
    PLAN_SHARE,
    WHOLE_BYTES_PER_PIXEL,
    auto_fast_tile,
    fast_peak_bytes,
)


def test_fast_tile_chosen_to_fit() -> None:
    fits = math.ceil(fast_peak_bytes(100, 100) / PLAN_SHARE)
    assert auto_fast_tile(100, 100, fits) is None
    assert auto_fast_tile(100, 100, fits - 1000) == 96
    # Two frames a network call need twice the pixels: the same budget no longer fits.
    assert auto_fast_tile(100, 100, fits, batch=2) is not None
    for width, height, budget, net_width in ((4000, 3000, 2 * 2**30, 1.0),
                                             (3000, 2000, 3 * 2**30, 2.0)):  # fmt: skip
        tile = auto_fast_tile(width, height, budget, net_width)
        assert tile is not None and tile % 32 == 0 and tile >= 64
        whole = WHOLE_BYTES_PER_PIXEL * width * height
        assert fast_peak_bytes(tile, tile, net_width) + whole <= budget * PLAN_SHARE
        # The next larger tile would not have fitted.
        assert fast_peak_bytes(tile + 32, tile + 32, net_width) + whole > budget * PLAN_SHARE
    # A wider net needs more per pixel; a slimmer one is planned as width 1 (cautious).
    assert auto_fast_tile(4000, 3000, 2 * 2**30, 2.0) < auto_fast_tile(4000, 3000, 2 * 2**30)
    assert fast_peak_bytes(64, 64, 0.25) == fast_peak_bytes(64, 64, 1.0)


def test_fast_max_memory_too_small_is_one_line() -> None:
    with pytest.raises(OptionError, match="--max-memory .* is too small") as err:
        auto_fast_tile(4000, 3000, FAST_PEAK_BASE_BYTES)
    assert "\n" not in str(err.value) and "4000x3000" in str(err.value)


@pytest.fixture
def model(tmp_path: Path) -> Path:
    return save_model(
        tmp_path / "m.vsm", seeded(TransformerNet(0.25), 7), ModelInfo("vstyle", 0.25)
    )


def _run(tmp_path: Path, model: Path, content: Path, *extra: str):
    out, report = tmp_path / f"o{len(list(tmp_path.glob('o*.png')))}.png", tmp_path / "r.json"
    args = [str(content), str(out), "--model", str(model), "--device", "cpu", "-q",
            "--report", str(report), *extra]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return read_image(out), json.loads(report.read_text())["frame_reports"]


def test_fast_net_too_large_for_max_memory_runs_tiled(
    model, write_png, tmp_path, caplog, monkeypatch
) -> None:
    content = write_png("c.png", smooth_noise(96, 128, seed=4))
    need = (
        FAST_PEAK_BASE_BYTES
        + FAST_PEAK_BYTES_PER_PIXEL * 70 * 70
        + WHOLE_BYTES_PER_PIXEL * 96 * 128
    )
    budget = math.ceil(need / PLAN_SHARE)  # room for a 64 px tile, not 96, not the whole
    assert fast_peak_bytes(128, 96) > need
    stats_sides = []
    freeze = fast_tiles.freeze_statistics

    def spy(net, picture):
        stats_sides.append(max(picture.shape[-2:]))
        return freeze(net, picture)

    monkeypatch.setattr(fast_tiles, "freeze_statistics", spy)
    with caplog.at_level(logging.INFO, logger="vstyle.photo.fast_tiles"):
        tiled, frames = _run(tmp_path, model, content, "--max-memory", str(budget))
    assert tiled.shape == (96, 128, 3)
    assert [(f["engine"], f["tile"], f["tiles"]) for f in frames] == [("tiled", 64, 6)]
    assert "64 px tiles" in caplog.text
    assert stats_sides == [64]  # the statistics pass is no larger than a tile
    # What --tile 64 gives (the 32 px default overlap cut to a quarter tile, as the optimizer's).
    explicit, _ = _run(tmp_path, model, content, "--tile", "64", "--tile-overlap", "16")
    np.testing.assert_array_equal(tiled, explicit)
    whole, frames = _run(tmp_path, model, content, "--max-memory", "8GiB", "--engine", "eager")
    assert "tile" not in frames[0] and whole.shape == (96, 128, 3)
    assert np.abs(whole.astype(float) - tiled).mean() > 0  # tiling did change the path


def test_fast_net_max_memory_too_small_on_the_cli(model, write_png, tmp_path) -> None:
    out = tmp_path / "o.png"
    args = [str(write_png("c.png", smooth_noise(96, 128, seed=4))), str(out), "--model",
            str(model), "--device", "cpu", "--max-memory", "100MiB"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code != 0 and not out.exists()
    assert result.output.strip().count("\n") == 0, result.output
    assert "--max-memory 100MiB is too small" in result.output
