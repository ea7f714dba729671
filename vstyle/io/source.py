"""Video sources: any file PyAV opens, stdin, raw video and image sequences.

Decoding is PyAV's demux loop with one ``yield from packet.decode()``; audio and
subtitle packets met on the way go to a :class:`~vstyle.io.audio.SideFeed` for the
sink. The time range (``--start``, ``--duration``, ``--frames``) is cut here, and
output time zero is the start of the kept range (plus the container's own start
offset, as ffmpeg does), so audio and video shift together.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Iterator
from fractions import Fraction

import av

from ..errors import DecodeError, InputError
from ..frames import Frame
from ..options import DEFAULT_RATE, IOOptions
from .audio import SideFeed
from .convert import source_color, to_rgb
from .formats import STDIO
from .probe import PipeReader, declared_end, describe, input_file, open_container, video_stream

log = logging.getLogger(__name__)

# After a cut, read on this far (seconds) so side streams get their packets up to it.
SIDE_LOOKAHEAD = Fraction(2)


class VideoSource:
    """Frames of a video, decoded on demand; the first is decoded on opening.

    Args:
        name: a file, a frame pattern, or ``-`` for stdin.
        io: the decoding options (format, raw-video layout, time range, audio).
        stop: set by a signal; reading a pipe then ends at once (see ``PipeReader``).

    Attributes:
        info: what is known before the frames (size upright, exact rate, colours).
        side: the audio/subtitle feed for the sink, or None with ``--no-audio``.
    """

    def __init__(self, name: str, io: IOOptions, stop: threading.Event | None = None) -> None:
        self.name, self.io = name, io
        self.file = input_file(name, stop)
        try:
            self.container = open_container(name, io, self.file)
        except BaseException:
            self._close_file()
            raise
        try:
            self.stream = video_stream(self.container, name)
            self.stream.thread_type = "AUTO"
            start_time = Fraction(max(self.container.start_time or 0, 0), 1_000_000)
            self.begin = start_time + Fraction(str(io.start or 0))
            side = [s for s in self.container.streams if s.type in ("audio", "subtitle")]
            self.side = SideFeed(side, self.begin, bool(io.start)) if side and io.audio else None
            self.decoded = 0  # input frames decoded, for the error message
            self._last_end: Fraction | None = None  # input seconds where the last frame ends
            self._busy = threading.Lock()  # held while frames are being decoded
            self._seek()
            self._rest = self._trimmed()
            self._first = next(self._rest, None)
            if self._first is None:
                raise InputError(self._no_frames_message())
            self._color = source_color(self._first)  # one description for every frame
            self.info = describe(self.container, self.stream, self._first, io, self.begin)
        except BaseException:
            self.container.close()
            self._close_file()
            raise

    def frames(self) -> Iterator[Frame]:
        """Upright RGB frames with their timestamps, output time zero at the range start."""
        first, self._first = self._first, None  # do not hold the first picture all run
        with self._busy:
            for index, frame in enumerate(itertools.chain([first], self._rest)):
                if frame.pts is None or frame.time_base is None:
                    rate = self.info.rate or DEFAULT_RATE
                    pts, time_base = index, 1 / rate
                else:
                    time_base = Fraction(frame.time_base)
                    pts = frame.pts - round(self.begin / time_base)
                yield Frame(index, to_rgb(frame, self._color), pts, time_base)

    def close(self) -> None:
        # A decode thread stuck reading a stalled pipe must not see its container freed.
        if not self._busy.acquire(timeout=2):
            log.warning("input '%s' is still being read; leaving it open", self.name)
            return
        try:
            self.container.close()
            self._close_file()
        finally:
            self._busy.release()

    def _close_file(self) -> None:
        if isinstance(self.file, PipeReader):
            self.file.close()

    def __enter__(self) -> VideoSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _seek(self) -> None:
        if not self.io.start or self.name == STDIO:
            return
        try:  # to the keyframe before; the frames before the start are dropped below
            self.container.seek(int(self.begin / self.stream.time_base), stream=self.stream)
        except av.FFmpegError:
            pass  # not seekable (raw streams): decoding from the top is slower, not wrong

    def _demux(self) -> Iterator[av.VideoFrame]:
        streams = [self.stream, *(self.side.streams if self.side else [])]
        try:
            for packet in self.container.demux(streams):
                if packet.stream.index == self.stream.index:
                    yield from packet.decode()
                elif self.side is not None:
                    self.side.push(packet)
            return
        except av.FFmpegError as exc:
            reason = exc.strerror or type(exc).__name__
        try:  # the decoder still holds good frames (threads, reordering): drain them
            yield from self.stream.decode(None)
        except av.FFmpegError:
            pass
        raise DecodeError(
            f"input '{self.name}' is corrupt or truncated: decoding broke after frame "
            f"{self.decoded} ({reason})",
            frames_done=self.decoded,
        )

    def _trimmed(self) -> Iterator[av.VideoFrame]:
        """Decoded frames inside the time range; tells the side feed where it ends."""
        end = self.begin + Fraction(str(self.io.duration)) if self.io.duration else None
        kept = 0
        for frame in self._demux():
            self.decoded += 1
            if frame.time_base is None:  # frames drained after an error come untimed
                frame.time_base = self.stream.time_base
            time = frame.pts * frame.time_base if frame.pts is not None else None
            if time is not None and time < self.begin:
                continue
            past_end = end is not None and time is not None and time >= end
            if past_end or (self.io.frames is not None and kept >= self.io.frames):
                self._cut(min(time, end) if end is not None and time is not None else time)
                return
            kept += 1
            if time is not None:
                step = frame.duration * frame.time_base if frame.duration else 0
                self._last_end = time + (step or 1 / (self.stream.average_rate or DEFAULT_RATE))
            yield frame
        self._check_complete()
        if self.side is not None:
            self.side.finish(None)

    def _check_complete(self) -> None:
        """Raise if the video ended well before the length the file declares.

        FFmpeg meets a truncated or garbled Matroska/NUT file as an early end of
        file, with no error; the declared length is what tells.
        """
        declared = declared_end(self.container, self.stream)
        if self._last_end is None or declared is None:
            return
        expected, slack = declared
        if self._last_end < expected - slack - 2 / (self.stream.average_rate or DEFAULT_RATE):
            raise DecodeError(
                f"input '{self.name}' ends early: decoding stopped after frame {self.decoded} "
                f"at {float(self._last_end):.2f} s but the file says it lasts "
                f"{float(expected):.2f} s (truncated or corrupt)",
                frames_done=self.decoded,
            )

    def _cut(self, end: Fraction | None) -> None:
        """The range ended early: read side packets on past ``end``, then close the feed."""
        if self.side is None:
            return
        if end is None:
            return self.side.finish(None)
        try:
            for packet in self.container.demux(self.side.streams):
                self.side.push(packet)
                if packet.pts is not None and packet.pts * packet.time_base > end + SIDE_LOOKAHEAD:
                    break
        except av.FFmpegError:
            pass  # the video is complete; a broken tail only shortens the audio
        self.side.finish(end - self.begin)

    def _no_frames_message(self) -> str:
        if self.io.start:
            return f"--start {self.io.start} is at or past the end of input '{self.name}'"
        return f"input '{self.name}' has a video stream but no frame could be decoded"
