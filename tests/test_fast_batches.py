"""The fast path's batches: the device resize agrees with OpenCV's, a batch of N makes
the frames one at a time would, every stage is timed and the times fit in the wall
time; on CUDA (``gpu`` tests, the real thing) pinned buffers, copy streams and overlap."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import numpy as np
import pytest
import torch
from rich.console import Console
from rich.progress import Progress, TextColumn

from tests.conftest import smooth_noise
from tests.io.io_clips import make_clip
from tests.nets.test_transformer import seeded
from vstyle import pipeline
from vstyle.device import Runtime
from vstyle.engines.eager import EagerEngine
from vstyle.fast import FastRecord, FastStylizer
from vstyle.fast.batches import CudaBatches, HostBatches, resize_batch
from vstyle.frames import Frame, VideoInfo, batch_to_float
from vstyle.io.image import resize
from vstyle.nets.modelfile import ModelInfo, save_model
from vstyle.nets.transformer import TransformerNet
from vstyle.options import FastOptions, Options, RuntimeOptions, SizeOptions
from vstyle.progress import ProgressHooks
from vstyle.records import Report, Stages

CPU = Runtime(torch.device("cpu"))


@pytest.fixture(scope="module")
def net() -> TransformerNet:
    return seeded(TransformerNet(0.25), seed=7)


def frames(n: int, size: tuple[int, int] = (64, 48)) -> list[Frame]:
    return [Frame(i, smooth_noise(size[1], size[0], seed=i)) for i in range(n)]


class FixedShape:
    """The eager engine posing as a fixed-shape one: it refuses any batch but its own."""

    fixed_shape = True

    def __init__(self, engine: EagerEngine, batch: int) -> None:
        self.engine, self.batch = engine, batch
        self.name, self.precision = engine.name, engine.precision

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        assert len(x) == self.batch, f"called with {len(x)} frames, built for {self.batch}"
        return self.engine(x)


def stylize(net, items: list[Frame], batch: int, runtime=CPU, fixed=False, size=(64, 48)):
    """All the frames out (held at once, as a slow encoder would) and their records."""
    engine = EagerEngine(net, runtime.device)
    options = Options(fast=FastOptions(batch=batch))
    records: list[FastRecord] = []
    stylizer = FastStylizer(
        options, runtime, size, records.append, FixedShape(engine, batch) if fixed else engine
    )
    return list(stylizer(items)), records


@pytest.mark.parametrize(
    "size",
    [(32, 24), (37, 23), (100, 75), (128, 96), (50, 60), (80, 40)],
    ids=["half", "fraction", "up", "double", "mixed-area", "mixed-cubic"],
)
def test_device_resize_matches_opencv(size: tuple[int, int]) -> None:
    rng = np.random.default_rng(0)
    for picture in (smooth_noise(48, 64, seed=3), rng.integers(0, 256, (48, 64, 3), np.uint8)):
        expected = resize(picture, *size).astype(np.float64)
        x = batch_to_float(torch.from_numpy(picture)[None])
        got = resize_batch(x, size)[0].permute(1, 2, 0).double().numpy() * 255
        assert got.shape == expected.shape
        # OpenCV rounds to uint8, the device keeps floats: half a level apart, a little
        # more where OpenCV's fixed-point weights are coarser (a stretched picture).
        assert np.abs(got - expected).max() <= 1.0
        assert np.abs(got - expected).mean() < 0.3
    same = torch.rand(2, 3, 24, 32)
    assert resize_batch(same, (32, 24)) is same


@pytest.mark.parametrize("fixed", [False, True], ids=["any-shape", "fixed-shape"])
def test_a_batch_of_four_makes_the_frames_one_at_a_time_makes(net, fixed: bool) -> None:
    items = frames(5)  # odd: the last batch is short (padded for a fixed-shape engine)
    one, _ = stylize(net, items, 1)
    four, records = stylize(net, items, 4, fixed=fixed)
    assert [f.index for f in four] == [f.index for f in one] == list(range(5))
    for a, b, source in zip(one, four, items, strict=True):
        assert a.rgb.shape == b.rgb.shape == source.rgb.shape
        assert np.abs(a.rgb.astype(int) - b.rgb.astype(int)).max() <= 1
        assert np.abs(a.rgb.astype(int) - source.rgb.astype(int)).mean() > 20  # painted
    assert [r.batch for r in records] == [4, 4, 4, 4, 1]
    stages = [r.stages() for r in records]
    assert all(min(s.values()) >= 0 and s.network > 0 and s.encode == 0 for s in stages)
    # a batch's time is shared by its frames
    assert stages[0] == stages[3] and records[0].seconds == pytest.approx(
        stages[0].to_device + stages[0].network + stages[0].from_device
    )


class Recording(HostBatches):
    """The host path, keeping a batch in flight as the CUDA path does, saying what it does."""

    ahead = 1

    def __init__(self, *args, log: list[str]) -> None:
        super().__init__(*args)
        self.log = log

    def send(self, pictures):
        self.log.append(f"send {len(pictures)}")
        return super().send(pictures)

    def receive(self, flight):
        self.log.append(f"receive {flight.count}")
        return super().receive(flight)


def test_the_next_batch_is_sent_before_the_last_is_received(net) -> None:
    engine = EagerEngine(net, CPU.device)
    stylizer = FastStylizer(Options(fast=FastOptions(batch=2)), CPU, (64, 48), engine=engine)
    log: list[str] = []
    stylizer.batches = Recording(CPU.device, (64, 48), 2, False, log=log)
    out = list(stylizer(frames(5)))
    assert log == ["send 2", "send 2", "receive 2", "send 1", "receive 2", "receive 1"]
    reference, _ = stylize(net, frames(5), 2)
    assert all(np.array_equal(a.rgb, b.rgb) for a, b in zip(out, reference, strict=True))


def test_the_report_says_where_the_time_went(net, tmp_path: Path) -> None:
    model = save_model(tmp_path / "m.vsm", net, ModelInfo("vstyle", 0.25))
    source = make_clip(tmp_path / "in.mp4", frames=5, size=(64, 48))
    options = Options(
        input=str(source), output=str(tmp_path / "out.mp4"), method="fast",
        fast=FastOptions(model=model, engine="eager", batch=2),
        runtime=RuntimeOptions(device="cpu", precision="fp32"),
    )  # fmt: skip
    report = pipeline.run(options)
    data = report.as_dict()["stages"]
    seconds = data["seconds"]
    assert set(seconds) == {"decode", "to_device", "network", "from_device", "encode"}
    assert all(v >= 0 for v in seconds.values()) and seconds["network"] > 0
    assert seconds["decode"] > 0 and seconds["encode"] > 0  # the queue's end waits, at least
    assert sum(seconds.values()) <= report.seconds
    for name, total in seconds.items():
        assert data["per_frame"][name] == pytest.approx(total / 5, abs=1e-4)
    assert report.as_dict()["fps"] == pytest.approx(5 / report.seconds, rel=1e-3)


def test_copy_reports_no_stages(tmp_path: Path) -> None:
    source = make_clip(tmp_path / "in.mp4", frames=2, size=(32, 24))
    report = pipeline.run(Options(input=str(source), output=str(tmp_path / "o.mp4"), method="copy"))
    assert report.stages is None and "stages" not in report.as_dict()
    assert report.encode_wait > 0  # measured all the same: the flush at the end


def test_frames_come_at_the_source_size_to_a_stylizer_that_resizes(tmp_path: Path, monkeypatch):
    source = make_clip(tmp_path / "in.mp4", frames=2, size=(64, 48))
    sizes: dict[bool, set] = {}

    def build(options, runtime, size, hooks, frame_count=None):
        def stylizer(items):
            for frame in items:
                sizes.setdefault(stylizer.resizes, set()).add(frame.size)
                yield frame.with_rgb(resize(frame.rgb, *size))

        stylizer.resizes = resizes
        return stylizer

    monkeypatch.setattr(pipeline, "build_stylizer", build)
    for resizes in (False, True):
        options = Options(
            input=str(source), output=str(tmp_path / f"{resizes}.mp4"),
            size=SizeOptions(max_side=32),
        )  # fmt: skip
        assert pipeline.run(options).size == (32, 24)
    assert sizes == {False: {(32, 24)}, True: {(64, 48)}}


def test_stages_add_divide_and_summarize() -> None:
    a = Stages(decode=1.0, network=3.0, encode=0.5)
    total = a + Stages(decode=1.0, to_device=0.5, network=3.0, from_device=0.25)
    assert total == Stages(2.0, 0.5, 6.0, 0.25, 0.5) and total.total == pytest.approx(9.25)
    assert total / 2 == Stages(1.0, 0.25, 3.0, 0.125, 0.25)
    assert total.summary(10.0) == "net 60% · decode 20% · to dev 5%"
    assert Stages().summary(10.0) == "" and total.summary(0.0) == ""
    report = Report(frames=2, seconds=10.0, encode_wait=0.5)
    report.add(FastRecord(0, 0.1, "eager", timing=a))
    assert report.stages == dataclasses.replace(a, encode=1.0)  # the pipeline's wait added
    assert report.as_dict()["stages"]["other"] == pytest.approx(10.0 - 5.0)


def test_the_progress_line_shows_the_shares_so_far() -> None:
    clock = [0.0]
    console = Console(file=io.StringIO(), width=160, color_system=None)
    bar = Progress(TextColumn("{task.fields[extra]}"), console=console, get_time=lambda: clock[0])
    hooks = ProgressHooks(bar).hooks()
    hooks.on_start(VideoInfo(64, 48, frame_count=4), (64, 48))
    for i in range(2):
        hooks.on_record(FastRecord(i, 0.3, "eager", timing=Stages(decode=1.0, network=3.0)))
    clock[0] = 10.0
    hooks.on_record(FastRecord(2, 0.3, "eager", timing=Stages(to_device=0.5)))
    console.print(bar.get_renderable())
    assert "eager net 60% · decode 20% · to dev 5%" in console.file.getvalue()


# CUDA: the real thing, skipped without a GPU.


@pytest.mark.gpu
def test_cuda_batches_are_pinned_and_copied_on_their_own_streams() -> None:
    device = torch.device("cuda")
    batches = CudaBatches(device, (64, 48), 4, pad=False)
    items = frames(3, size=(96, 72))  # resized on the device
    flight = batches.send([f.rgb for f in items])
    assert batches.inputs[flight.slot].is_pinned()
    current = torch.cuda.current_stream(device)
    assert batches.upload != current and batches.download != current
    batches.run(flight, lambda x: x)
    assert batches.outputs[flight.slot].is_pinned()
    pictures, stages = batches.receive(flight)
    for picture, source in zip(pictures, items, strict=True):
        assert np.abs(picture.astype(int) - resize(source.rgb, 64, 48).astype(int)).max() <= 1
    assert stages.to_device > 0 and stages.from_device > 0


@pytest.mark.gpu
def test_the_next_upload_overlaps_the_network_on_the_gpu() -> None:
    device = torch.device("cuda")
    batches = CudaBatches(device, (640, 480), 4, pad=False)
    pictures = [f.rgb for f in frames(4, size=(1280, 960))]

    def slow(x: torch.Tensor) -> torch.Tensor:
        torch.cuda._sleep(100_000_000)  # spin ~50 ms (cycles at ~2 GHz)
        return x

    first = batches.send(pictures)
    batches.run(first, slow)
    second = batches.send(pictures)  # queued while the first batch's network runs
    batches.run(second, lambda x: x)
    batches.receive(first)
    batches.receive(second)
    start, end = first.events[2], first.events[3]
    # The second upload began before the first network ended: they overlapped.
    assert start.elapsed_time(second.events[0]) < start.elapsed_time(end)


@pytest.mark.gpu
def test_cuda_stylizer_matches_the_cpu_one_frame_by_frame(net) -> None:
    runtime = Runtime(torch.device("cuda"))
    items = frames(7, size=(96, 72))  # the device resizes to 64x48
    on_cpu = [f.with_rgb(resize(f.rgb, 64, 48)) for f in items]
    expected, _ = stylize(net, on_cpu, 1)
    got, records = stylize(net, items, 2, runtime=runtime)  # all held: no slot reused early
    assert [f.index for f in got] == list(range(7))
    for a, b in zip(expected, got, strict=True):
        assert np.abs(a.rgb.astype(int) - b.rgb.astype(int)).mean() < 2  # TF32 convs
    assert all(r.stages().network > 0 for r in records)
