"""Middlebury ``.flo`` files (as MPI-Sintel ships its ground truth).

Layout: the float32 ``202021.25`` ("PIEH" as bytes), int32 width, int32 height,
then height x width x 2 float32 (u, v), all little-endian.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InputError

MAGIC = 202021.25
UNKNOWN = 1e9  # Middlebury: components above this mean "no flow here"


def read_flo(path: Path | str) -> np.ndarray:
    """Read a ``.flo`` file.

    Returns:
        (H, W, 2) float32, x then y, in pixels.

    Raises:
        InputError: missing, wrong magic number, or truncated.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"flow file '{path}' does not exist")
    data = path.read_bytes()
    if len(data) < 12 or np.frombuffer(data[:4], "<f4")[0] != np.float32(MAGIC):
        raise InputError(f"flow file '{path}' is not a Middlebury .flo (bad magic number)")
    w, h = (int(v) for v in np.frombuffer(data[4:12], "<i4"))
    need = 12 + w * h * 8
    if w <= 0 or h <= 0 or len(data) < need:
        raise InputError(
            f"flow file '{path}' is truncated: {w}x{h} needs {need} bytes, has {len(data)}"
        )
    return np.frombuffer(data[12:need], "<f4").reshape(h, w, 2).astype(np.float32)


def write_flo(path: Path | str, flow: np.ndarray) -> None:
    """Write (H, W, 2) float flow as a ``.flo`` file."""
    if flow.ndim != 3 or flow.shape[2] != 2:
        raise ValueError(f"expected (H, W, 2) flow, got {flow.shape}")
    h, w = flow.shape[:2]
    header = np.array([MAGIC], "<f4").tobytes() + np.array([w, h], "<i4").tobytes()
    Path(path).write_bytes(header + flow.astype("<f4").tobytes())
