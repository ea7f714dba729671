"""The temporal video optimizer on tiny synthetic clips: initialization, iterations,
work folder, resume. Quality on real footage is in test_video_clip.py."""

from __future__ import annotations

import dataclasses
import os
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.conftest import VGG_FILE, stripes
from tests.flow.synthetic import Clip, make_clip
from vstyle.device import Runtime
from vstyle.errors import InputError, OptionError
from vstyle.flow import reliability, warp
from vstyle.frames import Frame, to_array, to_tensor
from vstyle.io.image import read_image, write_image
from vstyle.optimize.temporal import fill_unreliable
from vstyle.optimize.video import VideoOptimizer
from vstyle.options import OptimOptions, Options, RuntimeOptions, StyleOptions, TemporalOptions
from vstyle.pipeline import Report

CPU = Runtime.from_options("cpu")


@pytest.fixture(scope="module")
def vgg_file(tiny_vgg: Path) -> Path:
    """These tests check mechanics, not quality: the tiny seeded VGG stands in everywhere."""
    return tiny_vgg


@pytest.fixture
def real_vgg() -> Path:
    """The real VGG-19, for the one test here that judges stylization, not mechanics."""
    path = Path(os.environ.get("VSTYLE_VGG_WEIGHTS", VGG_FILE))
    if not path.is_file():
        pytest.skip(f"real VGG-19 weights not found at {path}: this test judges stylization")
    return path


@pytest.fixture(scope="module")
def clip() -> Clip:
    return make_clip(n=5, size=(64, 48), bg=(2, 0), fg=(-1, 1), side=16, seed=3)


@pytest.fixture
def style(tmp_path: Path) -> Path:
    path = tmp_path / "style.png"
    write_image(path, stripes(64, 64))
    return path


def frames_of(images: list[np.ndarray]) -> list[Frame]:
    return [
        Frame(i, rgb, pts=1001 * i, time_base=Fraction(1, 30000)) for i, rgb in enumerate(images)
    ]


def options(
    style: Path, vgg: Path, iters: int = 3, init: str = "prev-warped", **temporal
) -> Options:
    return Options(
        style=StyleOptions(paths=(style,)),
        optim=OptimOptions(iters=iters, init=init, tolerance=0.0),
        runtime=RuntimeOptions(device="cpu", vgg_weights=vgg),
        temporal=TemporalOptions(**temporal),
    )


