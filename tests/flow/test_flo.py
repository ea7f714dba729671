"""Middlebury .flo reading and writing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vstyle.errors import InputError
from vstyle.flow import read_flo, write_flo


def test_round_trip(tmp_path: Path) -> None:
    flow = np.random.default_rng(0).normal(size=(5, 7, 2)).astype(np.float32)
    write_flo(tmp_path / "a.flo", flow)
    assert (tmp_path / "a.flo").stat().st_size == 12 + 5 * 7 * 8
    np.testing.assert_array_equal(read_flo(tmp_path / "a.flo"), flow)


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        read_flo(tmp_path / "missing.flo")
    (tmp_path / "bad.flo").write_bytes(b"PNG\x00" * 4)
    with pytest.raises(InputError, match="bad magic number"):
        read_flo(tmp_path / "bad.flo")
    write_flo(tmp_path / "cut.flo", np.zeros((4, 4, 2), np.float32))
    data = (tmp_path / "cut.flo").read_bytes()
    (tmp_path / "cut.flo").write_bytes(data[:-8])
    with pytest.raises(InputError, match="truncated: 4x4 needs 140 bytes, has 132"):
        read_flo(tmp_path / "cut.flo")
