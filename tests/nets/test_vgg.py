"""VGG-19 features and how the weights are found."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from vstyle.cli import app
from vstyle.errors import OptionError, WeightsError
from vstyle.nets.vgg import LAYER_INDEX, VGGFeatures, make_features
from vstyle.nets.weights import find_weights, import_weights, load_state


def random_state(seed: int = 0) -> dict[str, torch.Tensor]:
    torch.manual_seed(seed)
    return {f"features.{k}": v for k, v in make_features().state_dict().items()}


def test_named_taps_and_truncation() -> None:
    vgg = VGGFeatures(random_state(), ["relu1_1", "relu3_1"])
    assert len(vgg.features) == LAYER_INDEX["relu3_1"] + 1
    out = vgg(torch.rand(1, 3, 32, 40))
    assert set(out) == {"relu1_1", "relu3_1"}
    assert out["relu1_1"].shape == (1, 64, 32, 40)
    assert out["relu3_1"].shape == (1, 256, 8, 10)
    assert not any(p.requires_grad for p in vgg.parameters())


def test_unknown_tap_suggests_a_name() -> None:
    with pytest.raises(OptionError, match="did you mean 'relu4_2'"):
        VGGFeatures(random_state(), ["relu4-2"])


def test_shared_file_loads_strict(vgg_file: Path) -> None:
    vgg = VGGFeatures(load_state(vgg_file), ["relu5_4"])
    feats = vgg(torch.rand(1, 3, 32, 32))
    assert feats["relu5_4"].shape == (1, 512, 2, 2)


def test_accepts_full_checkpoint_and_bare_features(tmp_path: Path) -> None:
    state = random_state()
    full = dict(state, **{"classifier.0.weight": torch.zeros(2, 2)})
    torch.save(full, tmp_path / "full.pth")
    bare = {k.removeprefix("features."): v for k, v in state.items()}
    torch.save(bare, tmp_path / "bare.pth")
    for name in ("full.pth", "bare.pth"):
        loaded = load_state(tmp_path / name)
        assert set(loaded) == set(state)
        assert torch.equal(loaded["features.0.weight"], state["features.0.weight"])


def test_wrong_file_is_a_clear_error(tmp_path: Path) -> None:
    torch.save({"conv.weight": torch.zeros(3, 3)}, tmp_path / "other.pth")
    with pytest.raises(WeightsError, match="is not VGG-19"):
        load_state(tmp_path / "other.pth")
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(WeightsError, match="cannot be loaded"):
        load_state(tmp_path / "junk.pth")


def test_search_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VSTYLE_VGG_WEIGHTS", raising=False)
    with pytest.raises(WeightsError, match="VSTYLE_VGG_WEIGHTS.*vstyle weights import"):
        find_weights(allow_download=False)
    torch.save(random_state(), tmp_path / "w.pth")
    cached = import_weights(tmp_path / "w.pth")
    assert find_weights(allow_download=False) == cached
    monkeypatch.setenv("VSTYLE_VGG_WEIGHTS", str(tmp_path / "w.pth"))
    assert find_weights() == tmp_path / "w.pth"
    assert find_weights(tmp_path / "w.pth") == tmp_path / "w.pth"
    with pytest.raises(WeightsError, match="--vgg-weights"):
        find_weights(tmp_path / "missing.pth")


def test_offline_download_fails_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VSTYLE_VGG_WEIGHTS", raising=False)

    def offline(*args: object, **kwargs: object) -> None:
        raise OSError("network is unreachable")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    with pytest.raises(WeightsError, match="download failed"):
        find_weights()


def test_download_caches_conv_weights_only(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.delenv("VSTYLE_VGG_WEIGHTS", raising=False)
    full = dict(random_state(), **{"classifier.6.weight": torch.zeros(1000, 4096)})
    seen = {}

    def fake_hub(url: str, **kwargs: object) -> dict:
        seen.update(kwargs, url=url)
        sys.stdout.write(f'Downloading: "{url}"\n')  # as torch.hub does
        return full

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", fake_hub)
    path = find_weights()
    out = capsys.readouterr()
    assert out.out == "" and "Downloading" in out.err  # stdout may be the video stream
    assert seen["check_hash"] and seen["weights_only"] and "vgg19-dcbb9e9d" in seen["url"]
    assert not any(k.startswith("classifier") for k in torch.load(path, weights_only=True))


def test_weights_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VSTYLE_VGG_WEIGHTS", raising=False)
    runner = CliRunner()
    missing = runner.invoke(app, ["weights"])
    assert missing.exit_code != 0 and "vstyle weights import" in missing.output
    torch.save(random_state(), tmp_path / "w.pth")
    imported = runner.invoke(app, ["weights", "import", str(tmp_path / "w.pth")])
    assert imported.exit_code == 0, imported.output
    shown = runner.invoke(app, ["weights"])
    assert shown.exit_code == 0 and "vgg19-features.pth" in shown.output


def test_in_place_relus_give_the_same_features_and_gradients() -> None:
    """In-place ReLUs save memory traffic; they must not change values or gradients."""
    taps = ["relu1_1", "relu2_1", "relu3_1", "relu4_2"]
    fast = VGGFeatures(random_state(), taps)
    assert any(isinstance(m, torch.nn.ReLU) and m.inplace for m in fast.features)
    plain = VGGFeatures(random_state(), taps)
    for m in plain.features:
        if isinstance(m, torch.nn.ReLU):
            m.inplace = False
    grads = []
    for net in (fast, plain):
        x = torch.rand(1, 3, 32, 40, generator=torch.Generator().manual_seed(3)).requires_grad_()
        out = net(x)
        sum((v * (i + 1)).square().mean() for i, v in enumerate(out.values())).backward()
        grads.append((out, x.grad))
    (f1, g1), (f2, g2) = grads
    assert all(torch.equal(f1[t], f2[t]) for t in taps)
    assert torch.allclose(g1, g2, rtol=1e-5, atol=1e-8) and g1.abs().sum() > 0


def test_a_tapped_conv_keeps_its_negative_values() -> None:
    vgg = VGGFeatures(random_state(), ["conv1_2", "relu1_2"])
    relu = vgg.features[LAYER_INDEX["relu1_2"]]
    assert not relu.inplace  # it would overwrite the conv1_2 tap
    out = vgg(torch.rand(1, 3, 16, 16))
    assert out["conv1_2"].min() < 0
    assert torch.equal(out["relu1_2"], out["conv1_2"].clamp_min(0))
