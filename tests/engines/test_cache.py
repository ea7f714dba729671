"""The on-disk cache of built engines: keys, reuse, and rebuilds when anything changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vstyle.engines.cache import cache_dir, cache_key, cached
from vstyle.engines.tensorrt import cache_fields

BASE = dict(
    weights_sha256="ab" * 32, size=(320, 240), batch=4, precision="fp16",
    gpu="NVIDIA H100 80GB HBM3", trt_version="10.3.0",
)  # fmt: skip


class Builder:
    """Counts builds; each build returns different bytes, so reuse is visible."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> bytes:
        self.calls += 1
        return f"plan {self.calls}".encode()


def test_key_is_stable_and_ignores_field_order() -> None:
    fields = cache_fields(**BASE)
    assert cache_key(fields) == cache_key(dict(reversed(list(fields.items()))))
    assert len(cache_key(fields)) == 32 and cache_key(fields).isalnum()


@pytest.mark.parametrize(("field", "value"), [
    ("weights_sha256", "cd" * 32), ("size", (320, 241)), ("batch", 8), ("precision", "fp32"),
    ("gpu", "NVIDIA A100"), ("trt_version", "10.4.0"),
])  # fmt: skip
def test_any_change_gives_another_key_and_a_rebuild(field, value, tmp_path: Path) -> None:
    build = Builder()
    old = cache_fields(**BASE)
    new = cache_fields(**{**BASE, field: value})
    assert cache_key(old) != cache_key(new)
    assert cached(tmp_path, old, build, ".plan") == (b"plan 1", True)
    assert cached(tmp_path, old, build, ".plan") == (b"plan 1", False)  # reused
    assert cached(tmp_path, new, build, ".plan") == (b"plan 2", True)  # rebuilt
    assert cached(tmp_path, old, build, ".plan") == (b"plan 1", False)  # both kept
    assert build.calls == 2


@pytest.mark.parametrize("damage", ["meta", "plan", "mismatch"])
def test_damaged_entries_are_rebuilt(damage: str, tmp_path: Path) -> None:
    build, fields = Builder(), cache_fields(**BASE)
    cached(tmp_path, fields, build, ".plan")
    key = cache_key(fields)
    if damage == "meta":
        (tmp_path / f"{key}.json").write_text("{not json")
    elif damage == "plan":
        (tmp_path / f"{key}.plan").write_bytes(b"")
    else:  # a twin that does not describe this plan is never trusted
        (tmp_path / f"{key}.json").write_text(json.dumps({**fields, "gpu": "other"}))
    assert cached(tmp_path, fields, build, ".plan") == (b"plan 2", True)
    assert json.loads((tmp_path / f"{key}.json").read_text()) == fields
    assert not list(tmp_path.glob(".*")), "no temporary file is left behind"


def test_cache_lives_under_vstyle_home(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("VSTYLE_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "engines"
