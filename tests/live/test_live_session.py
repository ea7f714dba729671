"""A live run on a clip standing in for the camera: dropping under a slow painter,
keys (model switching, pause, snapshot, compare, quit), and the Python API."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import vstyle
from vstyle.errors import OptionError
from vstyle.io.image import read_image
from vstyle.live.session import LiveRun
from vstyle.live.window import ScriptedKeys
from vstyle.options import FastOptions, LiveOptions, Options, RuntimeOptions, StyleOptions

from .conftest import RATE, FlatEngine


def options(clip: Path, **live: object) -> Options:
    return Options(live=LiveOptions(source=str(clip), loop=True, window=False, **live))


def test_a_slow_painter_drops_frames_and_latency_stays_bounded(clip: Path) -> None:
    delay = 0.1  # three camera frames at 30 fps: a queue would add 67 ms per frame shown
    with LiveRun(options(clip, frames=15), engines=[FlatEngine(0.5, delay)]) as run:
        summary = run.run()
        captured = run.grabber.captured
    assert summary.shown == 15 and summary.stopped_by == "--frames"
    assert summary.dropped >= 15  # about two of every three frames
    assert captured - summary.shown - summary.dropped in (0, 1)  # at most one left waiting
    # Taken fresh, a frame waits at most one camera interval, then is painted; queued,
    # the 15th would be about 15 * 67 ms = 1 s old.
    bound = delay + 1 / float(RATE) + 0.25  # room for a loaded 2-core machine
    assert max(summary.latencies) < bound, summary.latencies
    assert summary.mean_ms >= delay * 1000  # the painter's time is in it
    assert "15 frame(s) shown" in summary.line() and f"{summary.dropped} dropped" in summary.line()


def test_keys_switch_models_pause_snapshot_compare_and_quit(clip: Path, tmp_path: Path) -> None:
    keys = ScriptedKeys(
        [(1, "n"), (4, "p"), (6, " "), (9, " "), (10, "s"), (11, "c"), (12, "s"), (13, "q")]
    )
    live = options(clip, snapshots=tmp_path)
    engines = [FlatEngine(0.0), FlatEngine(1.0)]  # model 1 paints black, model 2 white
    with LiveRun(live, keys=keys, engines=engines) as run:
        painted = [int(f.rgb.mean()) for f in run.shown()]
        snapshots, summary = run.snapshots, run.summary
    # One poll per frame shown, and three while paused (polls 7-9) with no frame shown.
    assert painted == [0, 0, 255, 255, 255, 0, 0, 0, 0, 0, 0]
    assert keys.calls == 14 and summary.stopped_by == "q"
    first, second = (read_image(p) for p in snapshots)
    assert first.shape == (48, 64, 3) and first.max() == 0  # the painting alone
    assert second.shape == (48, 128, 3)  # c: the camera beside the painting
    assert second[:, 64:].max() == 0 and second[:, :64].mean() > 20


def test_pause_shows_no_new_frame_while_the_camera_runs(clip: Path) -> None:
    keys = ScriptedKeys([(0, " "), (10, " "), (12, "q")])  # ~300 ms paused after frame 0
    with LiveRun(options(clip), keys=keys, engines=[FlatEngine(0.5)]) as run:
        summary = run.run()
    assert summary.shown == 3  # frame 0, then 2 after the pause
    assert summary.dropped >= 5  # the camera went on meanwhile; its frames were dropped


def test_python_api_yields_painted_frames_with_capture_times(models, clip) -> None:
    frames = list(vstyle.live(models[0], source=clip, frames=6, engine="eager", precision="fp32"))
    assert len(frames) == 6
    times = [f.time for f in frames]
    assert times == sorted(times) and len(set(times)) == 6
    assert [f.index for f in frames] == sorted({f.index for f in frames})
    assert frames[0].rgb.shape == (48, 64, 3)
    assert np.abs(frames[0].rgb.astype(int) - 128).mean() > 1  # painted, not blank


def test_several_models_build_and_switch(models, clip) -> None:
    live = Options(
        fast=FastOptions(engine="eager"),
        live=LiveOptions(models=tuple(models), source=str(clip), loop=True, window=False),
    )
    keys = ScriptedKeys([(2, "n"), (30, "q")])
    with LiveRun(live, keys=keys) as run:
        names = []
        for _ in run.shown():
            names.append(run.painter.name)
    assert names[0] == models[0].name and names[-1] == models[1].name


def test_stabilize_blends_live_frames(models, clip) -> None:
    paint = {"source": clip, "frames": 4, "engine": "eager", "precision": "fp32"}
    plain = list(vstyle.live(models[0], **paint))
    steady = list(vstyle.live(models[0], **paint, stabilize=True))
    assert len(steady) == 4
    # The first frame has nothing to blend with; later ones are changed by the blend
    # (the clip's frames differ, so equal pictures would mean no blending).
    assert np.array_equal(plain[0].rgb, steady[0].rgb)


def test_window_path_with_opencv_gui_calls_stubbed(clip: Path, monkeypatch) -> None:
    """The window code on the main thread, with OpenCV's GUI calls recorded (no display
    here; the real imshow is tried in test_live_cli under offscreen Qt where it exists)."""
    from vstyle.live import window

    shown, keys = [], iter([-1, -1, ord("c"), -1, ord("q")])
    monkeypatch.setattr(window, "check_display", lambda: None)
    monkeypatch.setattr(window.cv2, "namedWindow", lambda *a: None)
    monkeypatch.setattr(window.cv2, "imshow", lambda title, bgr: shown.append(bgr.copy()))
    monkeypatch.setattr(window.cv2, "waitKey", lambda ms: next(keys, -1))
    monkeypatch.setattr(window.cv2, "getWindowProperty", lambda *a: 1.0)
    monkeypatch.setattr(window.cv2, "destroyWindow", lambda *a: None)
    live = Options(live=LiveOptions(source=str(clip), window=True))
    with LiveRun(live, engines=[FlatEngine(0.0)]) as run:
        summary = run.run()
    assert summary.shown == 5 and summary.stopped_by == "q"
    assert [s.shape for s in shown] == [(48, 64, 3)] * 3 + [(48, 128, 3)] * 2  # c: compare
    assert shown[0][:24].max() > 0 and shown[0][-4:].max() == 0  # overlay text on black


def inverse_options(clip: Path, model: Path, styles: list[Path]) -> Options:
    return Options(
        style=StyleOptions(paths=tuple(styles)),
        fast=FastOptions(engine="eager"),
        runtime=RuntimeOptions(precision="fp32"),
        live=LiveOptions(models=(model,), source=str(clip), loop=True, window=False),
    )


def test_an_inverse_net_cycles_through_the_styles(inverse_model, styles, clip) -> None:
    keys = ScriptedKeys([(3, "n"), (30, "q")])
    with LiveRun(inverse_options(clip, inverse_model, styles), keys=keys) as run:
        names = [run.painter.name for _ in run.shown()]
        looks = [s.engine for s in run.painter.stylizers]
    assert names[0] == f"{inverse_model.name} + {styles[0].name}"
    assert names[-1] == f"{inverse_model.name} + {styles[1].name}"
    x = torch.rand(1, 3, 48, 64, generator=torch.Generator().manual_seed(0))
    first, second = (look(x) for look in looks)
    assert (first - second).abs().max() > 1e-3  # each look has its own style baked in


def test_live_styles_need_an_inverse_net(inverse_model, models, styles, clip) -> None:
    with pytest.raises(OptionError, match="inverse net for any style: add --style"):
        LiveRun(inverse_options(clip, inverse_model, []))
    one_style = inverse_options(clip, models[0], styles)
    with pytest.raises(OptionError, match="needs an inverse-net model"):
        LiveRun(one_style)
