"""``.vsm`` model files: safetensors weights plus vstyle's JSON metadata, never a pickle.

A ``.vsm`` is a plain safetensors file whose header's ``__metadata__`` holds one
key, ``"vstyle"``: a JSON object (:class:`ModelInfo`) naming the layout and width
the weights are for, the style picture (name, sha256, a 64 px PNG thumbnail), how
the model was made (training options or the imported file), a sha256 of the
weights, and the vstyle and format versions. The header is read and checked
before any tensor is; loading is ``safetensors`` only, so nothing is unpickled.

Python API::

    net, info = load_model("wave.vsm")   # nn.Module in eval mode: (B,3,H,W) [0,1] -> same
    save_model("out.vsm", net, info)     # atomic; refuses to replace without overwrite
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime, timezone
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save
from torch import nn

from .. import __version__
from ..errors import ModelError, OutputError
from .layouts import KINDS, LAYOUTS, build_net, check_state

FORMAT = "vstyle-model"
FORMAT_VERSION = 1
SUFFIX = ".vsm"
_MAX_HEADER = 16 * 2**20  # a .vsm header is a few kB (thumbnail included)


@dataclass(frozen=True)
class ModelInfo:
    """What a ``.vsm`` says about itself (its JSON metadata).

    Attributes:
        layout: network layout, a key of :data:`LAYOUTS` (``vstyle``, ``lengstrom``).
        width: channel multiplier of the layout.
        style_name: file name of the style picture, if known.
        style_sha256: sha256 of the style picture file's bytes, if known.
        style_thumbnail: base64 PNG of the style picture, long side 64 px, if known.
        origin: how the weights were made: ``{"trained": {options}}`` or
            ``{"imported": {"file": ..., "sha256": ..., "layout": ...}}``.
        weights_sha256: sha256 over the tensors (set by :func:`save_model`; an
            engine cache can key on it).
        created: UTC time of saving, ISO 8601.
        kind: ``stylizer`` (one style, the fast method) or ``inverse`` (an encoder and
            decoder for any style, :mod:`vstyle.arbitrary`); follows from the layout.
        op: an inverse net's operation between encoder and decoder (``swap``, ``adain``).
        vstyle_version, format, format_version: who wrote the file, in which format.
    """

    layout: str
    width: float = 1.0
    style_name: str | None = None
    style_sha256: str | None = None
    style_thumbnail: str | None = None
    origin: Mapping[str, object] = field(default_factory=dict)
    weights_sha256: str = ""
    created: str = ""
    kind: str = "stylizer"
    op: str | None = None
    vstyle_version: str = __version__
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def weights_hash(state: Mapping[str, torch.Tensor]) -> str:
    """sha256 over names, dtypes, shapes and bytes of ``state``, in name order."""
    digest = hashlib.sha256()
    for key in sorted(state):
        t = state[key].detach().cpu().contiguous()
        digest.update(f"{key}|{t.dtype}|{tuple(t.shape)}|".encode())
        digest.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return digest.hexdigest()


def save_model(path: Path | str, net: nn.Module, info: ModelInfo, overwrite: bool = False) -> Path:
    """Write ``net``'s weights and ``info`` as a ``.vsm`` (temp name, then rename).

    ``weights_sha256`` and ``created`` are filled in here; the net's layout and
    width must be the ones ``info`` names, so the file always loads.

    Raises:
        OutputError: wrong extension, exists without ``overwrite``, or cannot be written.
    """
    path = Path(path)
    if path.suffix != SUFFIX:
        raise OutputError(f"model output '{path}' must end in {SUFFIX}, e.g. '{path.stem}.vsm'")
    if path.exists() and not overwrite:
        raise OutputError(f"model output '{path}' exists; pass --overwrite to replace it")
    state = {k: v.detach().float().cpu().contiguous() for k, v in net.state_dict().items()}
    check_state(state, info.layout, info.width, str(path))
    info = replace(
        info,
        weights_sha256=weights_hash(state),
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        vstyle_version=__version__,
    )
    data = st_save(state, metadata={"vstyle": json.dumps(info.as_dict(), sort_keys=True)})
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it 0600; give the usual mode
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"model output '{path}' cannot be written: {exc.strerror}") from None
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _header(data: bytes, source: str) -> dict:
    """The safetensors JSON header of ``data``, checked enough to name what the file is."""
    # torch.save's zip, or a bare pickle (b"\x80" then the protocol); a safetensors
    # header's size may start with 0x80 too, but its JSON follows at byte 8
    if data[:2] == b"PK" or (data[:1] == b"\x80" and data[8:9] != b"{"):
        raise ModelError(
            f"model '{source}' is a PyTorch pickle/checkpoint, not a .vsm (never unpickled); "
            "convert it with 'vstyle models import FILE --layout lengstrom -o M.vsm'"
        )
    if len(data) < 8:
        raise ModelError(f"model '{source}' is not a .vsm model: only {len(data)} byte(s)")
    (size,) = struct.unpack("<Q", data[:8])
    if size > _MAX_HEADER or data[8:9] != b"{":
        raise ModelError(f"model '{source}' is not a .vsm model (no safetensors header)")
    if 8 + size > len(data):
        raise ModelError(
            f"model '{source}' is truncated: {len(data)} bytes, the header alone needs {8 + size}"
        )
    try:
        header = json.loads(data[8 : 8 + size])
        end = max((v["data_offsets"][1] for k, v in header.items() if k != "__metadata__"),
                  default=0)  # fmt: skip
    except (UnicodeDecodeError, json.JSONDecodeError, AttributeError, KeyError, TypeError):
        raise ModelError(f"model '{source}' has a corrupt safetensors header") from None
    if 8 + size + end > len(data):
        raise ModelError(
            f"model '{source}' is truncated: {len(data)} bytes, its header promises "
            f"{8 + size + end}"
        )
    return header


def _info(header: dict, source: str) -> ModelInfo:
    meta = (header.get("__metadata__") or {}).get("vstyle")
    if meta is None:
        raise ModelError(
            f"model '{source}' is a safetensors file without vstyle metadata; "
            "import foreign weights with 'vstyle models import FILE --layout NAME -o M.vsm'"
        )
    try:
        raw = json.loads(meta)
        known = {f.name for f in fields(ModelInfo)}
        info = ModelInfo(**{k: v for k, v in raw.items() if k in known})
    except (json.JSONDecodeError, TypeError, AttributeError):
        raise ModelError(f"model '{source}' has corrupt vstyle metadata") from None
    if info.format != FORMAT or not isinstance(info.format_version, int):
        raise ModelError(f"model '{source}' has corrupt vstyle metadata (format {info.format!r})")
    if info.layout not in LAYOUTS or not isinstance(info.width, (int, float)):
        raise ModelError(
            f"model '{source}' is layout '{info.layout}' at width {info.width!r}; this vstyle "
            f"({__version__}) knows the layouts {', '.join(LAYOUTS)}: upgrade vstyle"
        )
    if KINDS[info.layout] != info.kind:
        raise ModelError(
            f"model '{source}' has corrupt vstyle metadata: kind '{info.kind}' for layout "
            f"'{info.layout}' (a {KINDS[info.layout]})"
        )
    if info.format_version > FORMAT_VERSION:
        raise ModelError(
            f"model '{source}' is format version {info.format_version}, this vstyle "
            f"({__version__}) reads up to {FORMAT_VERSION}; upgrade vstyle"
        )
    return info


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ModelError(f"model '{path}' does not exist") from None
    except OSError as exc:
        raise ModelError(f"model '{path}' cannot be read: {exc.strerror}") from exc


def read_info(path: Path | str) -> ModelInfo:
    """The metadata of a ``.vsm``, checked, without building the net.

    Raises:
        ModelError: missing, not a ``.vsm``, truncated, or a newer format.
    """
    path = Path(path)
    return _info(_header(_read(path), str(path)), str(path))


def load_model(path: Path | str, device: torch.device | str = "cpu") -> tuple[nn.Module, ModelInfo]:
    """Load a ``.vsm``: the net (eval mode, no gradients, on ``device``) and its metadata.

    Returns:
        ``(net, info)``; ``net`` maps (B, 3, H, W) RGB in [0, 1] to the same.

    Raises:
        ModelError: anything but an intact ``.vsm`` of a known layout.
    """
    path = Path(path)
    data = _read(path)
    info = _info(_header(data, str(path)), str(path))
    try:
        state = st_load(data)
    except (SafetensorError, ValueError, RuntimeError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ModelError(f"model '{path}' is corrupt: {first}") from None
    check_state(state, info.layout, info.width, str(path))
    if info.weights_sha256 and weights_hash(state) != info.weights_sha256:
        raise ModelError(f"model '{path}' is corrupt: its weights do not match their sha256")
    net = build_net(info.layout, info.width)
    net.load_state_dict(state)
    net.requires_grad_(False)
    return net.eval().to(device), info
