"""RAFT in plain torch: layout, shapes, strict loading, and the hash-checked download.

Its accuracy with the published weights cannot be checked here (no network): these
tests use weights drawn at random and saved to a temporary file, and a download that
is served from memory through ``torch.hub``'s own (hash-checking) code.
"""

from __future__ import annotations

import hashlib
import io
import re
from email.message import Message
from pathlib import Path
from urllib.error import URLError

import pytest
import torch

from vstyle.errors import WeightsError
from vstyle.flow import OpenCVFlow, make_flow, raft_flow
from vstyle.flow.raft import LARGE, RAFT, SMALL, correlation_pyramid, lookup, upsample
from vstyle.flow.raft_flow import PUBLISHED, RaftFlow, find_raft_weights, load_raft


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache and no explicit weights file."""
    monkeypatch.setenv("VSTYLE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv(raft_flow.ENV_RAFT, raising=False)
    raft_flow._model.cache_clear()
    return tmp_path / "home"


def _random_weights(tmp_path: Path, cfg=SMALL, name: str = "w.pth") -> Path:
    torch.manual_seed(0)
    path = tmp_path / name
    torch.save(RAFT(cfg).state_dict(), path)
    return path


@pytest.mark.parametrize(("cfg", "count"), [(LARGE, 5_257_536), (SMALL, 990_162)])
def test_parameter_counts_match_torchvisions_published_models(cfg, count: int) -> None:
    assert sum(p.numel() for p in RAFT(cfg).parameters()) == count


def test_published_hash_prefixes_are_the_ones_in_the_file_names() -> None:
    for url, prefix, _ in PUBLISHED.values():
        assert re.search(r"-([a-f0-9]*)\.", url.rsplit("/", 1)[1]).group(1) == prefix


def test_strict_load_round_trips_and_refuses_foreign_files(tmp_path: Path) -> None:
    path = _random_weights(tmp_path)
    model = load_raft("raft-small", path)
    saved = torch.load(path, weights_only=True)
    assert all(torch.equal(v, saved[k]) for k, v in model.state_dict().items())
    assert not model.training
    with pytest.raises(WeightsError, match=r"w\.pth' are not raft weights"):
        load_raft("raft", path)  # small weights into the large network
    partial = tmp_path / "partial.pth"
    torch.save({k: v for k, v in saved.items() if "flow_head" not in k}, partial)
    with pytest.raises(WeightsError, match="missing update_block.flow_head"):
        load_raft("raft-small", partial)


def test_flow_shapes_on_odd_sizes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, device: torch.device
) -> None:
    monkeypatch.setenv(raft_flow.ENV_RAFT, str(_random_weights(tmp_path)))
    flow = make_flow("raft-small", device)
    assert isinstance(flow, RaftFlow) and next(flow.model.parameters()).device.type == device.type
    a, b = torch.rand(2, 3, 37, 50), torch.rand(2, 3, 37, 50)
    out = flow(a, b)
    assert out.shape == (2, 2, 37, 50) and out.dtype == torch.float32 and out.isfinite().all()
    # Each pair is estimated on its own: batching does not mix them.
    torch.testing.assert_close(flow(a[1:], b[1:]), out[1:], atol=1e-4, rtol=1e-4)


def test_lookup_order_is_x_offset_major() -> None:
    torch.manual_seed(1)
    f1, f2 = torch.randn(1, 5, 16, 16), torch.randn(1, 5, 16, 16)
    r, x, y = 2, 7, 9
    coords = torch.zeros(1, 2, 16, 16)
    coords[0, 0], coords[0, 1] = x, y  # every pixel looks around (x, y)
    corr = lookup(correlation_pyramid(f1, f2), coords, r)[0, :, 3, 4]  # pixel (x=4, y=3)
    side = 2 * r + 1
    for a, b in [(0, 0), (1, 4), (4, 1), (2, 2)]:
        expected = (f1[0, :, 3, 4] * f2[0, :, y + b - r, x + a - r]).sum() / 5**0.5
        assert corr[a * side + b] == pytest.approx(float(expected), abs=1e-5)


@pytest.mark.parametrize("masked", [True, False])
def test_upsampling_keeps_a_constant_flow(masked: bool) -> None:
    flow = torch.tensor([1.5, -2.0]).view(1, 2, 1, 1).expand(1, 2, 3, 4).contiguous()
    mask = torch.randn(1, 576, 3, 4) if masked else None
    up = upsample(flow, mask)
    assert up.shape == (1, 2, 24, 32)
    torch.testing.assert_close(up[0, :, 8:16, 8:24], 8 * flow[0, :, :1, :1].expand(2, 8, 16))


class _Response(io.BytesIO):
    def info(self) -> Message:
        return Message()  # no Content-Length

    def __enter__(self):
        return self


def _serve(monkeypatch: pytest.MonkeyPatch, data: bytes) -> list[str]:
    calls: list[str] = []

    def urlopen(request, *args, **kwargs):
        calls.append(request.full_url)
        return _Response(data)

    monkeypatch.setattr(torch.hub, "urlopen", urlopen)
    return calls


def test_download_is_hash_checked_and_cached(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _random_weights(tmp_path).read_bytes()
    url = "https://example.invalid/raft_small_test-abcd.pth"
    good = hashlib.sha256(data).hexdigest()[:8]
    monkeypatch.setitem(PUBLISHED, "raft-small", (url, good, SMALL))
    calls = _serve(monkeypatch, data)
    path = find_raft_weights("raft-small")
    assert path == home / "raft_small_test-abcd.pth" and path.read_bytes() == data
    assert find_raft_weights("raft-small") == path and len(calls) == 1  # cached
    assert isinstance(RaftFlow("raft-small"), RaftFlow) and len(calls) == 1

    path.unlink()
    monkeypatch.setitem(PUBLISHED, "raft-small", (url, "00000000", SMALL))
    with pytest.raises(WeightsError, match="invalid hash value"):
        find_raft_weights("raft-small")
    assert not path.exists()  # a bad download is not kept


def test_no_weights_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    def offline(*args, **kwargs):
        raise URLError("no network")

    monkeypatch.setattr(torch.hub, "urlopen", offline)
    with pytest.raises(WeightsError, match=r"download of https://.*VSTYLE_RAFT_WEIGHTS"):
        make_flow("raft")
    with pytest.raises(WeightsError, match="does not exist"):
        monkeypatch.setenv(raft_flow.ENV_RAFT, "/nonexistent/raft.pth")
        make_flow("raft")


def test_auto_is_dis_on_cpu_and_falls_back_without_weights(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    auto = make_flow("auto", "cpu")
    assert isinstance(auto, OpenCVFlow) and auto.name == "dis"
    monkeypatch.setattr(torch.hub, "urlopen", lambda *a, **k: (_ for _ in ()).throw(URLError("x")))
    fallback = make_flow("auto", "cuda")  # no weights: DIS, with a warning
    assert isinstance(fallback, OpenCVFlow) and fallback.name == "dis"


def test_auto_is_raft_large_on_cuda_when_its_weights_are_there(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built = []

    class Stub:  # stands in for RaftFlow, which would move RAFT onto a GPU this machine lacks
        def __init__(self, name: str, device: torch.device) -> None:
            built.append((name, torch.device(device).type))

    monkeypatch.setattr(raft_flow, "RaftFlow", Stub)
    assert isinstance(make_flow("auto", "cuda"), Stub) and built == [("raft", "cuda")]
    assert isinstance(make_flow("auto", "cpu"), OpenCVFlow) and len(built) == 1


def test_large_frames_are_estimated_smaller_and_scaled_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(raft_flow.ENV_RAFT, str(_random_weights(tmp_path)))
    monkeypatch.setattr(raft_flow, "MAX_SIDE", 150)
    flow = RaftFlow("raft-small")
    seen = []

    def constant(x: torch.Tensor, y: torch.Tensor, iters: int) -> torch.Tensor:
        seen.append(tuple(x.shape[-2:]))
        return torch.ones(x.shape[0], 2, *x.shape[-2:])  # 1 px right and down

    monkeypatch.setattr(flow, "model", constant)
    out = flow(torch.rand(1, 3, 200, 300), torch.rand(1, 3, 200, 300))
    assert seen == [(128, 152)]  # 100x150, padded to the minimum and a multiple of 8
    assert out.shape == (1, 2, 200, 300)
    torch.testing.assert_close(out, torch.full_like(out, 2.0))  # 1 px at half size
