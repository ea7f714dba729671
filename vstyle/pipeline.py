"""The whole job in a few lines: source -> resize -> stylizer -> sink.

A stylizer maps an iterator of frames to an iterator of frames; any temporal
state (previous frames, flow) lives inside it. Decoding runs ahead on one thread
and encoding behind on another (``io.threads``), so both overlap stylization.

Nothing is lost: the output is written under a hidden temporary name beside the
target and renamed when the run succeeds (``io.staging``). When the run is stopped
(Ctrl-C, SIGTERM), the input breaks part-way or the disk fills, reading stops, the
encoder is flushed and the file closed, so the frames done form a playable video.
It is kept at the target name when the target did not exist before, else beside it
as ``NAME.partial.EXT`` (an existing file is never replaced by a partial one); the
error message says where. Frame patterns and stdout are written in place.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace

from .device import Runtime, out_of_memory_hint
from .errors import Interrupted, OptionError, VstyleError
from .frames import Frame, VideoInfo
from .io import Sink, Source, check_output, open_sink, open_source
from .io.formats import output_kind
from .io.image import processing_size, resize
from .io.staging import Staging
from .io.threads import BackgroundSink, prefetch
from .optimize.sizes import check_sizes
from .options import Options, check_for_input, resolve_init, resolve_method
from .preflight import check_paths
from .records import FrameRecord, OnIteration, OnRecord, Report, fan_out

log = logging.getLogger(__name__)

# A stylizer whose ``resizes`` attribute is true takes frames at the source size and
# brings them to the processing size itself (the fast one, on the GPU); the others get
# them resized here, with OpenCV.
Stylizer = Callable[[Iterable[Frame]], Iterator[Frame]]


@dataclass(frozen=True)
class Hooks:
    """Callbacks through which the core reports progress; the CLI draws them.

    Attributes:
        on_start: called once with the source's info and the processing size.
        on_frame: called after each frame is written (every engine).
        on_record: called with each frame's :class:`FrameRecord` (every engine).
        on_iteration: called after each iteration of an iterating engine.
        on_chunk: ``--cluster``: called as chunks finish, with (chunks done, chunks,
            frames done, frames), counting chunks found finished from an earlier run.
    """

    on_start: Callable[[VideoInfo, tuple[int, int]], None] | None = None
    on_frame: Callable[[Frame], None] | None = None
    on_record: OnRecord | None = None
    on_iteration: OnIteration | None = None
    on_chunk: Callable[[int, int, int, int], None] | None = None  # --cluster


def copy_stylizer(frames: Iterable[Frame], on_record: OnRecord | None = None) -> Iterator[Frame]:
    """``--method copy``: frames pass through untouched."""
    for frame in frames:
        if on_record:
            on_record(FrameRecord(frame.index, 0.0, "copy"))
        yield frame


def inverse(options: Options) -> bool:
    """Whether ``--model`` is an inverse net (any style): the method follows from the file."""
    from .nets.modelfile import read_info

    return read_info(options.fast.model or "").kind == "inverse"


def network_paints(options: Options) -> bool:
    """Whether the ``--model`` paints the frames (fast, or an inverse net for any style),
    rather than starting the optimizer (the hybrid) or being absent."""
    if options.fast.model is None:
        return False
    return options.method in ("fast", "swap") or inverse(options)


def build_stylizer(
    options: Options,
    runtime: Runtime,
    size: tuple[int, int],
    hooks: Hooks,
    frame_count: int | None = None,
) -> Stylizer:
    """Pick the engine: copy, a ``--model`` (fast, pictures and videos alike), or the
    optimizer for one picture or a video (temporal unless ``--no-temporal``), started
    from the ``--model``'s output when one is given (the hybrid method).

    Args:
        size: (width, height) every frame will have, known before the first one
            (engines with a fixed input shape build for it; the optimizer needs none).
        hooks: only ``on_record`` and ``on_iteration`` reach the engine.
        frame_count: frames in the input if known; 1 means a single picture.
    """
    options = resolve_method(options)
    if options.method == "copy":
        return functools.partial(copy_stylizer, on_record=hooks.on_record)
    if options.fast.model is not None and (options.method == "swap" or inverse(options)):
        from .arbitrary.stylizer import arbitrary_stylizer  # refuses a one-style model

        return arbitrary_stylizer(options, runtime, size, hooks.on_record)
    if options.method == "fast":
        from .fast import FastStylizer
        from .photo.fast_tiles import fast_tile, tiled_fast_stylizer

        tile = fast_tile(options, runtime, size)  # --tile, or too large for --max-memory
        if tile is not None:  # instance norms of the whole picture
            return tiled_fast_stylizer(options, runtime, tile, hooks.on_record)

        return FastStylizer(options, runtime, size, hooks.on_record)
    if options.method == "swap":
        from .arbitrary.optimize import swap_optimizer

        return swap_optimizer(options, runtime, hooks.on_record, hooks.on_iteration, frame_count)
    check_for_input(options, frame_count)
    start = None
    if options.fast.model is not None:
        from .optimize.hybrid import network_start

        start = network_start(options, runtime, size)
    if frame_count == 1:
        from .optimize.stylizer import FrameOptimizer

        opt = FrameOptimizer(options, runtime, hooks.on_record, hooks.on_iteration, start)
    else:
        from .optimize.video import VideoOptimizer

        opt = VideoOptimizer(options, runtime, hooks.on_record, hooks.on_iteration, start)
    if opt.photo is not None:
        opt.photo.check_frames(frame_count)  # a mask video: one mask a frame
    return opt


@contextlib.contextmanager
def signals_interrupt() -> Iterator[threading.Event]:
    """SIGINT and SIGTERM set the event this yields and raise KeyboardInterrupt once.

    Later ones only warn, so a second Ctrl-C cannot break the flush that saves the
    frames done. The event is what tells the run it was stopped: the exception may
    land inside a PyAV read callback, which swallows it (see ``io.probe.PipeReader``).
    """
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum: int, frame: object) -> None:
        if not stop.is_set():
            stop.set()
            raise KeyboardInterrupt
        log.warning("still saving the frames done; please wait")

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def open_input(options: Options, stop: threading.Event) -> Source:
    """``open_source`` for the run; a signal while the input opens is an interruption."""
    try:
        return open_source(str(options.input), options.io, stop)
    except (KeyboardInterrupt, VstyleError):
        if stop.is_set():  # also when the signal was swallowed and the read just ended
            raise Interrupted("interrupted while opening the input; nothing was written") from None
        raise


def stream(
    options: Options,
    source: Source,
    stylizer: Stylizer,
    sink: Sink,
    report: Report,
    hooks: Hooks,
    size: tuple[int, int],
    stop: threading.Event,
) -> None:
    """Decode (thread) -> resize -> stylize -> encode (thread) until the source ends.

    Stops with KeyboardInterrupt as soon as ``stop`` is set, wherever the signal landed.
    """
    info = source.info
    with BackgroundSink(sink) as behind, out_of_memory_hint():
        decoded = frames = prefetch(source.frames())
        try:
            if not getattr(stylizer, "resizes", False):  # else on the device (fast, CUDA)
                frames = (f.with_rgb(resize(f.rgb, *size)) for f in decoded)
            for frame in stylizer(frames):
                if stop.is_set():
                    raise KeyboardInterrupt
                if options.size.output_size == "source":
                    frame = frame.with_rgb(resize(frame.rgb, info.width, info.height))
                behind.write(frame)
                report.frames += 1
                if hooks.on_frame:
                    hooks.on_frame(frame)
        finally:
            decoded.close()  # stop reading before the sink flushes what is done
    report.encode_wait = behind.waited  # the flush at the end included


def run(
    options: Options, hooks: Hooks | None = None, build: Callable[..., Stylizer] | None = None
) -> Report:
    """Stylize ``options.input`` into ``options.output``.

    This renders on this machine; :func:`vstyle.run` is the whole job, which with
    ``--cluster`` plans chunks that Ray workers render by this same function, and
    assembles them by it too (``vstyle.cluster``: it builds on this module, never
    the other way round).

    Args:
        build: makes the stylizer; default :func:`build_stylizer` (the cluster's
            assembly passes one that reads the rendered chunks).

    Raises:
        Interrupted: SIGINT/SIGTERM; the frames done were saved (exit code 130).
        DecodeError: the input broke part-way; the frames before were saved.
        OutputError: the output cannot be written (a full disk: the partial kept if it plays).
        VstyleError: any other problem with the inputs, outputs, device or options.
    """
    hooks = hooks or Hooks()
    build = build or build_stylizer  # looked up now, so a test may replace it
    if options.cluster.address is not None:
        raise OptionError(
            f"--cluster {options.cluster.address}: vstyle.pipeline.run renders on this "
            "machine; run the job with vstyle.run (or the CLI), which plans the chunks"
        )
    options = resolve_method(options)  # --method auto: fast with a --model
    kind = output_kind(options.output, options.io.output_format)  # decided once per run
    check_paths(options, kind)  # names, --report, --work-dir, --codec: before any work
    check_output(options.input, options.output, kind, options.overwrite)
    runtime = Runtime.from_options(options.runtime.device, options.runtime.precision)
    if options.fast.model is not None:  # the fast method, or the optimizer's start
        from .fast import prepare_fast

        net_runtime = prepare_fast(options, runtime)  # model file, engine's extra, precision
        if network_paints(options):
            runtime = net_runtime
    report = Report()
    start = time.perf_counter()
    with (
        signals_interrupt() as stop,
        out_of_memory_hint(),
        open_input(options, stop) as source,
    ):
        info = source.info
        width, height = processing_size(info.width, info.height, options.size)
        options = resolve_init(options, video=info.frame_count != 1)
        if options.method == "optimize":
            check_sizes(options, width, height)
        report.size = (width, height)
        if hooks.on_start:
            hooks.on_start(info, (width, height))
        engine_hooks = replace(hooks, on_record=fan_out(report.add, hooks.on_record))
        stylizer = build(options, runtime, (width, height), engine_hooks, info.frame_count)
        staging = Staging(options.output, kind, options.overwrite)
        with staging.saving(stop, lambda: report.frames):
            sink = open_sink(
                options.output, options.io, kind, info, staging.path, source.side, options.overwrite
            )
            stream(options, source, stylizer, sink, report, hooks, (width, height), stop)
    report.seconds = time.perf_counter() - start
    log.info("wrote %s: %d frame(s) in %.2fs", options.output, report.frames, report.seconds)
    return report
