"""Audio and subtitle streams, carried beside the video from the input to the output.

The source's demuxer hands these packets to a :class:`SideFeed` as it meets them; the
sink's :class:`SideMuxer` muxes them in step with the video frames it writes. A
packet is copied as it is when the output container takes its codec; audio that
it does not take is decoded and re-encoded (AAC for mp4/mov, Opus for webm/mkv);
a subtitle it does not take is dropped with a warning.

Trimming is by whole packets: a packet is kept when its midpoint lies inside the
kept time range, so each end is off by at most half an audio frame. A codec with
priming (AAC: the copied stream tells decoders to drop its first 1024 samples) also
gets the packet before the cut, so what is dropped is that pre-roll, not the start.
"""

from __future__ import annotations

import collections
import logging
import threading
from fractions import Fraction

import av

from .formats import AUDIO_TRANSCODE

log = logging.getLogger(__name__)


class SideFeed:
    """Packets of the input's audio/subtitle streams, timed relative to the output's zero.

    Written by the decode thread, read by the encode thread (a deque is thread-safe
    for one producer and one consumer).

    Attributes:
        streams: the input streams whose packets are fed.
        offset: input seconds that become output time zero.
        trim_start: drop packets before the offset (only with ``--start``: without it,
            packets timed before zero are the codec's priming and belong to the stream).
        end: output seconds where side streams stop, once the source knows (None: all).
        finished: set when the source ended normally, so ``end`` is final.
    """

    def __init__(
        self, streams: list[av.stream.Stream], offset: Fraction, trim_start: bool = False
    ) -> None:
        self.streams = streams
        self.offset = offset
        self.trim_start = trim_start
        self.end: Fraction | None = None
        self.finished = threading.Event()
        self._packets: collections.deque[tuple[Fraction, av.Packet]] = collections.deque()
        primed = [s.index for s in streams if s.type == "audio" and s.codec_context.delay]
        self._preroll: dict[int, tuple[Fraction, av.Packet] | None] = dict.fromkeys(primed)

    def push(self, packet: av.Packet) -> None:
        """Queue ``packet`` (timed by its midpoint); drop flush packets (no pts)."""
        if packet.pts is None or packet.time_base is None:
            return
        mid = (packet.pts + Fraction(packet.duration or 0, 2)) * packet.time_base - self.offset
        if mid >= 0 or not self.trim_start:
            preroll = self._preroll.pop(packet.stream.index, None)
            if preroll is not None:
                self._packets.append(preroll)
            self._packets.append((mid, packet))
        elif packet.stream.index in self._preroll:
            self._preroll[packet.stream.index] = (mid, packet)

    def finish(self, end: Fraction | None) -> None:
        """Called by the source when it stops normally: side streams end at ``end``."""
        self.end = end
        self.finished.set()

    def pop_until(self, limit: Fraction | None) -> list[tuple[Fraction, av.Packet]]:
        """Take the packets whose midpoint is before ``limit`` (all when None)."""
        taken = []
        while self._packets and (limit is None or self._packets[0][0] < limit):
            taken.append(self._packets.popleft())
        return taken


class SideMuxer:
    """Adds the fed streams to an output container and muxes their packets."""

    def __init__(self, feed: SideFeed, output: av.container.OutputContainer, fmt: str) -> None:
        self.feed = feed
        self.output = output
        self._routes: dict[int, tuple[av.stream.Stream, av.AudioCodecContext | None]] = {}
        supported = output.supported_codecs
        codec = AUDIO_TRANSCODE.get(fmt, "aac")
        for stream in feed.streams:
            name = stream.codec_context.codec.canonical_name
            if name in supported:
                self._routes[stream.index] = (output.add_stream_from_template(stream), None)
            elif stream.type == "audio" and av.Codec(codec, "w").canonical_name in supported:
                out = output.add_stream(codec, rate=_rate_for(codec, stream))
                out.layout = stream.codec_context.layout
                self._routes[stream.index] = (out, stream.codec_context)
                log.info("audio stream %d: %s re-encoded as %s", stream.index, name, codec)
            else:
                log.warning(
                    "dropping %s stream %d (%s): %s cannot hold it",
                    stream.type,
                    stream.index,
                    name,
                    fmt,
                )

    def mux_until(self, limit: Fraction | None) -> None:
        """Mux the waiting packets timed before ``limit`` output seconds (all when None)."""
        for _, packet in self.feed.pop_until(limit):
            route = self._routes.get(packet.stream.index)
            if route is None:
                continue
            out, decoder = route
            if decoder is not None:
                self._encode(out, decoder.decode(packet))
                continue
            shift = round(self.feed.offset / packet.time_base)
            packet.pts -= shift
            if packet.dts is not None:
                packet.dts -= shift
            packet.stream = out
            self.output.mux(packet)

    def finish(self, end: Fraction | None) -> None:
        """Mux what is left up to ``end`` output seconds (all when None), flush encoders."""
        self.mux_until(end)
        self.feed.pop_until(None)  # what lies past the end is dropped
        for out, decoder in self._routes.values():
            if decoder is not None:
                self._encode(out, decoder.decode(None))
                self.output.mux(out.encode(None))

    def _encode(self, out: av.AudioStream, frames: list[av.AudioFrame]) -> None:
        for frame in frames:
            if frame.pts is not None and frame.time_base is not None:
                shifted = frame.pts * frame.time_base - self.feed.offset
                frame.pts = round(shifted / frame.time_base)
            self.output.mux(out.encode(frame))


def _rate_for(codec: str, stream: av.stream.Stream) -> int:
    """Opus only takes 48 kHz (and a few lower rates); others keep the input rate."""
    rate = stream.codec_context.sample_rate or 48000
    if codec == "libopus" and rate not in (8000, 12000, 16000, 24000, 48000):
        return 48000
    return rate
