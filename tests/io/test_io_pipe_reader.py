"""Reading pipes so that a signal always stops the run (in-process, fast)."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from vstyle.io.probe import PipeReader
from vstyle.pipeline import signals_interrupt


@pytest.fixture
def pipe():
    read, write = os.pipe()
    yield read, write
    for fd in (read, write):
        try:
            os.close(fd)
        except OSError:
            pass


def test_a_stalled_read_ends_soon_after_stop(pipe):
    read, write = pipe
    stop = threading.Event()
    reader = PipeReader(read, stop)
    os.write(write, b"part of a stream")
    assert reader.read(4) == b"part"
    got: list[bytes] = []
    thread = threading.Thread(target=lambda: got.extend([reader.read(100), reader.read(100)]))
    thread.start()
    time.sleep(0.3)  # the second read now waits for a writer that never writes
    assert thread.is_alive()
    begun = time.monotonic()
    stop.set()
    thread.join(2)
    assert not thread.is_alive() and time.monotonic() - begun < 1
    assert got == [b" of a stream", b""]  # then end-of-file, not an exception


def test_peeked_bytes_never_exceed_the_size_asked(pipe):
    """PyAV copies what read returns into FFmpeg's buffer: more would overflow it."""
    read, write = pipe
    os.write(write, bytes(range(200)))
    os.close(write)
    reader = PipeReader(read, None)
    assert reader.peek(1)[:1] == b"\0"
    chunks = [reader.read(64) for _ in range(5)]
    assert all(len(c) <= 64 for c in chunks)
    assert b"".join(chunks) == bytes(range(200))


def test_a_signal_inside_a_read_becomes_a_stop(pipe):
    read, _ = pipe
    with signals_interrupt() as stop:
        reader = PipeReader(read, stop)
        timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
        timer.start()
        assert reader.read(10) == b""  # the KeyboardInterrupt did not escape
        assert stop.is_set()
        os.kill(os.getpid(), signal.SIGTERM)  # a second signal only warns
        time.sleep(0.1)


def test_stdin_from_a_file_stays_seekable_and_a_pipe_gets_the_reader(tmp_path, monkeypatch, pipe):
    """``vstyle - out < in.mp4`` may seek (an mp4 index at the end); a pipe may stall."""
    import sys

    from vstyle.io.probe import input_file

    path = tmp_path / "in.bin"
    path.write_bytes(b"data")
    with open(path) as stdin:
        monkeypatch.setattr(sys, "stdin", stdin)
        chosen = input_file("-")
        assert chosen is stdin.buffer and chosen.seekable()
    with os.fdopen(os.dup(pipe[0])) as stdin:
        monkeypatch.setattr(sys, "stdin", stdin)
        assert isinstance(input_file("-"), PipeReader)
