"""One live run: capture (thread) -> latest-frame slot -> painter -> window and outputs.

The main thread paints: it takes the newest frame when the model is ready for one,
hands the painting to every output's slot (each output writes on its own thread),
draws the window and reads a key. Nothing in that loop waits for an encoder or for
a frame that is already stale.
"""

from __future__ import annotations

import collections
import contextlib
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..device import Runtime
from ..engines import Engine
from ..errors import OptionError
from ..fast import prepare_fast
from ..frames import Frame
from ..io.image import processing_size, resize, write_image
from ..options import Options
from .buffer import CaptureThread
from .capture import Capture
from .painter import Painter, looks
from .sinks import DroppingSink, VirtualCamera, record_sink, stdout_sink, stream_info
from .stats import Summary
from .window import ESC, HELP, KeySource, Window, side_by_side

PAUSE_POLL_MS = 30  # how often keys are read while the picture is paused
HELP_SECONDS = 4.0  # the key help shows this long in the window's overlay


def check_models(options: Options) -> None:
    """Refuse a live run without a usable model, before the camera opens.

    Raises:
        OptionError: no ``--model`` (with a ``--style``: says to train one first).
        ModelError: a model file is missing or not an intact ``.vsm``.
    """
    if not options.live.models:
        if options.style.paths:
            style = options.style.paths[0]
            raise OptionError(
                f"--style '{style}': live mode paints with a trained model, and optimizing "
                f"each frame is far too slow for a camera; train one first with 'vstyle train "
                f"--style {style} --data PHOTOS --out M.vsm', then 'vstyle live --model M.vsm' "
                "(or, for any style, an inverse net: 'vstyle train --arbitrary')"
            )
        raise OptionError("vstyle live needs --model M.vsm (make one with 'vstyle train')")


def prepare(options: Options) -> tuple[Options, Runtime]:
    """Every model checked and ``--precision auto`` decided (as for a file run)."""
    check_models(options)
    looks(options)  # an inverse net's --style, before the camera opens
    runtime = Runtime.from_options(options.runtime.device, options.runtime.precision)
    decided = runtime
    for model in options.live.models:
        decided = prepare_fast(replace(options, fast=replace(options.fast, model=model)), runtime)
    fast = replace(options.fast, model=options.live.models[0], batch=1)
    return replace(options, method="fast", fast=fast), decided


