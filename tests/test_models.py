""".vsm model files: round trip, every bad file answered in one line, and the lengstrom import."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save as st_save
from typer.testing import CliRunner

from tests.conftest import SHARED
from tests.nets.test_transformer import seeded
from tests.test_cli_image import one_line_error
from vstyle.cli import app
from vstyle.errors import ModelError, OutputError
from vstyle.frames import to_array, to_tensor
from vstyle.io.image import read_image
from vstyle.nets.modelfile import ModelInfo, load_model, read_info, save_model
from vstyle.nets.transformer import TransformerNet

runner = CliRunner()
FAST = SHARED / "fast-models"


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def slim(tmp_path: Path, style_rgb, write_png) -> tuple[Path, TransformerNet, ModelInfo]:
    """A seeded width-0.25 net saved with a style picture and training options."""
    from vstyle.models import style_fields

    net = seeded(TransformerNet(0.25), seed=3)
    info = ModelInfo(
        layout="vstyle",
        width=0.25,
        origin={"trained": {"steps": 20, "size": 64, "style_weight": 5.0}},
        **style_fields(write_png("stripes.png", style_rgb)),
    )
    return save_model(tmp_path / "slim.vsm", net, info), net, info


@pytest.fixture
def wave_pth() -> Path:
    if not (FAST / "wave.pth").is_file():
        pytest.skip(f"{FAST} not found: the lengstrom tests need the real trained models")
    return FAST / "wave.pth"


def test_round_trip_keeps_metadata_and_outputs(slim) -> None:
    path, net, info = slim
    loaded, got = load_model(path)
    assert got == replace(info, weights_sha256=got.weights_sha256, created=got.created)
    assert len(got.weights_sha256) == 64 and got.created
    assert got == read_info(path)
    assert not loaded.training and not any(p.requires_grad for p in loaded.parameters())
    x = torch.rand(1, 3, 33, 47)
    with torch.no_grad():
        assert torch.equal(loaded(x), net(x))
    assert not list(path.parent.glob(".*partial")), "temporary file left behind"


def test_thumbnail_is_a_small_png_of_the_style(slim) -> None:
    import base64

    import cv2

    info = slim[2]
    png = np.frombuffer(base64.b64decode(info.style_thumbnail), np.uint8)
    thumb = cv2.imdecode(png, cv2.IMREAD_COLOR)
    assert thumb.shape == (64, 64, 3)  # the 64x64 stripes, not enlarged
    assert info.style_name == "stripes.png" and len(info.style_sha256) == 64


def test_save_refuses_to_overwrite_and_bad_names(slim) -> None:
    path, net, info = slim
    before = path.read_bytes()
    with pytest.raises(OutputError, match="--overwrite"):
        save_model(path, net, info)
    assert path.read_bytes() == before
    with pytest.raises(OutputError, match=r"\.vsm"):
        save_model(path.with_suffix(".pth"), net, info)
    with pytest.raises(ModelError, match="width 0.5"):  # the net must be what info says
        save_model(path.with_name("other.vsm"), net, replace(info, width=0.5))
    save_model(path, seeded(TransformerNet(0.25), seed=9), info, overwrite=True)
    assert path.read_bytes() != before


def _foreign(tmp_path: Path, slim) -> dict[str, Path]:
    """Every kind of file that is not an intact .vsm, by name."""
    path, _, info = slim
    data = path.read_bytes()
    state = load_model(path)[0].state_dict()
    files = {
        "empty": b"",
        "random": np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes(),
        "truncated header": data[:200],
        "truncated weights": data[: len(data) // 2],
        "foreign safetensors": st_save({"w": torch.zeros(2, 2)}, metadata={"author": "x"}),
        "wrong shapes": st_save(
            {k: v for k, v in state.items()},
            metadata={"vstyle": json.dumps({**info.as_dict(), "width": 0.5})},
        ),
        "newer format": st_save(
            dict(state), metadata={"vstyle": json.dumps({**info.as_dict(), "format_version": 99})}
        ),
        "unknown layout": st_save(
            dict(state), metadata={"vstyle": json.dumps({**info.as_dict(), "layout": "x"})}
        ),
        "flipped byte": data[:-1] + bytes([data[-1] ^ 0xFF]),
    }
    out = {}
    for name, content in files.items():
        out[name] = tmp_path / f"{name.replace(' ', '_')}.vsm"
        out[name].write_bytes(content)
    out["pickle"] = tmp_path / "pickle.vsm"
    torch.save(state, out["pickle"])
    out["missing"] = tmp_path / "missing.vsm"
    return out


WORDS = {
    "empty": "0 byte",
    "random": "not a .vsm",
    "truncated header": "truncated",
    "truncated weights": "truncated",
    "foreign safetensors": "without vstyle metadata",
    "wrong shapes": "needs",
    "newer format": "upgrade vstyle",
    "unknown layout": "layout 'x'",
    "flipped byte": "sha256",
    "pickle": "pickle",
    "missing": "does not exist",
}


@pytest.mark.parametrize("kind", list(WORDS))
def test_bad_files_give_one_line(kind: str, tmp_path: Path, slim, monkeypatch) -> None:
    path = _foreign(tmp_path, slim)[kind]
    with pytest.raises(ModelError, match=WORDS[kind]):
        load_model(path)

    def never(*args, **kwargs):
        raise AssertionError("a .vsm must never be unpickled")

    for name in ("torch.load", "pickle.load", "pickle.loads"):
        monkeypatch.setattr(name, never)
    one_line_error(invoke("models", "info", path), path.name, WORDS[kind])


@pytest.mark.parametrize("low_byte", [0x80, 0x50])
def test_any_header_size_loads(low_byte: int, slim, tmp_path: Path) -> None:
    """A header whose size starts with byte 0x80 (as a pickle does) is still a .vsm."""
    path, net, info = slim
    for pad in range(256):  # the header's size moves with the length of the metadata
        padded = replace(info, origin={**info.origin, "pad": "x" * pad})
        save_model(tmp_path / "p.vsm", net, padded, overwrite=True)
        if (tmp_path / "p.vsm").read_bytes()[0] == low_byte:
            break
    else:
        pytest.fail(f"no padding gave a header size starting with {low_byte:#x}")
    loaded, found = load_model(tmp_path / "p.vsm")
    assert found.origin["pad"] == padded.origin["pad"]
    x = torch.rand(1, 3, 16, 16)
    torch.testing.assert_close(loaded(x), net(x))


def test_models_info_prints_the_metadata(slim) -> None:
    path, net, info = slim
    result = invoke("models", "info", path)
    assert result.exit_code == 0, result.output
    fields = dict(line.split(None, 1) for line in result.output.splitlines() if " " in line)
    assert fields["layout"] == "vstyle" and fields["width"] == "0.25"
    assert fields["parameters"] == f"{sum(p.numel() for p in net.parameters()):,}"
    assert "trained steps" in result.output and "stripes.png" in result.output
    assert "64x64 PNG" in result.output
    data = json.loads(invoke("models", "info", path, "--json").output)
    assert data == read_info(path).as_dict()


def test_import_lengstrom_matches_the_reference(wave_pth: Path, tmp_path: Path) -> None:
    out = tmp_path / "wave.vsm"
    result = invoke("models", "import", wave_pth, "--layout", "lengstrom", "-o", out,
                    "--style", FAST / "wave.jpg")  # fmt: skip
    assert result.exit_code == 0, result.output
    net, info = load_model(out)
    assert info.layout == "lengstrom" and info.style_name == "wave.jpg"
    assert info.origin["imported"]["file"] == "wave.pth"
    content = read_image(SHARED / "content" / "chelsea.png")
    with torch.no_grad():
        got = to_array(net(to_tensor(content))).astype(np.float64)
    reference = read_image(FAST / "reference_chelsea_wave.png").astype(np.float64)
    assert got.shape == reference.shape == (300, 451, 3)
    psnr = 10 * np.log10(255**2 / max(np.mean((got - reference) ** 2), 1e-12))
    assert psnr > 40, f"PSNR {psnr:.1f} dB"
    one_line_error(invoke("models", "import", wave_pth, "--layout", "lengstrom", "-o", out),
                   "--overwrite")  # fmt: skip


@pytest.mark.parametrize(
    "args, words",
    [
        (["--layout", "lengstrm"], ["did you mean 'lengstrom'"]),
        (["--layout", "lengstrom", "--style", "nope.jpg"], ["--style", "nope.jpg"]),
    ],
)
def test_import_bad_options(args, words, tmp_path: Path, slim) -> None:
    torch.save({"x": torch.zeros(1)}, tmp_path / "a.pth")
    one_line_error(invoke("models", "import", tmp_path / "a.pth", *args, "-o", tmp_path / "o.vsm"),
                   *words)  # fmt: skip
    assert not (tmp_path / "o.vsm").exists()


def test_import_refuses_other_files(tmp_path: Path, slim) -> None:
    torch.save({"conv1.weight": torch.zeros(3)}, tmp_path / "other.pth")
    torch.save({"x": Path("p")}, tmp_path / "object.pth")
    out = tmp_path / "o.vsm"
    for name, words in [("other.pth", ["lengstrom", "missing"]), ("object.pth", ["objects"]),
                        (slim[0], ["not a PyTorch file"])]:  # fmt: skip
        one_line_error(invoke("models", "import", tmp_path / name, "--layout", "lengstrom",
                              "-o", out), *words)  # fmt: skip
    assert not out.exists()


@pytest.mark.gpu
def test_loads_onto_cuda(slim) -> None:
    net, _ = load_model(slim[0], device="cuda")
    x = torch.rand(1, 3, 33, 47)
    with torch.no_grad():
        torch.testing.assert_close(net(x.cuda()).cpu(), slim[1](x), rtol=1e-3, atol=1e-4)
