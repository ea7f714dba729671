"""Finding, checking, downloading and caching the VGG-19 weights.

Order: an explicit path (``--vgg-weights`` or ``$VSTYLE_VGG_WEIGHTS``), then the
cache (``$VSTYLE_HOME``, default ``~/.cache/vstyle``), then torchvision's
published ``vgg19-dcbb9e9d.pth`` via ``torch.hub`` (hash checked), of which
only the conv weights are kept in the cache.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import tempfile
from pathlib import Path

import torch

from ..errors import InvalidWeightsError, MissingWeightsError, WeightsError
from .vgg import conv_widths, make_features

ENV_WEIGHTS = "VSTYLE_VGG_WEIGHTS"
ENV_HOME = "VSTYLE_HOME"
TORCHVISION_URL = "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth"
CACHE_NAME = "vgg19-features.pth"


def cache_dir() -> Path:
    """``$VSTYLE_HOME`` or ``~/.cache/vstyle``.

    Raises:
        WeightsError: it names something that is not a folder.
    """
    home = Path(os.environ.get(ENV_HOME) or Path.home() / ".cache" / "vstyle")
    if home.exists() and not home.is_dir():
        how = f"${ENV_HOME}" if os.environ.get(ENV_HOME) else "the cache"
        raise WeightsError(f"{how} '{home}' is a file, not a folder; point it at a folder")
    return home


def _expected_shapes(widths: tuple[int, ...] | None = None) -> dict[str, torch.Size]:
    return {f"features.{k}": v.shape for k, v in make_features(widths).state_dict().items()}


def features_state(raw: object, source: str) -> dict[str, torch.Tensor]:
    """Pick and check the conv weights out of a loaded checkpoint.

    Accepts a full torchvision VGG-19 checkpoint, a features-only state dict
    (``features.N.weight``) or the state dict of the ``features`` module itself
    (``N.weight``).

    Raises:
        InvalidWeightsError: the file is not a VGG-19 state dict.
    """
    if not isinstance(raw, dict) or not all(isinstance(v, torch.Tensor) for v in raw.values()):
        raise InvalidWeightsError(f"weights '{source}' is not a state dict of tensors")
    state = {k if k.startswith("features.") else f"features.{k}": v for k, v in raw.items()}
    expected = _expected_shapes()
    state = {k: v for k, v in state.items() if k in expected}
    missing = [k for k in expected if k not in state]
    if missing:
        raise InvalidWeightsError(
            f"weights '{source}' is not VGG-19: {len(missing)} of {len(expected)} conv tensors "
            f"missing (first: {missing[0]})"
        )
    expected = _expected_shapes(conv_widths(state))  # VGG-19's layout at this file's widths
    for key, shape in expected.items():
        if state[key].shape != shape:
            raise InvalidWeightsError(
                f"weights '{source}': {key} has shape {tuple(state[key].shape)}, "
                f"VGG-19 needs {tuple(shape)}"
            )
    return {k: v.float().contiguous() for k, v in state.items()}


@functools.lru_cache(maxsize=2)
def _read(path: str, mtime: float) -> dict[str, torch.Tensor]:
    # Keyed by mtime so an edited file is read again; saves re-reading 80 MB per run
    # when the Python API or tests stylize many times in one process.
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds for a bad file
        lines = str(exc).strip().splitlines()  # some come with no message at all
        reason = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
        raise InvalidWeightsError(
            f"weights '{path}' cannot be loaded ({reason}); give a VGG-19 .pth file"
        ) from exc
    return features_state(raw, path)


def load_state(path: Path) -> dict[str, torch.Tensor]:
    """Read and check a weights file (always ``weights_only=True``)."""
    if path.is_dir():
        raise InvalidWeightsError(f"weights '{path}' is a folder; give the weights file in it")
    if not path.is_file():
        raise MissingWeightsError(f"weights '{path}' does not exist")
    stat = path.stat()
    if stat.st_size == 0:
        raise InvalidWeightsError(
            f"weights '{path}' is empty (0 bytes); give a VGG-19 weights file"
        )
    return _read(str(path), stat.st_mtime)


def download(destination: Path) -> Path:
    """Fetch torchvision's VGG-19 via ``torch.hub`` and cache its conv weights."""
    # torch.hub announces the download on stdout, which is the video stream with `OUT = -`.
    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(sys.stderr):
        try:
            raw = torch.hub.load_state_dict_from_url(
                TORCHVISION_URL, model_dir=tmp, progress=True, check_hash=True,
                map_location="cpu", weights_only=True,
            )  # fmt: skip
        except Exception as exc:
            raise MissingWeightsError(
                f"no VGG-19 weights found and the download failed ({type(exc).__name__}); "
                f"set {ENV_WEIGHTS}=FILE or run 'vstyle weights import FILE'"
            ) from exc
    return _save(features_state(raw, TORCHVISION_URL), destination)


def _save(state: dict[str, torch.Tensor], destination: Path) -> Path:
    tmp = destination.with_suffix(".partial")
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        torch.save(state, tmp)
        os.replace(tmp, destination)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise WeightsError(
            f"weights cannot be cached in '{destination.parent}' ({exc.strerror}); "
            f"set ${ENV_HOME} to a writable folder"
        ) from None
    return destination


def find_weights(explicit: Path | None = None, allow_download: bool = True) -> Path:
    """The weights file to use, downloading it if allowed and needed.

    Raises:
        MissingWeightsError: an explicit file is missing, or nothing is found offline.
    """
    chosen = explicit or (Path(os.environ[ENV_WEIGHTS]) if os.environ.get(ENV_WEIGHTS) else None)
    if chosen is not None:
        if not chosen.is_file():
            how = "--vgg-weights" if explicit else f"${ENV_WEIGHTS}"
            if chosen.is_dir():
                raise InvalidWeightsError(f"{how} '{chosen}' is a folder, not a file")
            raise MissingWeightsError(f"{how} '{chosen}' does not exist")
        return chosen
    cached = cache_dir() / CACHE_NAME
    if cached.is_file():
        return cached
    if not allow_download:
        raise MissingWeightsError(
            f"no VGG-19 weights in {cache_dir()}; set {ENV_WEIGHTS}=FILE, "
            "run 'vstyle weights import FILE', or run once online to download"
        )
    return download(cached)


def import_weights(file: Path) -> Path:
    """Check ``file`` and store its conv weights as the cached weights."""
    return _save(load_state(Path(file)), cache_dir() / CACHE_NAME)
