"""``vstyle flow`` and ``--flow-dir``: Ruder's file names, the files' contents, the checks."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from vstyle.cli import app
from vstyle.errors import InputError, OptionError, OutputError
from vstyle.flow import FlowDir, FlowWindow, flow_source, make_flow, read_flo
from vstyle.flow.files import names, prepare_folder
from vstyle.frames import to_tensor
from vstyle.options import TemporalOptions

from .synthetic import Clip, make_clip


@pytest.fixture(scope="module")
def small() -> Clip:
    return make_clip(n=4, size=(80, 64), side=24)


@pytest.fixture
def pattern(tmp_path: Path, small: Clip) -> str:
    folder = tmp_path / "frames"
    folder.mkdir()
    for i, rgb in enumerate(small.frames, start=1):
        cv2.imwrite(str(folder / f"{i:03d}.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return str(folder / "%03d.png")


def _flow(pattern: str, out: Path, *extra: str):
    return CliRunner().invoke(app, ["flow", pattern, str(out), "--flow", "dis", *extra])


def test_names_follow_ruders_scripts() -> None:
    assert names(0, 1) == {
        "forward": "forward_1_2.flo",
        "backward": "backward_2_1.flo",
        "reliable": "reliable_2_1.png",
        "reliable_earlier": "reliable_1_2.png",
    }
    assert names(9, 19)["backward"] == "backward_20_10.flo"


def test_flow_command_writes_every_pair(tmp_path: Path, pattern: str, small: Clip) -> None:
    out = tmp_path / "flows"
    result = _flow(pattern, out, "--long-term", "2")
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in out.iterdir())
    # 3 consecutive pairs and 2 at offset 2, four files each.
    assert len(files) == 4 * 5 and "backward_4_2.flo" in files and "reliable_1_3.png" in files
    backward = read_flo(out / "backward_3_2.flo")  # frame 3 -> frame 2, on frame 3's grid
    assert backward.shape == (64, 80, 2)
    background = ~small.in_square(2) & ~small.in_square(1)
    assert np.median(backward[..., 0][background]) == pytest.approx(-small.bg[0], abs=0.1)
    assert np.median(read_flo(out / "forward_2_3.flo")[..., 0][background]) == pytest.approx(
        small.bg[0], abs=0.1
    )
    c = cv2.imread(str(out / "reliable_3_2.png"), cv2.IMREAD_UNCHANGED)
    assert c.dtype == np.uint8 and c.shape == (64, 80)
    assert c.max() == 255 and (c == 255).mean() > 0.5 and (c < 128).any()  # edge, occlusions


def test_flow_command_refuses_a_folder_with_flows(tmp_path: Path, pattern: str) -> None:
    out = tmp_path / "flows"
    assert _flow(pattern, out, "--frames", "2").exit_code == 0
    again = _flow(pattern, out)
    assert again.exit_code != 0 and "already holds 4 flow file(s)" in again.output
    assert "--overwrite" in again.output
    assert _flow(pattern, out, "--overwrite").exit_code == 0
    assert len(list(out.glob("backward_*.flo"))) == 3


def test_flow_dir_gives_what_was_written(tmp_path: Path, pattern: str, small: Clip) -> None:
    out = tmp_path / "flows"
    assert _flow(pattern, out).exit_code == 0
    window, fresh = FlowWindow(flow_source("dis", out), (1,)), FlowWindow(make_flow("dis"), (1,))
    for i, rgb in enumerate(small.frames):
        pairs, expected = window(i, to_tensor(rgb)), fresh(i, to_tensor(rgb))
        assert pairs.keys() == expected.keys()
        for j, pair in pairs.items():
            torch.testing.assert_close(pair.backward, expected[j].backward)
            torch.testing.assert_close(pair.forward, expected[j].forward)
            # Read back from the 8-bit picture: within half a grey level.
            assert (pair.reliability - expected[j].reliability).abs().max() <= 0.5 / 255 + 1e-6


def test_flow_dir_checks_size_and_count(tmp_path: Path, pattern: str, small: Clip) -> None:
    out = tmp_path / "flows"
    assert _flow(pattern, out, "--frames", "3").exit_code == 0
    folder = FlowDir(out)
    assert folder.frames == 3
    with pytest.raises(InputError, match=r"no backward_4_3\.flo \(it holds flows up to frame 3\)"):
        folder.pair(2, 3, (64, 80))
    with pytest.raises(
        InputError, match=r"backward_2_1\.flo is 80x64, frames are processed at 40x32"
    ):
        folder.pair(0, 1, (32, 40))
    with pytest.raises(InputError, match="holds no backward_K_I.flo"):
        FlowDir(tmp_path)
    with pytest.raises(InputError, match="is not a folder"):
        flow_source("dis", tmp_path / "missing")


def test_a_single_picture_has_no_flow(tmp_path: Path, small: Clip) -> None:
    picture = tmp_path / "one.png"
    cv2.imwrite(str(picture), small.frames[0])
    result = CliRunner().invoke(app, ["flow", str(picture), str(tmp_path / "flows")])
    assert result.exit_code != 0 and "has fewer than 2 frames" in result.output


def test_a_file_is_not_a_folder(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(OutputError, match="is a file"):
        prepare_folder(tmp_path / "f", overwrite=True)


def test_main_command_with_flow_dir(
    tmp_path: Path, pattern: str, vgg_env: Path, small: Clip
) -> None:
    flows, style = tmp_path / "flows", tmp_path / "style.png"
    cv2.imwrite(str(style), cv2.cvtColor(small.frames[0], cv2.COLOR_RGB2BGR))
    assert _flow(pattern, flows, "--max-side", "40").exit_code == 0
    run = ["--style", str(style), "--iters", "1", "--first-iters", "1", "-q"]
    out = tmp_path / "out" / "%03d.png"
    out.parent.mkdir()
    ok = CliRunner().invoke(
        app, [pattern, str(out), *run, "--max-side", "40", "--flow-dir", str(flows)]
    )
    assert ok.exit_code == 0, ok.output
    assert len(list(out.parent.glob("*.png"))) == 4
    bad = CliRunner().invoke(
        app, [pattern, str(tmp_path / "o.mp4"), *run, "--flow-dir", str(flows)]
    )
    assert bad.exit_code != 0 and "is 40x32, frames are processed at 80x64" in bad.output


def test_flow_dir_without_temporal_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OptionError, match="--flow-dir .* has no effect with --no-temporal"):
        TemporalOptions(enabled=False, flow_dir=tmp_path)
