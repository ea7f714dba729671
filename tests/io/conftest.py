"""Fixtures for the I/O tests; the clip and probe helpers live in ``io_clips.py``."""

from __future__ import annotations

from pathlib import Path

import pytest
from io_clips import make_clip
from typer.testing import CliRunner

from vstyle.cli import app


@pytest.fixture
def vstyle():
    """Run ``vstyle ARGS...`` in-process; returns (exit code, stderr text)."""
    runner = CliRunner()

    def invoke(*args: object, input: bytes | None = None) -> tuple[int, str]:
        result = runner.invoke(app, [str(a) for a in args], input=input)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.stderr

    return invoke


@pytest.fixture(scope="session")
def ffmpeg() -> str:
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    return imageio_ffmpeg.get_ffmpeg_exe()


@pytest.fixture
def clip(tmp_path: Path):
    """``clip(name, **make_clip options)`` -> path of a fresh clip in tmp_path."""

    def factory(name: str = "in.mp4", **options: object) -> Path:
        return make_clip(tmp_path / name, **options)

    return factory
