"""Tiled inference for the fast networks, with instance-norm statistics of the whole picture.

Instance norm normalizes each channel by its mean and variance over the picture.
Run tile by tile, every tile would use its own statistics: a dark tile and a light
one come out normalized alike, and the seams show. So the statistics are taken
once, from the whole picture (resized to fit: means and variances of a downscaled
picture are close to the full one's), then frozen into a copy of the net whose
norms use them; tiles of the full picture run through that copy with an overlap
and are feathered together.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..device import Runtime
from ..frames import Frame, to_array, to_tensor
from ..options import Options
from ..records import Detail, FrameRecord, OnRecord
from .tiles import boxes, feather, fitted_overlap

log = logging.getLogger(__name__)


class FrozenNorm(nn.Module):
    """An instance norm with fixed per-channel mean and variance (and its own affine)."""

    def __init__(self, norm: nn.InstanceNorm2d, mean: torch.Tensor, var: torch.Tensor) -> None:
        super().__init__()
        self.eps, self.affine = norm.eps, norm.affine
        self.weight, self.bias = norm.weight, norm.bias
        self.register_buffer("mean", mean.view(1, -1, 1, 1))
        self.register_buffer("var", var.view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = (x - self.mean) * torch.rsqrt(self.var + self.eps)
        if self.affine:
            y = y * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)
        return y


@torch.no_grad()
def freeze_statistics(net: nn.Module, picture: torch.Tensor) -> nn.Module:
    """A copy of ``net`` whose instance norms use ``picture``'s statistics.

    Args:
        net: a network with ``nn.InstanceNorm2d`` layers (both vstyle layouts).
        picture: (1, 3, h, w) the whole picture, at any size that fits.
    """
    stats: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
    hooks = []
    for name, module in net.named_modules():
        if isinstance(module, nn.InstanceNorm2d):

            def record(_m: nn.Module, args: tuple, _out: torch.Tensor, name: str = name) -> None:
                x = args[0].float()
                stats[name] = (x.mean((0, 2, 3)), x.var((0, 2, 3), unbiased=False))

            hooks.append(module.register_forward_hook(record))
    try:
        net(picture)
    finally:
        for h in hooks:
            h.remove()
    frozen = copy.deepcopy(net)
    for name, (mean, var) in stats.items():
        parent_name, _, child = name.rpartition(".")
        parent = frozen.get_submodule(parent_name) if parent_name else frozen
        setattr(parent, child, FrozenNorm(getattr(parent, child), mean, var))
    return frozen


@torch.no_grad()
def tiled_inference(
    net: nn.Module, image: torch.Tensor, tile: int, overlap: int, stats_side: int | None = None
) -> torch.Tensor:
    """Run ``net`` on a picture of any size, tile by tile, with whole-picture statistics.

    Args:
        image: (1, 3, H, W) in [0, 1] (on the CPU or the device; tiles go to the net's).
        tile: px of each tile's side; overlap: px shared by neighbours, feathered.
        stats_side: long side of the picture the statistics are taken from
            (``tile`` when None; the full size gives exact statistics).

    Returns:
        (1, 3, H, W) on the CPU.
    """
    device = next(net.parameters()).device
    h, w = image.shape[-2:]
    side = stats_side or tile
    scale = min(1.0, side / max(h, w))
    small = F.interpolate(
        image, scale_factor=scale, mode="bilinear", antialias=True, align_corners=False
    ) if scale < 1 else image  # fmt: skip
    frozen = freeze_statistics(net, small.to(device))
    total = torch.zeros(1, 3, h, w)
    weight = torch.zeros(1, 1, h, w)
    for y0, y1, x0, x1 in boxes(h, w, tile, overlap):
        out = frozen(image[..., y0:y1, x0:x1].to(device)).float().cpu()
        ramp = feather(y1 - y0, y0, tile, h, overlap)[:, None] * feather(
            x1 - x0, x0, tile, w, overlap
        )
        total[..., y0:y1, x0:x1] += out * ramp
        weight[..., y0:y1, x0:x1] += ramp
    return total / weight


@dataclass(frozen=True)
class TiledRecord(FrameRecord):
    """A frame a fast network made tile by tile.

    Attributes:
        tile: px of each tile's side (``--tile``, or chosen for ``--max-memory``).
        tiles: how many tiles the frame took.
    """

    tile: int = 0
    tiles: int = 0

    def details(self) -> Mapping[str, Detail]:
        return {"method": "fast", "tile": self.tile, "tiles": self.tiles}


class TiledFastStylizer:
    """``--model`` with ``--tile`` (or too large for ``--max-memory``): frames run tiled
    (eager engine), their statistics taken from the frame downscaled to the tile's side.

    Args:
        net: the loaded model's network, on the runtime's device.
        tile, overlap: ``--tile`` and ``--tile-overlap``.
    """

    def __init__(
        self,
        net: nn.Module,
        runtime: Runtime,
        tile: int,
        overlap: int,
        on_record: OnRecord | None = None,
    ) -> None:
        self.net = runtime.prepare(net).eval()
        self.runtime, self.tile, self.overlap, self.on_record = runtime, tile, overlap, on_record

    def __call__(self, frames: Iterable[Frame]) -> Iterator[Frame]:
        for frame in frames:
            start = time.perf_counter()
            image = to_tensor(frame.rgb)
            # stats_side = tile: the statistics pass is no larger than a tile, so the
            # tile chosen for --max-memory covers it too.
            out = tiled_inference(self.net, image, self.tile, self.overlap, self.tile)
            del image  # the picture's float copy, before to_array makes its own
            if self.on_record:
                h, w = frame.rgb.shape[:2]
                tiles = len(boxes(h, w, self.tile, self.overlap))
                seconds = time.perf_counter() - start
                self.on_record(TiledRecord(frame.index, seconds, "tiled", self.tile, tiles))
            yield frame.with_rgb(to_array(out))


def fast_tile(options: Options, runtime: Runtime, size: tuple[int, int]) -> int | None:
    """The tile side frames of ``size`` (width, height) run at: ``--tile``, or else one
    chosen so that the network's estimated peak fits ``--max-memory`` (a share of the
    device's free memory without it), as the optimizer chooses its own; None when the
    frames run whole. Logged when chosen.

    Raises:
        OptionError: not even the smallest tile fits ``--max-memory``.
    """
    from ..device import memory_budget
    from ..nets.modelfile import read_info
    from .memory import auto_fast_tile, fast_peak_bytes

    p, (width, height) = options.photo, size
    if p.tile is not None:
        return p.tile if max(size) > p.tile else None
    net_width, batch = read_info(options.fast.model or "").width, options.fast.batch
    budget = p.max_memory or memory_budget(runtime.device)
    tile = auto_fast_tile(width, height, budget, net_width, batch)
    if tile is None or max(size) <= tile:
        return None
    log.info(
        "%dx%d needs about %.0f MiB to run the network on at once, over the %.0f MiB "
        "budget: running it in %d px tiles (--tile %d)",
        width, height, fast_peak_bytes(width, height, net_width, batch) / 1024**2,
        budget / 1024**2, tile, tile,
    )  # fmt: skip
    return tile


def tiled_fast_stylizer(
    options: Options, runtime: Runtime, tile: int, on_record: OnRecord | None = None
) -> TiledFastStylizer:
    """The ``--model`` of ``options`` run tiled at ``tile`` px (eager, fp32 on the CPU)."""
    from ..nets.modelfile import load_model

    if options.fast.stabilize:
        log.warning("--stabilize is not applied to frames run in tiles (%d px)", tile)
    net, _ = load_model(options.fast.model or "", runtime.device)
    overlap = fitted_overlap(options.photo.tile_overlap, tile)
    return TiledFastStylizer(net, runtime, tile, overlap, on_record)