def true_flow(clip: Clip):
    """An exact flow estimator for ``clip``: frames are recognized by their pixels."""
    index = {f.tobytes(): t for t, f in enumerate(clip.frames)}

    def flow(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        ta, tb = index[to_array(a).tobytes()], index[to_array(b).tobytes()]
        # backward(t) maps t -> t-1; forward t-1 -> t on t-1's grid is -backward(t-1).
        f = clip.backward(ta) if tb == ta - 1 else -clip.backward(ta)
        assert abs(tb - ta) == 1
        return torch.from_numpy(f).permute(2, 0, 1)[None].contiguous()

    return flow


def run(opts: Options, frames: list[Frame], flow=None, report=None) -> list[Frame]:
    opt = VideoOptimizer(opts, CPU, on_record=report.add if report else None)
    if flow is not None:
        opt.flow = flow
    return list(opt(iter(frames)))


def test_prev_warped_init(clip: Clip, style: Path, vgg_file: Path) -> None:
    # iters 0 after the first frame: each output is exactly its initialization.
    opts = options(style, vgg_file, iters=0, first_iters=4, weight=0.0)
    out = run(opts, frames_of(clip.frames), true_flow(clip))
    fwd, bwd = (torch.from_numpy(-clip.backward(0)).permute(2, 0, 1)[None],
                torch.from_numpy(clip.backward(1)).permute(2, 0, 1)[None])  # fmt: skip
    c = reliability(fwd, bwd)  # soft weights in [0, 1]
    whole = (c[0, 0] == 1).numpy()
    assert 0.5 < whole.mean() < 1 and (c[0, 0, :, :2] < 0.5).all()  # the strip entering
    warped = warp(to_tensor(out[0].rgb), bwd)
    assert np.array_equal(out[1].rgb[whole], to_array(warped)[whole])
    # Elsewhere: this frame's content plus the neighbours' stylization, filled in by c.
    fill = to_array(fill_unreliable(to_tensor(clip.frames[1]), warped, c))
    assert np.abs(out[1].rgb.astype(int) - fill.astype(int)).max() <= 1
    low = (c[0, 0] < 0.5).numpy()
    assert not np.array_equal(out[1].rgb[low], clip.frames[1][low])
    # Background moved by whole pixels: the warped result is the previous one shifted.
    shifted = np.roll(out[0].rgb, 2, axis=1)
    keep = whole & ~clip.in_square(1) & ~clip.in_square(0)
    assert np.array_equal(out[1].rgb[keep], shifted[keep])
    assert not np.array_equal(out[0].rgb, clip.frames[0])  # the first frame was stylized


@pytest.mark.parametrize("here", [False, True])
def test_chain_starts_from_its_anchor(here: bool, clip: Clip, style: Path, vgg_file: Path) -> None:
    """A chain started later in a scene (a --cluster chunk) starts from the scene's first
    frame's painting warped onto its first frame; at the anchor's own frame, from it as is."""
    from vstyle.optimize.video import Anchor

    painting = np.random.default_rng(5).integers(0, 256, clip.frames[0].shape, dtype=np.uint8)
    opts = options(style, vgg_file, iters=0, first_iters=0, weight=0.0)  # outputs = starts
    opt = VideoOptimizer(opts, CPU)
    opt.flow = true_flow(clip)
    opt.anchor = Anchor(clip.frames[0], painting, here=here)
    begin = 0 if here else 1
    out = list(opt(iter(frames_of(clip.frames)[begin:3])))
    if here:
        assert np.array_equal(out[0].rgb, painting)
        return
    bwd = torch.from_numpy(clip.backward(1)).permute(2, 0, 1)[None]
    fwd = torch.from_numpy(-clip.backward(0)).permute(2, 0, 1)[None]
    c = reliability(fwd, bwd)
    whole = (c[0, 0] == 1).numpy() & ~clip.in_square(1) & ~clip.in_square(0)
    assert whole.mean() > 0.5
    # The background moved 2 px right: the anchor's painting, shifted, where reliable.
    assert np.array_equal(out[0].rgb[whole], np.roll(painting, 2, axis=1)[whole])
    low = (c[0, 0] < 0.5).numpy()
    assert not np.array_equal(out[0].rgb[low], np.roll(painting, 2, axis=1)[low])
    # The chain goes on from there as any chain: frame 2 from frame 1's result.
    keep = whole & np.roll(whole, 2, axis=1) & ~clip.in_square(2)
    assert np.array_equal(out[1].rgb[keep], np.roll(out[0].rgb, 2, axis=1)[keep])


@pytest.mark.parametrize("init", ["content", "random"])
def test_other_inits(init: str, clip: Clip, style: Path, vgg_file: Path) -> None:
    opts = options(style, vgg_file, iters=0, init=init, first_iters=0, weight=0.0)
    out = run(opts, frames_of(clip.frames[:3]), true_flow(clip))
    if init == "content":
        assert all(np.array_equal(o.rgb, f) for o, f in zip(out, clip.frames, strict=False))
    else:
        g = torch.Generator().manual_seed(opts.optim.seed)
        noise = to_array(torch.rand((1, 3, 48, 64), generator=g))
        assert all(np.array_equal(o.rgb, noise) for o in out)


def test_first_frame_gets_first_iters(clip: Clip, style: Path, vgg_file: Path) -> None:
    report = Report()
    out = run(options(style, vgg_file, iters=2), frames_of(clip.frames[:3]), report=report)
    assert [r["iterations"] for r in report.frame_reports] == [4, 2, 2]
    assert [f.index for f in out] == [0, 1, 2]
    report = Report()
    run(options(style, vgg_file, iters=2, first_iters=3), frames_of(clip.frames[:2]), report=report)
    assert [r["iterations"] for r in report.frame_reports] == [3, 2]
    assert "temporal" in report.frame_reports[1]["terms"]


def test_multipass_spools_to_the_work_dir(
    clip: Clip, style: Path, vgg_file: Path, tmp_path: Path
) -> None:
    frames = frames_of(clip.frames)
    report = Report()
    work = tmp_path / "work"
    out = run(options(style, vgg_file, iters=1, passes=3, work_dir=work), frames, report=report)
    assert [(f.index, f.pts, f.time_base) for f in out] == [
        (f.index, f.pts, f.time_base) for f in frames
    ]
    assert len(list((work / "input").glob("*.png"))) == 5
    assert len(list((work / "flow").glob("*.npy"))) == 4
    assert len(list((work / "pass3").glob("*.png"))) == 5
    assert not (work / "pass1").exists() and not (work / "pass2").exists()  # dropped when done
    assert [r["pass"] for r in report.frame_reports] == [1] * 5 + [2] * 5 + [3] * 5
    # Pass 2 runs backward: its first frame is the last, with nothing to blend with.
    assert [r["frame"] for r in report.frame_reports[5:10]] == [4, 3, 2, 1, 0]
    assert "temporal" not in report.frame_reports[1]["terms"]  # on from pass ceil(3/2) = 2
    assert "temporal" in report.frame_reports[6]["terms"]
    assert np.array_equal(out[2].rgb, read_image(work / "pass3" / "000002.png"))


def test_multipass_without_work_dir_cleans_up(
    clip: Clip, style: Path, vgg_file: Path, monkeypatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    out = run(options(style, vgg_file, iters=1, passes=2), frames_of(clip.frames[:3]))
    assert len(out) == 3 and not list(tmp_path.glob("vstyle-*"))


def failing_after(frames: list[Frame], n: int):
    yield from frames[:n]
    raise RuntimeError("input broke")


@pytest.mark.parametrize("passes", [1, 2])
@pytest.mark.slow
def test_resume_is_bit_exact(
    passes: int, clip: Clip, style: Path, vgg_file: Path, tmp_path: Path
) -> None:
    frames = frames_of(clip.frames)
    fresh = run(options(style, vgg_file, passes=passes), frames)
    opts = options(style, vgg_file, passes=passes, work_dir=tmp_path / "work")
    with pytest.raises(RuntimeError, match="input broke"):
        list(VideoOptimizer(opts, CPU)(failing_after(frames, 3)))
    assert len(list((tmp_path / "work" / "pass1").glob("*.png"))) >= 2
    if passes == 2:  # stop again, half-way through the second pass
        opt, calls = VideoOptimizer(opts, CPU), []
        stylize = opt.stylize

        def stop_on_pass2(*args, **kwargs):
            calls.append(1)
            if len(calls) > 2 + 2:  # frames 3, 4 of pass 1, then two of pass 2
                raise KeyboardInterrupt
            return stylize(*args, **kwargs)

        opt.stylize = stop_on_pass2
        with pytest.raises(KeyboardInterrupt):
            list(opt(iter(frames)))
        assert len(list((tmp_path / "work" / "pass2").glob("*.png"))) == 2
    report = Report()
    resumed = list(VideoOptimizer(opts, CPU, on_record=report.add)(iter(frames)))
    assert all(np.array_equal(a.rgb, b.rgb) for a, b in zip(fresh, resumed, strict=True))
    assert len(report.frame_reports) == (2 if passes == 1 else 3)  # only the missing frames
    again = run(opts, frames)  # everything done: read back, nothing optimized
    assert all(np.array_equal(a.rgb, b.rgb) for a, b in zip(fresh, again, strict=True))


def test_changed_options_are_refused(
    clip: Clip, style: Path, vgg_file: Path, tmp_path: Path
) -> None:
    frames = frames_of(clip.frames[:2])
    work = tmp_path / "work"
    run(options(style, vgg_file, iters=1, work_dir=work), frames)
    with pytest.raises(
        OptionError, match=r"--work-dir .*work.* other options \(optim.iters 1 -> 2\)"
    ):
        run(options(style, vgg_file, iters=2, work_dir=work), frames)
    with pytest.raises(OptionError, match="temporal.weight"):
        run(options(style, vgg_file, iters=1, work_dir=work, weight=3.0), frames)
    other = frames_of([clip.frames[0], clip.frames[3]])
    with pytest.raises(InputError, match="another input: frame 1 differs"):
        run(options(style, vgg_file, iters=1, work_dir=work), other)
    restarted = run(options(style, vgg_file, iters=2, work_dir=work, restart=True), frames)
    fresh = run(options(style, vgg_file, iters=2), frames)
    assert all(np.array_equal(a.rgb, b.rgb) for a, b in zip(fresh, restarted, strict=True))


def test_disabled_is_per_frame(clip: Clip, style: Path, vgg_file: Path) -> None:
    opts = options(style, vgg_file, iters=2, init="content", enabled=False)
    report = Report()
    run(dataclasses.replace(opts), frames_of(clip.frames[:2]), report=report)
    assert [r["iterations"] for r in report.frame_reports] == [2, 2]


def test_restart_discards_a_finished_multipass_run(
    clip: Clip, style: Path, vgg_file: Path, tmp_path: Path
) -> None:
    frames, work = frames_of(clip.frames[:3]), tmp_path / "work"
    run(options(style, vgg_file, iters=1, passes=2, work_dir=work), frames)
    opts = options(style, vgg_file, iters=2, passes=2, work_dir=work, restart=True)
    restarted = run(opts, frames)
    fresh = run(options(style, vgg_file, iters=2, passes=2), frames)
    assert all(np.array_equal(a.rgb, b.rgb) for a, b in zip(fresh, restarted, strict=True))


def test_later_passes_run_pass_iters_without_early_stop(
    clip: Clip, style: Path, vgg_file: Path
) -> None:
    opts = options(style, vgg_file, iters=1, passes=2, pass_iters=4)
    # A tolerance that stops any run after two iterations, if stopping were allowed.
    opts = dataclasses.replace(
        opts, optim=dataclasses.replace(opts.optim, tolerance=1.0, patience=1)
    )
    report = Report()
    run(opts, frames_of(clip.frames[:3]), report=report)
    later = [r for r in report.frame_reports if r["pass"] == 2]
    assert [r["iterations"] for r in later] == [4, 4, 4]
    assert not any(r["stopped_early"] for r in later)
    assert report.frame_reports[0]["iterations"] == 2  # pass 1 still stops early


@pytest.mark.slow
def test_revealed_regions_are_stylized_like_the_rest(style: Path, real_vgg: Path) -> None:
    # A textured square moving diagonally over a panning textured background: behind it,
    # and on the strip entering at the left, the flow is unreliable each frame.
    moving = make_clip(n=4, size=(64, 48), bg=(2, 0), fg=(-4, 4), side=20, seed=3)
    out = run(options(style, real_vgg, iters=30), frames_of(moving.frames), true_flow(moving))
    band, rest = [], []
    for t in (2, 3):  # past the first frames' extra iterations
        fwd = torch.from_numpy(-moving.backward(t - 1)).permute(2, 0, 1)[None]
        bwd = torch.from_numpy(moving.backward(t)).permute(2, 0, 1)[None]
        c = reliability(fwd, bwd)[0, 0].numpy() >= 0.5  # soft weights: unreliable below half
        strength = np.abs(out[t].rgb.astype(float) - moving.frames[t]).mean(-1)
        band.append(strength[~c].mean())
        rest.append(strength[c].mean())
    ratio = np.mean(rest) / np.mean(band)
    print(f"stylization strength rest / unreliable band: {ratio:.3f}")
    assert ratio < 1.2  # a content start left the band at 0.82x of the rest (ratio 1.22)
