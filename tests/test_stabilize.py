"""``--stabilize``: the blend along the flow, exactly on still frames, and less flicker
on a real clip with a real trained model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from tests.conftest import SHARED
from tests.io.io_clips import probe
from vstyle.cli import app
from vstyle.fast import Stabilizer
from vstyle.frames import Frame
from vstyle.metrics import warping_error

CLIP = SHARED / "video" / "carphone_pristine.mp4"
WAVE = SHARED / "fast-models" / "wave.pth"


def outputs(seed: int, n: int, height: int = 48, width: int = 64) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return [torch.rand(1, 3, height, width, generator=g) for _ in range(n)]


def run(stabilizer: Stabilizer, frames: list[Frame], outs: list[torch.Tensor]):
    motions = stabilizer.motions(frames)
    return [stabilizer.blend(o, m) for (_, m), o in zip(motions, outs, strict=True)]


@pytest.mark.parametrize("strength", [0.0, 0.3, 1.0])
def test_still_frames_blend_by_the_strength(strength: float, content_rgb) -> None:
    frames = [Frame(i, content_rgb) for i in range(3)]  # no motion: the flow is ~0 everywhere
    outs = outputs(0, 3)
    got = run(Stabilizer("dis", strength), frames, outs)
    assert torch.equal(got[0], outs[0])  # nothing before the first frame
    expected = outs[0]
    for out, blended in zip(outs[1:], got[1:], strict=True):
        expected = (1 - strength) * out + strength * expected  # recursive along the path
        assert torch.allclose(blended, expected, atol=1e-3)


def test_unreliable_regions_keep_the_nets_output(content_rgb) -> None:
    # A cut: the second picture shares nothing with the first, so little of it is reliable
    # and the blend leaves most pixels as the net painted them.
    other = np.ascontiguousarray(np.roll(content_rgb[::-1, ::-1], 17, axis=1))
    frames = [Frame(0, content_rgb), Frame(1, other)]
    outs = outputs(1, 2)
    got = run(Stabilizer("dis", 1.0), frames, outs)
    unchanged = (got[1] == outs[1]).all(1).float().mean().item()
    assert unchanged > 0.3


@pytest.mark.slow  # a real net on 2 x 8 frames
def test_stabilize_lowers_the_warping_error_on_a_real_clip(tmp_path: Path) -> None:
    if not (CLIP.is_file() and WAVE.is_file()):
        pytest.skip(f"{CLIP} or {WAVE} not found: this test needs the real clip and model")
    model = tmp_path / "wave.vsm"
    runner = CliRunner()
    made = runner.invoke(app, ["models", "import", str(WAVE), "--layout", "lengstrom",
                               "-o", str(model)])  # fmt: skip
    assert made.exit_code == 0, made.output
    errors = {}
    for stabilize in ("--no-stabilize", "--stabilize"):
        out = tmp_path / f"{stabilize}.mp4"
        result = runner.invoke(app, [str(CLIP), str(out), "--model", str(model), "--frames", "8",
            "--max-side", "96", "--engine", "eager", "--crf", "0", stabilize, "-q"])  # fmt: skip
        assert result.exit_code == 0, result.output
        inputs = probe(CLIP).rgb[:8]
        errors[stabilize] = warping_error(inputs, probe(out).rgb).warp_error
    assert errors["--stabilize"] < 0.8 * errors["--no-stabilize"], errors
