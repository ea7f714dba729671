"""End to end: a generated clip with sound through the optimization engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.io.io_clips import make_clip, probe
from vstyle.cli import app


@pytest.mark.slow
def test_video_is_stylized_with_timing_and_audio_kept(
    tmp_path: Path, style_rgb, write_png, tiny_vgg_env
) -> None:
    source = make_clip(tmp_path / "in.mp4", frames=6, size=(64, 48), audio="aac")
    style = write_png("style.png", style_rgb)
    out, report = tmp_path / "out.mp4", tmp_path / "report.json"
    result = CliRunner().invoke(app, [str(a) for a in (
        source, out, "--style", style, "--iters", 3, "--max-side", 32, "--report", report,
        "--work-dir", tmp_path / "work", "-q")])  # fmt: skip
    assert result.exit_code == 0, result.output
    before, after = probe(source), probe(out)
    assert (after.width, after.height) == (32, 24)
    assert len(after.rgb) == len(before.rgb) == 6
    assert after.times == before.times and after.rate == before.rate
    assert len(after.audio) == 1
    assert abs(after.audio[0]["seconds"] - before.audio[0]["seconds"]) <= after.audio[0]["frame"]
    frames = json.loads(report.read_text())["frame_reports"]
    assert [f["frame"] for f in frames] == list(range(6))
    assert frames[0]["iterations"] == 6 and all(f["iterations"] == 3 for f in frames[1:])
    assert "temporal" in frames[1]["terms"] and "temporal" not in frames[0]["terms"]
    # The stylized picture is no longer the input picture.
    small = [f[::2, ::2] for f in before.rgb]
    assert (
        sum(
            abs(a.astype(int) - b.astype(int)).mean() for a, b in zip(small, after.rgb, strict=True)
        )
        > 6 * 10
    )

    again = CliRunner().invoke(app, [str(a) for a in (
        source, tmp_path / "again.mp4", "--style", style, "--iters", 3, "--max-side", 32,
        "--work-dir", tmp_path / "work", "--output-size", "source", "-q")])  # fmt: skip
    assert again.exit_code == 0, again.output
    resumed = probe(tmp_path / "again.mp4")
    assert (resumed.width, resumed.height) == (64, 48) and len(resumed.rgb) == 6
