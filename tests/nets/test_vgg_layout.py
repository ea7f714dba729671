"""VGG-19's layout at any width (the tests' tiny VGG), and which error a bad file gives."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tests.conftest import TINY_WIDTHS, tiny_vgg_state
from vstyle.errors import (
    InvalidWeightsError,
    MissingWeightsError,
    VstyleError,
    WeightsError,
)
from vstyle.nets.vgg import VGGFeatures, conv_widths
from vstyle.nets.weights import find_weights, load_state


def test_tiny_file_loads_with_its_own_widths(tiny_vgg: Path) -> None:
    state = load_state(tiny_vgg)
    assert conv_widths(state) == TINY_WIDTHS
    vgg = VGGFeatures(state, ["relu1_1", "relu3_1", "relu5_1"])
    out = vgg(torch.rand(1, 3, 32, 48))
    assert out["relu1_1"].shape == (1, TINY_WIDTHS[0], 32, 48)
    assert out["relu3_1"].shape == (1, TINY_WIDTHS[4], 8, 12)
    assert out["relu5_1"].shape == (1, TINY_WIDTHS[12], 2, 3)
    assert torch.equal(vgg.features[0].weight, state["features.0.weight"])


def test_tiny_vgg_is_seeded_and_alive() -> None:
    a, b = tiny_vgg_state(0), tiny_vgg_state(0)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["features.0.weight"], tiny_vgg_state(1)["features.0.weight"])
    out = VGGFeatures(a, ["relu5_1"])(torch.rand(1, 3, 32, 32))["relu5_1"]
    assert float((out > 0).float().mean()) > 0.05  # He init: deep units still fire


def test_widths_that_do_not_chain_are_refused(tmp_path: Path) -> None:
    state = tiny_vgg_state()
    state["features.2.weight"] = torch.zeros(8, 5, 3, 3)  # conv1_2 expects 8 inputs
    torch.save(state, tmp_path / "broken.pth")
    with pytest.raises(InvalidWeightsError, match=r"features\.2\.weight has shape \(8, 5, 3, 3\)"):
        load_state(tmp_path / "broken.pth")


def test_a_corrupt_file_is_a_value_error_not_a_missing_file(tmp_path: Path) -> None:
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="cannot be loaded") as caught:
        load_state(tmp_path / "junk.pth")
    assert isinstance(caught.value, InvalidWeightsError) and isinstance(caught.value, WeightsError)
    assert not isinstance(caught.value, FileNotFoundError)
    torch.save({"conv.weight": torch.zeros(3, 3)}, tmp_path / "other.pth")
    with pytest.raises(InvalidWeightsError, match="is not VGG-19") as caught:
        load_state(tmp_path / "other.pth")
    assert not isinstance(caught.value, OSError)


def test_a_missing_file_is_a_file_not_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VSTYLE_VGG_WEIGHTS", raising=False)
    for call in (
        lambda: load_state(tmp_path / "none.pth"),
        lambda: find_weights(tmp_path / "none.pth"),
        lambda: find_weights(allow_download=False),
    ):
        with pytest.raises(FileNotFoundError) as caught:
            call()
        assert isinstance(caught.value, MissingWeightsError) and isinstance(
            caught.value, VstyleError
        )
        assert not isinstance(caught.value, ValueError)
