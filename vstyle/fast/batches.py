"""Frames to the device in batches and back, each stage timed.

A batch goes :meth:`~HostBatches.send` (uint8 pictures into one batch on the device,
to float, resized, padded for fixed-shape engines) -> :meth:`~HostBatches.run` (the
network) -> :meth:`~HostBatches.receive` (float to uint8, back to the host).

:class:`HostBatches` does each step in turn (CPU, MPS). :class:`CudaBatches` keeps one
batch in flight: the pictures go into a reused page-locked (pinned) host batch, are
copied up and converted on an upload stream, run on the current stream, and come back
into a pinned buffer on a download stream; so the next batch's upload overlaps this
one's network, and the host waits only once per batch (on its last event). Nothing
is timed per op: CUDA events are read when that wait is over.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import torch
import torch.nn.functional as F

from ..frames import batch_to_float, batch_to_uint8
from ..records import Stages

T = TypeVar("T")
Network = Callable[[torch.Tensor], torch.Tensor]


@functools.lru_cache(maxsize=16)
def area_weights(n_in: int, n_out: int, exact: bool = True) -> torch.Tensor:
    """(n_out, n_in) float64 weights of OpenCV's INTER_AREA along one axis.

    Args:
        exact: each output pixel is the mean of the input it covers, by the fraction
            covered (what OpenCV does when neither axis grows); else OpenCV's
            two-tap fallback for a resize where one axis grows (the same weights
            along a growing axis).
    """
    scale = n_in / n_out
    out = torch.arange(n_out, dtype=torch.float64)
    if exact:
        start, end = out[:, None] * scale, (out[:, None] + 1) * scale
        pixels = torch.arange(n_in, dtype=torch.float64)
        covered = torch.minimum(end, pixels + 1) - torch.maximum(start, pixels)
        return covered.clamp_min(0) / scale
    left = torch.floor(out * scale)
    frac = (out + 1) - (left + 1) / scale
    frac = torch.where(frac <= 0, 0.0, frac - torch.floor(frac))
    weights = torch.zeros(n_out, n_in, dtype=torch.float64)
    rows = out.long()
    left = left.long().clamp(0, n_in - 1)
    weights.index_put_((rows, left), 1 - frac, accumulate=True)
    weights.index_put_((rows, (left + 1).clamp(max=n_in - 1)), frac, accumulate=True)
    return weights


def resize_batch(images: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Resize a float batch on its own device as :func:`vstyle.io.image.resize` does
    with OpenCV: area averaging when the picture shrinks, bicubic (a = -0.75, clamped)
    when it grows; unchanged at the same size.

    Args:
        images: (B, 3, H, W) float in [0, 1].
        size: (width, height) wanted.

    Returns:
        (B, 3, height, width) float in [0, 1].
    """
    width, height = size
    h, w = images.shape[-2:]
    if (w, h) == (width, height):
        return images
    if width * height >= w * h:
        grown = F.interpolate(images, (height, width), mode="bicubic", align_corners=False)
        return grown.clamp(0, 1)
    exact = width <= w and height <= h
    rows = area_weights(h, height, exact).to(images)
    cols = area_weights(w, width, exact).to(images)
    return rows @ images @ cols.T  # two small matmuls: the area filter is separable


