"""``--method swap`` by optimization: the objective falls, the CLI writes a picture, and
video runs through the temporal engine with the style's patches computed once."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import stripes
from tests.flow.synthetic import make_clip
from vstyle.arbitrary import optimize as swap_module
from vstyle.arbitrary.optimize import SwapOptimizer, SwapVideoOptimizer, swap_optimizer
from vstyle.cli import app
from vstyle.device import Runtime
from vstyle.errors import OptionError
from vstyle.frames import Frame
from vstyle.io.image import read_image, write_image
from vstyle.optimize.video import VideoOptimizer
from vstyle.options import (
    ArbitraryOptions,
    OptimOptions,
    Options,
    RuntimeOptions,
    StyleOptions,
    TemporalOptions,
)

CPU = Runtime.from_options("cpu")


@pytest.fixture
def style(tmp_path: Path) -> Path:
    path = tmp_path / "style.png"
    write_image(path, stripes(40, 40))
    return path


def options(style: Path, vgg: Path, iters: int = 8, **changes: object) -> Options:
    return Options(
        method="swap",
        style=StyleOptions(paths=(style,)),
        optim=OptimOptions(iters=iters, init="content", tolerance=0.0),
        runtime=RuntimeOptions(device="cpu", vgg_weights=vgg),
        **changes,  # type: ignore[arg-type]
    )


def test_the_objective_falls(content_rgb, style: Path, tiny_vgg: Path) -> None:
    engine = swap_optimizer(options(style, tiny_vgg), CPU, None, None, frame_count=1)
    assert type(engine) is SwapOptimizer
    _, result = engine.stylize(content_rgb)
    assert set(result.terms) == {"swap", "tv"}
    assert result.losses[-1] < 0.8 * result.losses[0]


def test_the_vgg_stops_at_the_swap_layer(style: Path, tiny_vgg: Path) -> None:
    opts = options(style, tiny_vgg, arbitrary=ArbitraryOptions(layer="relu2_1"))
    engine = SwapOptimizer(opts, CPU)
    assert engine.vgg.taps == ("relu2_1",) and len(engine.vgg.features) == 7


def test_bad_alpha_and_style_size_are_refused() -> None:
    with pytest.raises(OptionError, match="--alpha"):
        ArbitraryOptions(alpha=1.5)
    with pytest.raises(OptionError, match="--style-size"):
        ArbitraryOptions(style_size=0)


def test_cli_picture_has_the_right_size(content_rgb, style, write_png, tiny_vgg_env, tmp_path):
    content, out, report = write_png("c.png", content_rgb), tmp_path / "o.png", tmp_path / "r.json"
    result = CliRunner().invoke(
        app,
        [str(a) for a in (content, out, "--method", "swap", "--style", style, "--iters", 3,
                          "--max-side", 32, "--style-size", 32, "--report", report)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert read_image(out).shape == (24, 32, 3)
    frame = json.loads(report.read_text())["frame_reports"][0]
    assert frame["iterations"] == 3 and set(frame["terms"]) == {"swap", "tv"}


def test_video_starts_from_the_warped_result_and_encodes_the_style_once(
    style: Path, tiny_vgg: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    real = swap_module.style_target
    monkeypatch.setattr(
        swap_module, "style_target", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    clip = make_clip(n=3, size=(64, 48), bg=(2, 0), fg=(-1, 1), side=16, seed=3)
    frames = [Frame(i, f, pts=i, time_base=Fraction(1, 25)) for i, f in enumerate(clip.frames)]
    opts = options(style, tiny_vgg, iters=0, temporal=TemporalOptions(first_iters=4, flow="dis"))
    opts = replace(opts, optim=OptimOptions(iters=0, init="prev-warped"))
    engine = swap_optimizer(opts, CPU, None, None, frame_count=3)
    assert isinstance(engine, SwapVideoOptimizer) and isinstance(engine, VideoOptimizer)
    out = list(engine(iter(frames)))
    assert len(calls) == 1
    # Zero iterations after the first frame: frame 1 is its start, the stylized frame 0
    # warped onto it, not its own content.
    assert abs(out[1].rgb.astype(int) - clip.frames[1]).mean() > 2
    assert abs(out[0].rgb.astype(int) - clip.frames[0]).mean() > 2


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (ArbitraryOptions(alpha=0.5), "arbitrary.alpha 1.0 -> 0.5"),
        (ArbitraryOptions(style_size=24), "arbitrary.style_size 512 -> 24"),
        (ArbitraryOptions(layer="relu2_1"), "arbitrary.layer 'relu3_1' -> 'relu2_1'"),
    ],
)
def test_resuming_with_other_swap_options_is_refused(
    change: ArbitraryOptions, key: str, style: Path, tiny_vgg: Path, tmp_path: Path
) -> None:
    clip = make_clip(n=2, size=(64, 48), bg=(2, 0), fg=(-1, 1), side=16, seed=3)
    frames = [Frame(i, f, pts=i, time_base=Fraction(1, 25)) for i, f in enumerate(clip.frames)]
    work = TemporalOptions(work_dir=tmp_path / "work", flow="dis")
    opts = options(style, tiny_vgg, iters=1, temporal=work)
    first = list(swap_optimizer(opts, CPU, None, None, frame_count=2)(iter(frames)))
    again = list(swap_optimizer(opts, CPU, None, None, frame_count=2)(iter(frames)))
    assert all(a.rgb.tobytes() == b.rgb.tobytes() for a, b in zip(first, again, strict=True))
    changed = swap_optimizer(replace(opts, arbitrary=change), CPU, None, None, frame_count=2)
    with pytest.raises(OptionError, match=re.escape(key)):
        list(changed(iter(frames)))


def test_a_swap_work_dir_is_not_resumed_by_the_gatys_optimizer(
    style: Path, tiny_vgg: Path, tmp_path: Path
) -> None:
    clip = make_clip(n=2, size=(64, 48), bg=(2, 0), fg=(-1, 1), side=16, seed=3)
    frames = [Frame(i, f, pts=i, time_base=Fraction(1, 25)) for i, f in enumerate(clip.frames)]
    opts = options(style, tiny_vgg, iters=1, temporal=TemporalOptions(work_dir=tmp_path / "w"))
    list(swap_optimizer(opts, CPU, None, None, frame_count=2)(iter(frames)))
    gatys = VideoOptimizer(replace(opts, method="optimize"), CPU)
    with pytest.raises(OptionError, match=r"method 'swap' -> None"):
        list(gatys(iter(frames)))


def test_cli_swap_layer_is_used_and_checked(content_rgb, style, write_png, tiny_vgg_env, tmp_path):
    content = write_png("c.png", content_rgb)

    def swap(layer: str, name: str):
        return CliRunner().invoke(
            app,
            [str(a) for a in (content, tmp_path / name, "--method", "swap", "--style", style,
                              "--iters", 3, "--max-side", 32, "--swap-layer", layer, "-q")],
        )  # fmt: skip

    assert swap("relu3_1", "deep.png").exit_code == 0
    result = swap("RELU2_1", "shallow.png")  # choices match without case
    assert result.exit_code == 0, result.output
    deep, shallow = read_image(tmp_path / "deep.png"), read_image(tmp_path / "shallow.png")
    assert abs(deep.astype(int) - shallow).mean() > 0.5  # another layer, another target
    bad = swap("relu3_2", "bad.png")
    lines = [line for line in bad.output.splitlines() if line.strip()]
    assert bad.exit_code != 0 and len(lines) == 1 and "--swap-layer" in lines[0], bad.output
    assert "relu3_1" in lines[0]  # the choices (or the nearest) are named
