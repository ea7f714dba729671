"""Temporal metrics: near zero for a perfect warp, higher with flicker, and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest
from typer.testing import CliRunner

from vstyle.cli import app
from vstyle.errors import InputError
from vstyle.frames import Frame
from vstyle.metrics import WarpMetrics, warping_error

from .synthetic import make_clip


@pytest.fixture(scope="module")
def frames() -> list[np.ndarray]:
    return make_clip(n=5, size=(96, 72), side=24).frames


def _flicker(frames: list[np.ndarray], amount: float, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    noisy = [f + rng.normal(0, amount, f.shape) for f in frames]
    return [np.clip(f, 0, 255).astype(np.uint8) for f in noisy]


def _write_mp4(path: Path, frames: list[np.ndarray]) -> Path:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height = frames[0].shape[1], frames[0].shape[0]
        stream.pix_fmt = "yuv444p"  # no chroma subsampling: keeps the tiny test clip faithful
        stream.options = {"crf": "0"}
        for rgb in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
        container.mux(stream.encode())
    return path


def test_an_output_that_follows_the_motion_has_near_zero_error(frames: list[np.ndarray]) -> None:
    # Other textures, the same motion: what a temporally perfect stylization looks like.
    # Its error comes only from the flow estimated on the input, so it sits near the floor.
    follows = make_clip(n=5, size=(96, 72), side=24, seed=7).frames
    assert not np.array_equal(follows[0], frames[0])
    m = warping_error(frames, [Frame(i, f) for i, f in enumerate(follows)])
    assert isinstance(m, WarpMetrics) and m.frames == 5 and (m.width, m.height) == (96, 72)
    assert m.warp_error < 1e-3 and m.warp_error_all < 1e-3
    assert m.warp_error < 3 * m.input_warp_error + 1e-4
    assert 0.8 < m.reliable < 1.0
    # The same frames out of order do not follow the motion: far higher error.
    shuffled = warping_error(frames, [follows[i] for i in (0, 2, 1, 4, 3)])
    assert shuffled.warp_error > 20 * m.warp_error


def test_flicker_raises_the_error(frames: list[np.ndarray]) -> None:
    clean = warping_error(frames, frames)
    noisy = warping_error(frames, _flicker(frames, 8.0))
    assert noisy.warp_error > 10 * clean.warp_error
    assert noisy.warp_error_all > 10 * clean.warp_error_all
    assert noisy.input_warp_error == clean.input_warp_error  # the floor ignores the output
    assert noisy.warp_error_all < noisy.warp_error  # unreliable pixels dilute the Ruder form


def test_input_is_resized_to_the_output(frames: list[np.ndarray]) -> None:
    small = [f[::2, ::2].copy() for f in frames]
    assert (warping_error(frames, small).width, warping_error(frames, small).height) == (48, 36)


def test_frame_count_mismatch(frames: list[np.ndarray]) -> None:
    with pytest.raises(InputError, match="output ran out after 4 frames"):
        warping_error(frames, frames[:4])
    with pytest.raises(InputError, match="at least 2 frames"):
        warping_error(frames[:1], frames[:1])


def test_cli_prints_numbers_and_json(tmp_path: Path, frames: list[np.ndarray]) -> None:
    src = _write_mp4(tmp_path / "in.mp4", frames)
    out = _write_mp4(tmp_path / "out.mp4", _flicker(frames, 8.0))
    runner = CliRunner()
    text = runner.invoke(app, ["metrics", str(src), str(out)])
    assert text.exit_code == 0, text.output
    assert "warp error" in text.output and "reliable" in text.output
    result = runner.invoke(app, ["metrics", str(src), str(out), "--json"])
    data = json.loads(result.output)
    assert data["frames"] == 5 and data["warp_error"] > data["input_warp_error"]


def test_cli_frames_compares_the_first_n(tmp_path: Path, frames: list[np.ndarray]) -> None:
    src = _write_mp4(tmp_path / "in.mp4", frames)
    short = _write_mp4(tmp_path / "short.mp4", frames[:3])
    result = CliRunner().invoke(app, ["metrics", str(src), str(short), "--frames", "3", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["frames"] == 3


def test_cli_errors_are_one_line(tmp_path: Path, frames: list[np.ndarray]) -> None:
    src = _write_mp4(tmp_path / "in.mp4", frames)
    short = _write_mp4(tmp_path / "short.mp4", frames[:3])
    runner = CliRunner()
    for args, message in [
        ([str(src), str(tmp_path / "nope.mp4")], "does not exist"),
        ([str(src), str(short)], "ran out after 3 frames"),
        ([str(src), str(src), "--flow", "dis2"], "did you mean 'dis'"),
        ([str(src), str(short), "--frames", "1"], "--frames 1"),
    ]:
        result = runner.invoke(app, ["metrics", *args])
        assert result.exit_code == 2 and message in result.output, result.output


@pytest.fixture
def styled(tmp_path: Path, frames: list[np.ndarray]) -> dict[str, Path]:
    """A style picture, the input clip, and an 'output' that is the style picture itself."""
    from vstyle.io.image import write_image

    style_rgb = np.ascontiguousarray(frames[0][::-1, ::-1])
    write_image(tmp_path / "style.png", style_rgb)
    return {
        "style": tmp_path / "style.png",
        "input": _write_mp4(tmp_path / "in.mp4", frames[:2]),
        "output": _write_mp4(tmp_path / "out.mp4", [style_rgb, style_rgb]),
    }


def test_style_scores(styled: dict[str, Path], tiny_vgg: Path) -> None:
    from vstyle.metrics import evaluate

    same = evaluate(styled["input"], styled["input"], style=styled["style"], vgg_weights=tiny_vgg)
    assert same.style_distance is not None and same.style_distance > 0
    assert same.content_distance == pytest.approx(0, abs=1e-3)  # output == input
    painted = evaluate(
        styled["input"], styled["output"], style=styled["style"], vgg_weights=tiny_vgg
    )
    assert painted.style_distance < 0.1 * same.style_distance  # the output is the style
    assert painted.content_distance > 0.1


def test_cli_device_reaches_the_style_scores(
    styled: dict[str, Path], tiny_vgg: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vstyle.device import Runtime

    seen = []
    prepare = Runtime.prepare

    def spy(self: Runtime, module):
        seen.append(self.device.type)
        return prepare(self, module)

    monkeypatch.setattr(Runtime, "prepare", spy)
    args = ["metrics", str(styled["input"]), str(styled["output"]), "-s", str(styled["style"])]
    args += ["--vgg-weights", str(tiny_vgg), "--json"]
    result = CliRunner().invoke(app, [*args, "--device", "cpu"])
    assert result.exit_code == 0, result.output
    assert seen == ["cpu"] and json.loads(result.output)["style_distance"] >= 0
    bad = CliRunner().invoke(app, [*args, "--device", "tpu"])
    assert bad.exit_code == 2 and "--device 'tpu'" in bad.output


@pytest.mark.gpu
def test_style_scores_on_cuda_match_the_cpu(styled: dict[str, Path], tiny_vgg: Path) -> None:
    from vstyle.metrics import evaluate

    args = (styled["input"], styled["output"])
    kw = {"style": styled["style"], "vgg_weights": tiny_vgg}
    cpu, cuda = evaluate(*args, device="cpu", **kw), evaluate(*args, device="cuda", **kw)
    assert cuda.style_distance == pytest.approx(cpu.style_distance, rel=1e-3)
    assert cuda.content_distance == pytest.approx(cpu.content_distance, rel=1e-3)
