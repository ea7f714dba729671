"""``vstyle train --arbitrary``: a short run of the inverse network lowers its loss and
writes a model file that loads as an inverse net; bad options are one-line errors."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from tests.arbitrary.conftest import WIDTH
from vstyle.cli import app
from vstyle.errors import ModelError, OptionError
from vstyle.nets.inverse import InverseNet
from vstyle.nets.modelfile import load_model
from vstyle.options import TrainOptions
from vstyle.train import train


def options(photos: Path, paintings: Path, vgg: Path, out: Path, **changes) -> TrainOptions:
    base = TrainOptions(
        data=photos, styles=paintings, out=out, arbitrary=True, size=32, batch=2, steps=24,
        lr=3e-3, width=WIDTH, checkpoint_every=12, device="cpu", vgg_weights=vgg,
    )  # fmt: skip
    return replace(base, **changes)


@pytest.mark.parametrize("op", ["swap", "adain"])
def test_a_short_training_lowers_the_loss_and_loads(
    op: str, photo_dir, painting_dir, inverse_vgg, tmp_path
) -> None:
    out = tmp_path / f"inv-{op}.vsm"
    result = train(options(photo_dir, painting_dir, inverse_vgg, out, op=op))
    losses = result.losses
    assert len(losses) == 24
    assert sum(losses[-4:]) < 0.7 * sum(losses[:4]), losses
    net, info = load_model(out)
    assert isinstance(net, InverseNet)
    assert (info.layout, info.kind, info.op, info.width) == ("inverse", "inverse", op, WIDTH)
    assert info.origin["trained"]["op"] == op
    # The encoder is the VGG's, untouched by training.
    vgg = torch.load(inverse_vgg)
    assert torch.equal(net.encoder[10].weight, vgg["features.10.weight"])


def test_resume_continues_the_run(photo_dir, painting_dir, inverse_vgg, tmp_path) -> None:
    out = tmp_path / "inv.vsm"
    opts = options(photo_dir, painting_dir, inverse_vgg, out, steps=12, op="adain")
    train(opts)
    more = train(replace(opts, steps=16, resume=True))
    assert (more.first_step, len(more.losses)) == (12, 4)
    with pytest.raises(OptionError, match="--op"):
        train(replace(opts, steps=20, resume=True, op="swap"))


def test_a_vgg_of_other_widths_is_refused(photo_dir, painting_dir, tiny_vgg, tmp_path) -> None:
    with pytest.raises(ModelError, match="--width"):
        train(options(photo_dir, painting_dir, tiny_vgg, tmp_path / "x.vsm"))


def test_arbitrary_needs_styles() -> None:
    with pytest.raises(OptionError, match="--styles"):
        TrainOptions(arbitrary=True)
    with pytest.raises(OptionError, match="--arbitrary"):
        TrainOptions(styles=Path("paintings"))


def test_cli_trains_an_inverse_net(photo_dir, painting_dir, inverse_vgg, tmp_path) -> None:
    out = tmp_path / "cli.vsm"
    args = ["train", "--arbitrary", "--data", photo_dir, "--styles", painting_dir, "--out", out,
            "--op", "adain", "--steps", 2, "--size", 32, "--batch", 1, "--width", WIDTH,
            "--vgg-weights", inverse_vgg, "--device", "cpu", "-q"]  # fmt: skip
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    assert load_model(out)[1].op == "adain"
    bad = CliRunner().invoke(app, ["train", "--data", str(photo_dir), "--out", str(out)])
    assert bad.exit_code != 0 and "--style" in bad.output and "Traceback" not in bad.output
