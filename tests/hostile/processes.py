"""Live vstyle processes for signals and pipes, and the streams fed to them."""

from __future__ import annotations

import io
import subprocess
import time
from pathlib import Path

import av
import numpy as np

from .harness import CASES, Case, command, compare, env, snapshot


class Running:
    """A vstyle process started in ``folder`` (for signals and pipes); ``finish`` records it."""

    def __init__(
        self,
        folder: Path,
        args: list[object],
        vgg: Path,
        allowed: tuple[str, ...] = (),
        **popen: object,
    ) -> None:
        self.case = Case(" ".join(str(a) for a in args), [str(a) for a in args], folder)
        self.allowed, self.before = allowed, snapshot(folder)
        self.start = time.perf_counter()
        popen.setdefault("stdin", subprocess.DEVNULL)
        popen.setdefault("stdout", subprocess.DEVNULL)
        self.proc = subprocess.Popen(  # noqa: S603
            command(args), cwd=folder, env=env(vgg), stderr=subprocess.PIPE, **popen
        )

    def wait_for(self, test, timeout: float = 60) -> bool:
        """Poll ``test()`` until true (True) or the process ends or time runs out (False)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            if test():
                return True
            time.sleep(0.05)
        return False

    def finish(self, timeout: float = 30) -> Case:
        """Wait for the end (kill after ``timeout``: recorded as not finished)."""
        try:
            _, err = self.proc.communicate(timeout=timeout)
            self.case.code = self.proc.returncode
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
            err += f"\n(still running after {timeout}s; killed)".encode()
        self.case.stderr = err.decode(errors="replace")
        self.case.seconds = time.perf_counter() - self.start
        compare(self.case, self.before, snapshot(self.case.folder), self.allowed)
        CASES.append(self.case)
        return self.case


def y4m(frames: int, width: int = 32, height: int = 24) -> tuple[bytes, list[bytes]]:
    """A y4m stream as (header, [frame bytes...]): grey frames a little brighter each time."""
    header = f"YUV4MPEG2 W{width} H{height} F25:1 Ip A1:1 C420jpeg\n".encode()
    chroma = bytes([128]) * ((width // 2) * (height // 2) * 2)
    return header, [
        b"FRAME\n" + bytes([(40 + 20 * i) % 256]) * (width * height) + chroma for i in range(frames)
    ]


def nut_stream(frames: int, width: int = 320, height: int = 240) -> bytes:
    """A NUT stream of raw video (what ``ffmpeg -f nut -`` sends down a pipe)."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="nut") as out:
        stream = out.add_stream("rawvideo", rate=25)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(frames):
            rgb = np.full((height, width, 3), (40 + 3 * i) % 256, np.uint8)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return buffer.getvalue()
