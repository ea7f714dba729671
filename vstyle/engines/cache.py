"""Built artefacts (ONNX exports, TensorRT plans) kept under ``$VSTYLE_HOME/engines``.

A file is named by :func:`cache_key`, a hash of everything it depends on, and
stored beside a JSON twin holding those fields. Change any field and the key
changes, so a new file is built; a file is served only when its twin matches
exactly, and written under a temporary name then renamed, so a reader never
sees half of one.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from ..nets.weights import cache_dir as vstyle_home


def cache_key(fields: Mapping[str, object]) -> str:
    """A file-name-safe hash of ``fields`` (order of keys does not matter)."""
    text = json.dumps(dict(fields), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def cache_dir(home: Path | None = None) -> Path:
    """Where built engines are kept: ``$VSTYLE_HOME/engines``."""
    return (home or vstyle_home()) / "engines"


def cached(
    folder: Path, fields: Mapping[str, object], build: Callable[[], bytes], suffix: str
) -> tuple[bytes, bool]:
    """The file for ``fields`` from ``folder``, or ``build()`` it and store it.

    A file is reused only when its ``.json`` twin holds exactly ``fields`` (a hash
    collision or a hand-edited folder cannot serve the wrong one).

    Args:
        suffix: the stored file's extension, e.g. ``.plan`` or ``.onnx``.

    Returns:
        ``(data, built)``: ``built`` is True when ``build`` ran.
    """
    key = cache_key(fields)
    plan, meta = folder / f"{key}{suffix}", folder / f"{key}.json"
    try:
        if json.loads(meta.read_text()) == dict(fields) and plan.stat().st_size > 0:
            return plan.read_bytes(), False
    except (OSError, ValueError):
        pass  # missing or unreadable: build
    data = build()
    folder.mkdir(parents=True, exist_ok=True)
    for target, payload in ((plan, data), (meta, json.dumps(dict(fields)).encode())):
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.")
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
        os.replace(tmp, target)  # readers never see half a plan
    return data, True
