"""Ctrl-C and SIGTERM during training: finish the step, checkpoint it, then stop.

An exception raised in the middle of an Adam update could leave some parameters
stepped and others not, and a checkpoint of that would not resume exactly; so the
first signal only sets a flag that the loop reads between steps. A second one
raises at once (nothing is saved then).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def stop_requests() -> Iterator[threading.Event]:
    """An event set by the first SIGINT/SIGTERM while the block runs (main thread only;
    elsewhere signals keep their handlers and the event is never set)."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
