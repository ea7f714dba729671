"""What one studio server is allowed to do, decided once when it starts."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from ..errors import OptionError

STUDIO_EXTRA = "pip install 'vstyle[studio]'"
DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8765
DEFAULT_MAX_UPLOAD = 2 * 1024**3  # 2 GiB: a few minutes of 4K phone video
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1", "[::1]")


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Settings:
    """One studio server.

    Attributes:
        jobs_dir: every upload, work folder and result lives under here.
        host: the address uvicorn binds; anything but loopback needs ``token``.
        port: its port (also what the loopback Host check accepts).
        token: required on every request when set (header, query or cookie).
        allow: folders whose pictures, videos and models may be picked; nothing else
            on the disk can be listed or read.
        max_upload: bytes one request may carry.
        device: the device every job runs on (``--device``); one worker per server.
    """

    jobs_dir: Path
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    token: str | None = None
    allow: tuple[Path, ...] = ()
    max_upload: int = DEFAULT_MAX_UPLOAD
    device: str = "auto"

    def __post_init__(self) -> None:
        if not is_loopback(self.host) and not self.token:
            raise OptionError(
                f"--host {self.host} lets other machines reach the studio; add --token T "
                "(a long random word every request must carry) or use --host 127.0.0.1"
            )
        if self.token is not None and len(self.token) < 8:
            raise OptionError("--token must be at least 8 characters; use a long random word")
        if not 1 <= self.port <= 65535:
            raise OptionError(f"--port {self.port} must be from 1 to 65535")
        if self.max_upload <= 0:
            raise OptionError(f"max upload {self.max_upload} must be positive")
        roots = []
        for folder in self.allow:
            root = Path(folder).expanduser().resolve()
            if not root.is_dir():
                raise OptionError(f"--allow '{folder}' is not a folder; give an existing folder")
            roots.append(root)
        object.__setattr__(self, "allow", tuple(roots))
        jobs_dir = Path(self.jobs_dir).expanduser().resolve()
        if jobs_dir.exists() and not jobs_dir.is_dir():
            raise OptionError(f"--jobs-dir '{self.jobs_dir}' is a file; give a folder")
        object.__setattr__(self, "jobs_dir", jobs_dir)

    @property
    def hosts(self) -> tuple[str, ...]:
        """Host header names accepted without a token: loopback only (DNS rebinding)."""
        return LOOPBACK_NAMES