class Waits:
    """Seconds spent waiting inside ``next()`` of the iterable it wraps, until taken."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def wrap(self, items: Iterable[T]) -> Iterator[T]:
        iterator = iter(items)
        while True:
            start = time.perf_counter()
            try:
                item = next(iterator)
            except StopIteration:
                return
            finally:
                self.seconds += time.perf_counter() - start
            yield item

    def take(self) -> float:
        seconds, self.seconds = self.seconds, 0.0
        return seconds


@dataclass
class InFlight:
    """One batch between ``send`` and ``receive``.

    Attributes:
        count: real frames in it (the rest, if any, pads a fixed-shape engine's batch).
        x: (B, 3, h, w) the network's input on the device, until ``run``.
        y: (count, 3, h, w) its output on the device (host path) until ``receive``.
        pictures: (count, h, w, 3) uint8 in a pinned host buffer (CUDA path).
        host: host seconds of (to device, network, from device) so far.
        events: CUDA timing events (upload start/end, network start/end, download
            start/end), read only once the last has completed.
    """

    count: int
    x: torch.Tensor | None = None
    y: torch.Tensor | None = None
    pictures: torch.Tensor | None = None
    host: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    events: list[torch.cuda.Event] = field(default_factory=list)
    slot: int = 0


class HostBatches:
    """Each step in turn, on any device (the CPU and MPS path).

    Args:
        device: where the network runs.
        size: (width, height) the network takes; other pictures are resized to it.
        batch: frames per network call.
        pad: pad a short batch to ``batch`` with its last frame (fixed-shape engines).
    """

    ahead = 0  # batches kept in flight before the oldest is received

    def __init__(self, device: torch.device, size: tuple[int, int], batch: int, pad: bool) -> None:
        self.device, self.size, self.batch, self.pad = device, size, batch, pad

    def prepare(self, pictures: torch.Tensor) -> torch.Tensor:
        """(n, H, W, 3) uint8 on the device -> the network's (B, 3, h, w) float input."""
        x = resize_batch(batch_to_float(pictures), self.size)
        if self.pad and len(x) < self.batch:
            x = torch.cat([x, x[-1:].expand(self.batch - len(x), -1, -1, -1)])
        return x

    def send(self, pictures: list[np.ndarray]) -> InFlight:
        """Start a batch of (H, W, 3) uint8 pictures on its way to the device."""
        start = time.perf_counter()
        flight = InFlight(len(pictures))
        flight.x = self.prepare(torch.from_numpy(np.stack(pictures)).to(self.device))
        flight.host[0] = time.perf_counter() - start
        return flight

    def run(self, flight: InFlight, network: Network) -> None:
        """``network(x)`` -> (count, 3, h, w): the outputs of the real frames."""
        start = time.perf_counter()
        flight.y, flight.x = network(flight.x), None
        flight.host[1] = time.perf_counter() - start

    def receive(self, flight: InFlight) -> tuple[list[np.ndarray], Stages]:
        """The batch's (h, w, 3) uint8 pictures and the seconds of its stages."""
        start = time.perf_counter()
        pictures = list(batch_to_uint8(flight.y).cpu().numpy())
        flight.y = None
        flight.host[2] = time.perf_counter() - start
        return pictures, Stages(0.0, *flight.host, 0.0)


class CudaBatches(HostBatches):
    """Pinned host batches, copies on their own streams, one batch in flight (CUDA).

    Buffers come in ``ahead + 1`` slots used in turn: a slot's input is overwritten
    only after its upload event, and its output only after ``receive`` copied it out.
    """

    ahead = 1
    slots = ahead + 1

    def __init__(self, device: torch.device, size: tuple[int, int], batch: int, pad: bool) -> None:
        super().__init__(device, size, batch, pad)
        self.upload = torch.cuda.Stream(device)
        self.download = torch.cuda.Stream(device)
        self.inputs: list[torch.Tensor | None] = [None] * self.slots
        self.outputs: list[torch.Tensor | None] = [None] * self.slots
        self.uploaded: list[torch.cuda.Event | None] = [None] * self.slots
        self.sent = 0

    def pinned(self, ring: list[torch.Tensor | None], slot: int, shape: tuple[int, ...]):
        """The slot's page-locked uint8 buffer, made once (again only if the size changes)."""
        buffer = ring[slot]
        if buffer is None or tuple(buffer.shape) != shape:
            buffer = ring[slot] = torch.empty(shape, dtype=torch.uint8, pin_memory=True)
        return buffer

    def send(self, pictures: list[np.ndarray]) -> InFlight:
        start = time.perf_counter()
        flight = InFlight(len(pictures), slot=self.sent % self.slots)
        flight.events = [torch.cuda.Event(enable_timing=True) for _ in range(6)]
        self.sent += 1
        if (done := self.uploaded[flight.slot]) is not None:
            done.synchronize()  # the slot's last upload has left the buffer
        shape = (self.batch, *pictures[0].shape)
        host = self.pinned(self.inputs, flight.slot, shape)[: len(pictures)]
        for row, picture in zip(host, pictures, strict=True):
            row.copy_(torch.from_numpy(picture))
        with torch.cuda.stream(self.upload):
            flight.events[0].record()
            flight.x = self.prepare(host.to(self.device, non_blocking=True))
            flight.events[1].record()
        self.uploaded[flight.slot] = flight.events[1]
        flight.host[0] = time.perf_counter() - start
        return flight

    def run(self, flight: InFlight, network: Network) -> None:
        start = time.perf_counter()
        compute = torch.cuda.current_stream(self.device)
        compute.wait_event(flight.events[1])
        flight.x.record_stream(compute)  # made on the upload stream, freed after this use
        flight.events[2].record(compute)
        y, flight.x = network(flight.x), None
        flight.events[3].record(compute)
        with torch.cuda.stream(self.download):
            self.download.wait_event(flight.events[3])
            y.record_stream(self.download)
            flight.events[4].record()
            pictures = batch_to_uint8(y)
            shape = (self.batch, *pictures.shape[1:])
            flight.pictures = self.pinned(self.outputs, flight.slot, shape)[: flight.count]
            flight.pictures.copy_(pictures, non_blocking=True)
            flight.events[5].record()
        flight.host[1] = time.perf_counter() - start  # launching, mostly

    def receive(self, flight: InFlight) -> tuple[list[np.ndarray], Stages]:
        """Wait for the batch, copy it out of the pinned slot, and split the wait over
        the three device stages in proportion to their CUDA-event times."""
        start = time.perf_counter()
        flight.events[5].synchronize()
        waited = time.perf_counter() - start
        pictures = [p.copy() for p in flight.pictures.numpy()]  # the slot is reused later
        flight.pictures = None
        copied = time.perf_counter() - start - waited
        ev = flight.events
        device = [ev[0].elapsed_time(ev[1]), ev[2].elapsed_time(ev[3]), ev[4].elapsed_time(ev[5])]
        total = sum(device) or 1.0
        to, net, back = (h + waited * d / total for h, d in zip(flight.host, device, strict=True))
        return pictures, Stages(0.0, to, net, back + copied, 0.0)


def make_batches(
    device: torch.device, streams: bool, size: tuple[int, int], batch: int, pad: bool
) -> HostBatches:
    """:class:`CudaBatches` where ``streams`` (the :class:`~vstyle.device.Runtime` says:
    CUDA), else :class:`HostBatches`."""
    kind = CudaBatches if streams else HostBatches
    return kind(device, size, batch, pad)
