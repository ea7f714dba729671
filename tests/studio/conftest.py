"""Studio fixtures: a tiny clip and style made in code, and a client on a fresh app.

Each test module skips, saying why, without the studio extra (FastAPI is imported late).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.io.io_clips import make_clip
from vstyle.studio import Settings, create_app

BASE = "http://127.0.0.1:8765"
HEADERS = {"X-Vstyle": "1"}


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return make_clip(tmp_path / "clip.mp4", frames=8, size=(64, 48))


@pytest.fixture
def style(write_png, style_rgb) -> Path:
    return write_png("style.png", style_rgb)


@pytest.fixture
def jobs_dir(tmp_path: Path) -> Path:
    return tmp_path / "jobs"


@pytest.fixture
def client_for(jobs_dir: Path):
    """``client_for(**settings)``: a started app (lifespan run) on ``jobs_dir``."""
    opened = []

    from fastapi.testclient import TestClient

    def make(**kwargs):
        kwargs.setdefault("jobs_dir", jobs_dir)
        client = TestClient(create_app(Settings(**kwargs)), base_url=BASE, headers=HEADERS)
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


def upload(client, spec: str, **paths: Path):
    """POST a job with the given files (input=, style=, model=)."""
    files = {name: (path.name, path.read_bytes()) for name, path in paths.items()}
    return client.post("/api/jobs", data={"spec": spec}, files=files)


def wait_for(client, job_id: str, done: Callable[[dict], bool], seconds: float = 90):
    """Poll the job until ``done(status)``; fail with the last status after ``seconds``."""
    end = time.monotonic() + seconds
    while True:
        status = client.get(f"/api/jobs/{job_id}").json()
        if done(status):
            return status
        assert time.monotonic() < end, status
        time.sleep(0.05)
