"""The pieces the streaming pass and multi-pass share (optimize/temporal.py), the checks
that refuse inert option combinations, and the temporal terms at every scale."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.conftest import smooth_noise, stripes
from vstyle.device import Runtime
from vstyle.errors import OptionError
from vstyle.frames import Frame
from vstyle.io.image import write_image
from vstyle.optimize.stylizer import FrameOptimizer
from vstyle.optimize.temporal import fill_unreliable, push_pull, temporal_extra, temporal_on
from vstyle.optimize.video import VideoOptimizer
from vstyle.options import (
    DEFAULT_PASS_BLEND,
    DEFAULT_PASS_ITERS,
    OptimOptions,
    Options,
    RuntimeOptions,
    StyleOptions,
    TemporalOptions,
    check_for_input,
)
from vstyle.pipeline import run

CPU = Runtime.from_options("cpu")


def test_fill_carries_the_neighbours_stylization() -> None:
    g = torch.Generator().manual_seed(0)
    content = 0.2 + 0.4 * torch.rand((1, 3, 24, 32), generator=g)  # no clipping below
    # A constant stylization (+0.3 red, -0.1 blue) over a hole of 10x12 pixels.
    change = torch.tensor([0.3, 0.0, -0.1]).view(1, 3, 1, 1)
    warped = content + change
    c = torch.ones((1, 1, 24, 32))
    c[..., 6:16, 10:22] = 0
    filled = fill_unreliable(content, warped, c)
    assert torch.equal(filled[..., c[0, 0] == 1], warped[..., c[0, 0] == 1])
    # The hole gets this frame's content plus the surrounding change, not the content.
    hole = filled[..., 6:16, 10:22] - content[..., 6:16, 10:22]
    assert torch.allclose(hole, change.expand_as(hole), atol=1e-5)
    assert 0 <= filled.min() and filled.max() <= 1


def test_push_pull_fills_from_the_rim_only() -> None:
    values = torch.zeros((1, 1, 16, 16))
    values[..., :, :8] = 1.0
    weight = torch.ones((1, 1, 16, 16))
    weight[..., 4:12, 6:10] = 0  # a hole straddling the 0/1 edge
    out = push_pull(values, weight, levels=6)
    assert torch.equal(out[weight == 1], values[weight == 1])
    hole = out[0, 0, 4:12, 6:10]
    assert (hole[:, 0] > hole[:, -1]).all()  # nearer the 1s, closer to 1
    assert 0 <= hole.min() and hole.max() <= 1


def test_temporal_extra_fits_every_scale() -> None:
    warped = [torch.full((1, 3, 32, 48), 0.5)]
    weights = [torch.ones((1, 1, 32, 48))]
    extra = temporal_extra(warped, weights, 10.0, grey=False)
    for h, w in ((32, 48), (16, 24)):
        x = torch.full((1, 3, h, w), 0.7)
        assert extra(x)["temporal"].item() == pytest.approx(10 * 0.2**2, rel=1e-5)


@pytest.mark.parametrize(("passes", "on"), [(1, [1]), (2, [1, 2]), (3, [2, 3]), (4, [2, 3, 4])])
def test_temporal_on_from_pass_half(passes: int, on: list[int]) -> None:
    opts = Options(temporal=TemporalOptions(passes=passes))
    assert [p for p in range(1, passes + 1) if temporal_on(opts, p)] == on


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"passes": 3, "long_term": (1, 10, 20, 40)},
            r"--long-term 1,10,20,40 works with --passes 1",
        ),
        ({"passes": 2, "long_term": (1, 4)}, r"--long-term 1,4 works with --passes 1"),
        ({"weight": 0.0, "long_term": (1, 10)}, r"--long-term 1,10 .* --temporal-weight 0"),
        ({"enabled": False, "passes": 3}, r"--passes 3 needs temporal .* --no-temporal"),
        ({"enabled": False, "long_term": (10,)}, r"--long-term 10 needs temporal"),
        ({"enabled": False, "first_iters": 5}, r"--first-iters 5 needs temporal"),
        ({"enabled": False, "work_dir": Path("w")}, r"--work-dir w needs temporal"),
        ({"pass_iters": 50}, r"--pass-iters 50 acts only in passes 2 .* --passes is 1"),
        ({"blend": 0.7}, r"--pass-blend 0.7 acts only in passes 2 .* --passes is 1"),
    ],
)
def test_inert_combinations_are_refused(changes: dict, message: str) -> None:
    with pytest.raises(OptionError, match=message):
        TemporalOptions(**changes)


def test_useful_combinations_are_accepted() -> None:
    TemporalOptions(long_term=(1, 10, 20, 40))
    TemporalOptions(passes=3, pass_iters=20, blend=0.7)
    TemporalOptions(long_term=(1,), passes=3)  # offset 1 is the neighbour term itself
    TemporalOptions(enabled=False)


def test_multipass_settings_default_only_where_they_act() -> None:
    single, multi = TemporalOptions(), TemporalOptions(passes=2)
    assert (single.pass_iters, single.blend) == (None, None)
    assert (multi.pass_iters, multi.blend) == (DEFAULT_PASS_ITERS, DEFAULT_PASS_BLEND)


@pytest.mark.parametrize(
    "temporal",
    [
        TemporalOptions(passes=3),
        TemporalOptions(long_term=(1, 5)),
        TemporalOptions(first_iters=9),
        TemporalOptions(work_dir=Path("render")),
    ],
)
def test_video_options_on_a_picture_are_refused(temporal: TemporalOptions, tmp_path: Path) -> None:
    picture, style = tmp_path / "in.png", tmp_path / "style.png"
    write_image(picture, smooth_noise(24, 32, seed=1))
    write_image(style, stripes(32, 32))
    opts = Options(
        input=picture,
        output=tmp_path / "out.png",
        style=StyleOptions(paths=(style,)),
        runtime=RuntimeOptions(device="cpu", vgg_weights=tmp_path / "missing.pth"),
        temporal=temporal,
    )
    # Refused before the stylizer loads anything (the weights file does not even exist).
    with pytest.raises(OptionError, match=r"applies to videos, and input '.*in.png' is a single"):
        run(opts)
    check_for_input(opts, 12)  # a video: fine
    check_for_input(dataclasses.replace(opts, temporal=TemporalOptions(enabled=True)), 1)


def test_no_flow_when_nothing_reads_it(vgg_file: Path, tmp_path: Path) -> None:
    style = tmp_path / "style.png"
    write_image(style, stripes(32, 32))
    opts = Options(
        style=StyleOptions(paths=(style,)),
        optim=OptimOptions(iters=0, init="content"),
        runtime=RuntimeOptions(device="cpu", vgg_weights=vgg_file),
        temporal=TemporalOptions(weight=0.0, first_iters=0),
    )
    opt = VideoOptimizer(opts, CPU)

    def no_flow(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        raise AssertionError("flow computed but never read")

    opt.flow = no_flow
    frames = [Frame(i, smooth_noise(24, 32, seed=i), i, None) for i in range(3)]
    out = list(opt(iter(frames)))
    assert all(np.array_equal(o.rgb, f.rgb) for o, f in zip(out, frames, strict=True))


def test_extra_terms_act_at_every_scale(vgg_file: Path, tmp_path: Path) -> None:
    style = tmp_path / "style.png"
    write_image(style, stripes(32, 32))
    opts = Options(
        style=StyleOptions(paths=(style,)),
        optim=OptimOptions(iters=2, scales=2, tolerance=0.0),
        runtime=RuntimeOptions(device="cpu", vgg_weights=vgg_file),
    )
    sizes: list[tuple[int, int]] = []

    def spy(x: torch.Tensor) -> dict[str, torch.Tensor]:
        sizes.append(tuple(x.shape[-2:]))
        return {"temporal": x.sum() * 0}

    FrameOptimizer(opts, CPU).stylize(smooth_noise(40, 48, seed=2), extra=spy)
    assert set(sizes) == {(20, 24), (40, 48)}
