"""The fast stylizer: frames in, frames out, ``--batch`` frames per network call.

The net is loaded once from the ``.vsm`` and handed to :func:`vstyle.engines.build`,
which knows the stream's size before the first frame (fixed-shape engines build
for it). A short last batch is padded with copies of its last frame for engines
with a fixed shape, and the copies dropped. With ``--stabilize`` each output is
blended with the previous output warped onto it (:mod:`vstyle.fast.stabilize`).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace

import torch

from ..device import Runtime, auto_precision
from ..engines import Engine, build, choose
from ..engines.onnx import import_onnxruntime
from ..engines.tensorrt import import_tensorrt
from ..frames import Frame, to_array, to_tensor
from ..nets.modelfile import ModelInfo, load_model, read_info
from ..options import Options
from ..records import Detail, FrameRecord, OnRecord
from .stabilize import Stabilizer


@dataclass(frozen=True)
class FastRecord(FrameRecord):
    """A frame made by a feed-forward net; ``engine`` names the engine that ran it.

    Attributes:
        precision: what the engine computed in.
        batch: frames in the network call that made this one.
        stabilized: blended with the previous output (``--stabilize``).
    """

    precision: str = "fp32"
    batch: int = 1
    stabilized: bool = False

    def details(self) -> Mapping[str, Detail]:
        return {
            "method": "fast",
            "precision": self.precision,
            "batch": self.batch,
            "stabilized": self.stabilized,
        }


def batches(frames: Iterable[Frame], size: int) -> Iterator[list[Frame]]:
    """Consecutive lists of ``size`` frames (the last may be shorter), lazily."""
    it = iter(frames)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def prepare_fast(options: Options, runtime: Runtime) -> Runtime:
    """Check the ``--model`` file and the engine's extra before any work, and decide
    what ``--precision auto`` means for a feed-forward net.

    auto is fp16 on CUDA (what TensorRT and tensor cores are fastest in); on a CPU it
    is what :func:`~vstyle.device.auto_precision` says: bf16 where the CPU has native
    bf16, where eager bf16 ran 1.5-2.7x the frames/s of ONNX Runtime's fp32 (which has
    no bf16 kernels) at 320x240, and fp32 elsewhere, where ONNX Runtime is the faster
    engine (benchmarks/fast.py on a quiet machine, RESULTS.md).

    Raises:
        ModelError: the model is missing or not an intact ``.vsm`` header.
        DeviceError: the engine's package (onnxruntime, tensorrt) is not installed.
    """
    read_info(options.fast.model or "")
    if options.runtime.precision == "auto":
        cuda = runtime.device.type == "cuda"
        runtime = replace(runtime, precision="fp16" if cuda else auto_precision(runtime.device))
    name = choose(options.fast.engine, runtime.device, runtime.precision)
    if name == "onnx":
        import_onnxruntime()
    elif name == "tensorrt":
        import_tensorrt()
    return runtime


class FastStylizer:
    """Stylize frames with a ``.vsm`` model on the engine ``--engine`` names.

    Args:
        options: ``options.fast`` (model, engine, batch, stabilize) is read.
        runtime: device and precision.
        size: (width, height) of every frame.
        on_record: called with a :class:`FastRecord` per frame.
        engine: an engine already built (tests, benchmarks); else one is built here.
    """

    def __init__(
        self,
        options: Options,
        runtime: Runtime,
        size: tuple[int, int],
        on_record: OnRecord | None = None,
        engine: Engine | None = None,
    ) -> None:
        fast = options.fast
        self.model: ModelInfo | None = None
        if engine is None:
            net, self.model = load_model(fast.model or "")
            engine = build(net, runtime, fast.engine, size, runtime.precision, fast.batch)
        self.engine = engine
        self.batch = fast.batch
        self.device = runtime.device
        self.on_record = on_record
        self.stabilizer = (
            Stabilizer(options.temporal.flow, fast.stabilize_strength, runtime.device)
            if fast.stabilize
            else None
        )

    def __call__(self, frames: Iterable[Frame]) -> Iterator[Frame]:
        """Stylized frames, in order, with their timing; temporal state lives in here."""
        stabilizer = self.stabilizer.start() if self.stabilizer else None
        items = stabilizer.motions(frames) if stabilizer else ((f, None) for f in frames)
        try:
            for chunk in batches(items, self.batch):
                yield from self._batch(chunk, stabilizer)
        finally:
            items.close()  # stop the flow thread when the consumer stops early

    def _batch(self, chunk: list, stabilizer: Stabilizer | None) -> Iterator[Frame]:
        start = time.perf_counter()
        x = torch.cat([to_tensor(f.rgb, self.device) for f, _ in chunk])
        if getattr(self.engine, "fixed_shape", False) and len(chunk) < self.batch:
            x = torch.cat([x, x[-1:].expand(self.batch - len(chunk), -1, -1, -1)])
        y = self.engine(x)[: len(chunk)]
        if stabilizer:
            y = torch.cat([stabilizer.blend(y[i : i + 1], m) for i, (_, m) in enumerate(chunk)])
        pictures = [to_array(y[i : i + 1]) for i in range(len(chunk))]
        seconds = (time.perf_counter() - start) / len(chunk)
        for (frame, _), rgb in zip(chunk, pictures, strict=True):
            if self.on_record:
                self.on_record(
                    FastRecord(
                        frame.index,
                        seconds,
                        self.engine.name,
                        self.engine.precision,
                        len(chunk),
                        stabilizer is not None,
                    )
                )
            yield frame.with_rgb(rgb)
