"""The fast stylizer: frames in, frames out, ``--batch`` frames per network call.

The net is loaded once from the ``.vsm`` and handed to :func:`vstyle.engines.build`,
which knows the stream's size before the first frame (fixed-shape engines build
for it). A short last batch is padded with copies of its last frame for engines
with a fixed shape, and the copies dropped. With ``--stabilize`` each output is
blended with the previous output warped onto it (:mod:`vstyle.fast.stabilize`).
Batches travel to the device and back through :mod:`vstyle.fast.batches` (pinned
memory and copy streams on CUDA, where the frames are also resized), which times
each stage; every :class:`FastRecord` carries its frame's share.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace

import torch

from ..device import Runtime, auto_precision
from ..engines import Engine, build, choose
from ..engines.onnx import import_onnxruntime
from ..engines.tensorrt import import_tensorrt
from ..frames import Frame
from ..nets.modelfile import ModelInfo, load_model, read_info
from ..options import Options
from ..records import Detail, FrameRecord, OnRecord, Stages
from .batches import InFlight, Waits, make_batches
from .stabilize import Motion, Stabilizer


@dataclass(frozen=True)
class FastRecord(FrameRecord):
    """A frame made by a feed-forward net; ``engine`` names the engine that ran it.

    Attributes:
        precision: what the engine computed in.
        batch: frames in the network call that made this one.
        stabilized: blended with the previous output (``--stabilize``).
        timing: this frame's share of its batch's stages (the encoder's not known yet).
    """

    precision: str = "fp32"
    batch: int = 1
    stabilized: bool = False
    timing: Stages = Stages()

    def stages(self) -> Stages:
        return self.timing

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


def model_engine(
    options: Options, runtime: Runtime, size: tuple[int, int], batch: int = 1
) -> tuple[Engine, ModelInfo]:
    """Load ``--model`` and build the ``--engine`` that runs it on frames of ``size``.

    Shared by the fast method and the optimizer's network start (:mod:`vstyle.optimize.hybrid`).

    Args:
        runtime: device and precision of the net (see :func:`prepare_fast`).
        size: (width, height) of every frame.
        batch: frames per call (fixed-shape engines expect exactly this many).
    """
    net, info = load_model(options.fast.model or "")
    return build(net, runtime, options.fast.engine, size, runtime.precision, batch), info


class FastStylizer:
    """Stylize frames with a ``.vsm`` model on the engine ``--engine`` names.

    Args:
        options: ``options.fast`` (model, engine, batch, stabilize) is read.
        runtime: device and precision; whether copies overlap and who resizes.
        size: (width, height) the net runs at, known before the first frame.
        on_record: called with a :class:`FastRecord` per frame.
        engine: an engine already built (tests, benchmarks); else one is built here.

    Attributes:
        resizes: frames may come at any size and are resized here, on the device
            (CUDA without ``--stabilize``, whose flow needs them at ``size``).
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
            engine, self.model = model_engine(options, runtime, size, fast.batch)
        self.engine = engine
        self.batch = fast.batch
        self.device = runtime.device
        self.on_record = on_record
        self.stabilizer = (
            Stabilizer(options.temporal.flow, fast.stabilize_strength, runtime.device)
            if fast.stabilize
            else None
        )
        self.resizes = runtime.resizes_on_device and not fast.stabilize
        pad = getattr(engine, "fixed_shape", False)
        self.batches = make_batches(runtime.device, runtime.streams, size, self.batch, pad)

    def __call__(self, frames: Iterable[Frame]) -> Iterator[Frame]:
        """Stylized frames, in order, with their timing; temporal state lives in here."""
        stabilizer = self.stabilizer.start() if self.stabilizer else None
        items = stabilizer.motions(frames) if stabilizer else ((f, None) for f in frames)
        waits, flying = Waits(), deque()
        try:
            for chunk in batches(waits.wrap(items), self.batch):
                decode = waits.take()
                flight = self.batches.send([frame.rgb for frame, _ in chunk])
                self.batches.run(flight, self._network([m for _, m in chunk], stabilizer))
                flying.append((chunk, flight, decode))
                if len(flying) > self.batches.ahead:
                    yield from self._receive(*flying.popleft())
            while flying:
                yield from self._receive(*flying.popleft())
        finally:
            items.close()  # stop the flow thread when the consumer stops early

    def _network(self, motions: list[Motion], stabilizer: Stabilizer | None):
        """The engine on a (padded) batch -> the outputs of the frames in it, stabilized."""

        def network(x: torch.Tensor) -> torch.Tensor:
            y = self.engine(x)[: len(motions)]
            if stabilizer:
                y = torch.cat([stabilizer.blend(y[i : i + 1], m) for i, m in enumerate(motions)])
            return y

        return network

    def _receive(self, chunk: list, flight: InFlight, decode: float) -> Iterator[Frame]:
        pictures, stages = self.batches.receive(flight)
        share = replace(stages, decode=decode) / len(chunk)
        seconds = share.to_device + share.network + share.from_device
        for (frame, _), rgb in zip(chunk, pictures, strict=True):
            if self.on_record:
                self.on_record(
                    FastRecord(
                        frame.index,
                        seconds,
                        self.engine.name,
                        self.engine.precision,
                        len(chunk),
                        self.stabilizer is not None,
                        share,
                    )
                )
            yield frame.with_rgb(rgb)
