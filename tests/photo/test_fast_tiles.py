"""Tiled inference of the fast networks with instance-norm statistics of the whole picture."""

from __future__ import annotations

import numpy as np
import torch
from typer.testing import CliRunner

from tests.conftest import smooth_noise
from tests.nets.test_transformer import seeded
from vstyle.cli import app
from vstyle.frames import to_tensor
from vstyle.io.image import read_image
from vstyle.nets.lengstrom import LengstromNet
from vstyle.nets.modelfile import ModelInfo, save_model
from vstyle.nets.transformer import TransformerNet
from vstyle.photo.fast_tiles import FrozenNorm, freeze_statistics, tiled_inference
from vstyle.photo.tiles import boxes


def picture() -> torch.Tensor:
    """128x96 with a dark left and a bright right: per-tile statistics differ a lot."""
    rgb = smooth_noise(96, 128, seed=4, cells=6).astype(np.float32)
    rgb[:, :64] *= 0.3
    return to_tensor(rgb.clip(0, 255).astype(np.uint8))


def naive(net, image, tile, overlap):
    """Each tile on its own statistics: what tiled_inference avoids."""
    from vstyle.photo.tiles import feather

    h, w = image.shape[-2:]
    total, weight = torch.zeros(1, 3, h, w), torch.zeros(1, 1, h, w)
    with torch.no_grad():
        for y0, y1, x0, x1 in boxes(h, w, tile, overlap):
            ramp = feather(y1 - y0, y0, tile, h, overlap)[:, None] * feather(
                x1 - x0, x0, tile, w, overlap
            )
            total[..., y0:y1, x0:x1] += net(image[..., y0:y1, x0:x1]) * ramp
            weight[..., y0:y1, x0:x1] += ramp
    return total / weight


def test_frozen_statistics_reproduce_the_whole_picture() -> None:
    net = seeded(TransformerNet(0.25), seed=7).eval()
    image = picture()
    frozen = freeze_statistics(net, image)
    assert sum(isinstance(m, FrozenNorm) for m in frozen.modules()) > 10
    assert not any(isinstance(m, FrozenNorm) for m in net.modules())  # a copy
    with torch.no_grad():
        torch.testing.assert_close(frozen(image), net(image), atol=1e-5, rtol=1e-4)


def test_tiled_is_closer_to_whole_than_per_tile_statistics() -> None:
    for net in (seeded(TransformerNet(0.25), seed=7).eval(), seeded(LengstromNet(), 3).eval()):
        image = picture()
        with torch.no_grad():
            whole = net(image)
        exact = tiled_inference(net, image, 64, 24, stats_side=128)
        approx = tiled_inference(net, image, 64, 24)  # statistics from a 64 px picture
        per_tile = naive(net, image, 64, 24)
        err = {k: (v - whole).abs().mean().item() for k, v in
               (("exact", exact), ("approx", approx), ("naive", per_tile))}  # fmt: skip
        # What is left with exact statistics is the tiles' own borders (the padding).
        assert err["exact"] < 0.35 * err["naive"], err
        assert err["approx"] < 0.75 * err["naive"], err


def test_cli_fast_tiles(tmp_path, write_png) -> None:
    net = seeded(TransformerNet(0.25), seed=7)
    model = save_model(tmp_path / "m.vsm", net, ModelInfo("vstyle", 0.25))
    big = (picture()[0].permute(1, 2, 0).numpy() * 255).astype(np.uint8)
    out = tmp_path / "o.png"
    args = [str(write_png("c.png", big)), str(out), "--model", str(model), "--tile", "64",
            "--tile-overlap", "16", "--device", "cpu", "-q"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    got = read_image(out).astype(np.float64) / 255
    want = tiled_inference(net.eval(), picture(), 64, 16)[0].permute(1, 2, 0).numpy()
    assert np.abs(got - want).max() < 2 / 255
