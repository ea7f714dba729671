"""How flickery is a stylized video? Temporal warping error, and optional style scores.

The flow is estimated on the *input* frames (the stylized ones would fool the
estimator), then each output frame is compared with the previous output frame
warped onto it, on the pixels the flow is reliable for (Ruder et al.'s c).
Two normalizations are reported: over reliable pixels, squared RGB distance per
pixel (Lai et al. 2018, E_warp), and over all pixels and channels (Ruder et al.'s
short-term loss). The input's own warping error is the floor a perfect method
would reach: what remains there is flow error, lighting change and noise.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from itertools import islice, zip_longest
from pathlib import Path

import cv2
import numpy as np
import torch

from .device import Runtime
from .errors import InputError
from .flow import FlowWindow, make_flow, warp
from .flow.prefetch import background_map
from .frames import Frame, to_tensor
from .io import open_source
from .losses.temporal import short_term_loss
from .options import IOOptions


@dataclass(frozen=True)
class WarpMetrics:
    """Temporal metrics of one stylized clip against its input.

    Attributes:
        frames: number of frames compared.
        width, height: the size they were compared at (the output's).
        flow: the estimator used on the input frames.
        reliable: mean fraction of pixels with c = 1.
        warp_error: output error, mean over reliable pixels of the squared RGB
            distance in [0, 1] units, averaged over frame pairs (Lai et al.).
        warp_error_all: output error, (1/D) Σ c (x − warped)², D = pixels × 3 (Ruder et al.).
        input_warp_error, input_warp_error_all: the same for the input: the floor.
        style_distance, content_distance: means over frames, when a style was given.
    """

    frames: int
    width: int
    height: int
    flow: str
    reliable: float
    warp_error: float
    warp_error_all: float
    input_warp_error: float
    input_warp_error_all: float
    style_distance: float | None = None
    content_distance: float | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _iter_rgb(path: Path | str) -> Iterator[np.ndarray]:
    """Upright (H, W, 3) uint8 RGB frames of a video, decoded as vstyle reads its input
    (rotation applied, the source's colour matrix and range honoured)."""
    with open_source(str(path), IOOptions(audio=False)) as source:
        for frame in source.frames():
            yield frame.rgb


def _rgb(item: np.ndarray | Frame) -> np.ndarray:
    return item.rgb if isinstance(item, Frame) else item


def _pairs(
    inputs: Iterable[np.ndarray | Frame], outputs: Iterable[np.ndarray | Frame]
) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """(index, input resized to the output's size, output); fails on a count mismatch."""
    count = 0
    for count, (a, b) in enumerate(zip_longest(inputs, outputs), start=1):
        if a is None or b is None:
            side, other = ("input", "output") if a is None else ("output", "input")
            raise InputError(
                f"{side} ran out after {count - 1} frames but the {other} has more; "
                "metrics need the same number of frames in both"
            )
        a, out = _rgb(a), _rgb(b)
        if a.shape != out.shape:  # compare at the output's size; area filter to shrink
            a = cv2.resize(a, (out.shape[1], out.shape[0]), interpolation=cv2.INTER_AREA)
        yield count - 1, a, out


def _pair_errors(
    prev: torch.Tensor, cur: torch.Tensor, backward: torch.Tensor, c: torch.Tensor
) -> tuple[float, float]:
    """(masked mean, all-pixel mean) error of ``cur`` vs ``warp(prev, backward)``; (1,3,H,W)."""
    warped = warp(prev, backward)
    per_pixel = (cur - warped).square().sum(1, keepdim=True)
    masked = (c * per_pixel).sum() / c.sum().clamp_min(1.0)
    return float(masked), float(short_term_loss(cur, warped, c))


def warping_error(
    inputs: Iterable[np.ndarray | Frame],
    outputs: Iterable[np.ndarray | Frame],
    flow: str = "dis",
) -> WarpMetrics:
    """Temporal warping error of ``outputs`` using flow from ``inputs``.

    Args:
        inputs: the original frames, uint8 RGB (H, W, 3) arrays or Frames; resized
            to the output's size if they differ.
        outputs: the stylized frames, as many as ``inputs``.
        flow: ``dis``, ``deepflow`` or ``farneback``.

    Raises:
        InputError: the two have different numbers of frames, or fewer than two.
    """
    window = FlowWindow(make_flow(flow), (1,))

    def prepare(item: tuple[int, np.ndarray, np.ndarray]) -> tuple:
        index, a, b = item
        x, y = to_tensor(a), to_tensor(b)
        return x, y, window(index, x).get(1)

    sums = np.zeros(5)  # reliable fraction, output (masked, all), input (masked, all)
    prev, n = None, 0
    for x, y, pair in background_map(prepare, _pairs(inputs, outputs)):
        if pair is not None:
            c, backward = pair.reliability, pair.backward
            out_err, in_err = (
                _pair_errors(prev[1], y, backward, c),
                _pair_errors(prev[0], x, backward, c),
            )
            sums += (float(c.mean()), *out_err, *in_err)
        prev, n = (x, y), n + 1
    if n < 2:
        raise InputError(f"metrics need at least 2 frames in both videos, got {n}")
    means = sums / (n - 1)
    return WarpMetrics(n, y.shape[-1], y.shape[-2], flow, *map(float, means))


def _style_scores(
    inputs: Iterable[np.ndarray],
    outputs: Iterable[np.ndarray],
    style: Path,
    vgg_weights: Path | None,
    runtime: Runtime,
) -> tuple[float, float]:
    """Mean style distance to ``style`` and content distance to the input, over frames,
    with VGG on ``runtime``'s device (fp32 whatever its precision: these are scores)."""
    # Imported here: VGG and its weights are only needed when a style is given.
    from .io.image import read_image
    from .losses.distances import content_distance, gram_distance, style_grams
    from .nets.vgg import VGGFeatures
    from .nets.weights import find_weights, load_state
    from .options import DEFAULT_CONTENT_LAYERS, DEFAULT_STYLE_LAYERS

    state = load_state(find_weights(vgg_weights, False))  # False: never download here
    features = runtime.prepare(VGGFeatures(state, DEFAULT_STYLE_LAYERS + DEFAULT_CONTENT_LAYERS))
    grams = style_grams(runtime.tensor(to_tensor(read_image(style, what="style"))), features)
    totals, n = np.zeros(2), 0
    with torch.no_grad():
        for _, a, b in _pairs(inputs, outputs):
            image = runtime.tensor(to_tensor(b))
            totals += (
                gram_distance(image, grams, features),
                content_distance(image, runtime.tensor(to_tensor(a)), features),
            )
            n += 1
    return tuple(map(float, totals / max(n, 1)))  # type: ignore[return-value]


def evaluate(
    input: Path | str,
    output: Path | str,
    flow: str = "dis",
    style: Path | None = None,
    vgg_weights: Path | None = None,
    frames: int | None = None,
    device: str = "auto",
) -> WarpMetrics:
    """:func:`warping_error` of two video files, plus style scores if ``style`` is given.

    ``frames`` limits both to their first N frames (e.g. after ``vstyle --frames N``).
    ``device`` (``auto|cpu|cuda|cuda:N|mps``) is where VGG scores the style; the flow
    is OpenCV's, on the CPU.

    Raises:
        DeviceError: ``device`` is unknown or absent (checked before any decoding).
    """
    runtime = Runtime.from_options(device)

    def read(path: Path | str) -> Iterator[np.ndarray]:
        return islice(_iter_rgb(path), frames)

    metrics = warping_error(read(input), read(output), flow)
    if style is None:
        return metrics
    s, c = _style_scores(read(input), read(output), Path(style), vgg_weights, runtime)
    return replace(metrics, style_distance=s, content_distance=c)