class LiveRun:
    """A live run, opened: use as a context manager, then :meth:`run` or :meth:`shown`.

    Args:
        options: ``live`` (source, outputs, stopping), ``fast``, ``size``, ``runtime``,
            ``io`` (the recording's encoder) and ``overwrite`` are read.
        keys: a key source (``cv2.waitKey``'s shape); default: the window's, or none.
        engines: engines already built, one per model (tests, benchmarks).
    """

    def __init__(
        self,
        options: Options,
        keys: KeySource | None = None,
        engines: Sequence[Engine] | None = None,
    ) -> None:
        live = options.live
        if engines is None:
            options, runtime = prepare(options)
        else:
            runtime = Runtime.from_options(options.runtime.device, "fp32")
        self.options, self.summary = options, Summary()
        self.paused = self.quit = False
        self.compare = live.compare
        self.snapshots: list[Path] = []
        self._stack = contextlib.ExitStack()
        with self._stack:  # closes what was opened when a later part fails
            self.window = Window() if live.window else None
            if self.window is not None:
                self._stack.callback(self.window.close)
            self.keys = keys or (self.window.poll if self.window else None)
            self._pump = keys is not None and self.window is not None
            self.capture = Capture(live)
            self._stack.callback(self.capture.close)
            self.size = processing_size(*self.capture.size, options.size)
            self.sinks = self._open_sinks()  # before the model: a refusal comes quickly
            self.painter = Painter(options, runtime, self.size, engines)
            self._stack.callback(self.painter.close)
            self.grabber = CaptureThread(self.capture)
            self._stack.callback(self.grabber.close)
            self._stack = self._stack.pop_all()  # opened: now close() closes them
        self._times: collections.deque[float] = collections.deque(maxlen=30)
        self._last: tuple[np.ndarray | None, Frame] | None = None

    def __enter__(self) -> LiveRun:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop capturing and finish every output (a recording is left playable)."""
        try:
            for sink in self.sinks:
                self.summary.sink_drops[sink.name] = sink.dropped
        finally:
            self._stack.close()

    def run(self) -> Summary:
        """Show frames until a stop (``--frames``, ``--duration``, q, Ctrl-C, the end)."""
        try:
            for _ in self.shown():
                pass
        except KeyboardInterrupt:
            self.summary.stopped_by = "Ctrl-C"
        return self.summary

    def shown(self) -> Iterator[Frame]:
        """Each painted frame once every output has it; ``time`` is its capture time."""
        pairs = self._pairs()
        try:
            while not self._stopping():
                if self.paused:
                    self._draw(*self._last) if self._last else None
                    self._handle(self._poll(PAUSE_POLL_MS))
                    continue
                pair = next(pairs, None)
                if pair is None:
                    self.summary.stopped_by = "end of the source"
                    break
                yield self._output(*pair)
                self._handle(self._poll(1))
        finally:
            pairs.close()
            self.summary.seconds = time.perf_counter() - self.grabber.start
            self.summary.dropped = self.grabber.dropped

    def _stopping(self) -> bool:
        live, summary = self.options.live, self.summary
        if self.quit:
            summary.stopped_by = "q"
        elif live.frames is not None and summary.shown >= live.frames:
            summary.stopped_by = "--frames"
        elif live.duration is not None and self._elapsed() >= live.duration:
            summary.stopped_by = "--duration"
        else:
            return False
        return True

    def _elapsed(self) -> float:
        return time.perf_counter() - self.grabber.start

    def _pairs(self) -> Iterator[tuple[np.ndarray | None, Frame]]:
        """(original picture, painted frame) pairs; the painter pulls the newest frame."""
        originals: dict[int, np.ndarray] = {}

        def feed() -> Iterator[Frame]:
            for frame in self.grabber.frames():
                originals[frame.index] = frame.rgb
                yield frame.with_rgb(resize(frame.rgb, *self.size))

        for painted in self.painter.paint(feed()):
            for index in [i for i in originals if i < painted.index]:
                del originals[index]  # frames a switch or --stabilize's lookahead left
            yield originals.pop(painted.index, None), painted

    def _output(self, original: np.ndarray | None, painted: Frame) -> Frame:
        for sink in self.sinks:
            sink.write(painted)
        self._last = (original, painted)
        self._times.append(time.perf_counter())
        self._draw(original, painted)
        self.summary.add(time.perf_counter() - self.grabber.captured_at(painted))
        return painted

    def _draw(self, original: np.ndarray | None, painted: Frame) -> None:
        if self.window is None:
            return
        self.window.show(self._picture(original, painted), self._overlay())

    def _picture(self, original: np.ndarray | None, painted: Frame) -> np.ndarray:
        if self.compare and original is not None:
            return side_by_side(original, painted.rgb)
        return painted.rgb

    def _overlay(self) -> list[str]:
        times = self._times
        fps = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
        latency = self.summary.latencies[-1] * 1000 if self.summary.latencies else 0.0
        lines = [f"{fps:.1f} fps  {latency:.0f} ms  {self.painter.name}"]
        if self.paused:
            lines.append("paused (space)")
        if self._elapsed() < HELP_SECONDS:
            lines.append(HELP)
        return lines

    def _poll(self, wait_ms: int) -> int:
        if self.keys is None:
            if self.paused:
                time.sleep(wait_ms / 1000)
            return -1
        if self._pump:
            self.window.poll(1)  # the window draws only while OpenCV reads its keys
        return self.keys(wait_ms)

    def _handle(self, key: int) -> None:
        """n/p model, c compare, s snapshot, space pause, q or Esc quit."""
        if key < 0:
            return
        char = chr(key & 0xFF).lower()
        if char in "qQ" or key & 0xFF == ESC:
            self.quit = True
        elif char == "n":
            self.painter.switch(+1)
        elif char == "p":
            self.painter.switch(-1)
        elif char == "c":
            self.compare = not self.compare
        elif char == " ":
            self.paused = not self.paused
        elif char == "s" and self._last is not None:
            self.snapshot()

    def snapshot(self) -> Path:
        """Save what is shown (without the overlay) as a PNG in ``--snapshots``."""
        original, painted = self._last
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = self.options.live.snapshots / f"vstyle-live-{stamp}-{painted.index:06d}.png"
        write_image(path, self._picture(original, painted))
        self.snapshots.append(path)
        return path

    def _open_sinks(self) -> list[DroppingSink]:
        live, info = self.options.live, stream_info(self.size, self.capture.rate)
        sinks: list[DroppingSink] = []
        outputs = [
            ("record", live.record is not None,
             lambda: record_sink(live.record, self.options.io, info, self.options.overwrite)),
            ("stdout", live.output == "-",
             lambda: stdout_sink(live.output_format, self.options.io, info)),
            ("virtual camera", live.virtual_camera,
             lambda: VirtualCamera(self.size, self.capture.rate)),
        ]  # fmt: skip
        for name, wanted, open_sink in outputs:
            if wanted:
                sink = DroppingSink(open_sink(), name)
                self._stack.callback(sink.close)
                sinks.append(sink)
        return sinks
