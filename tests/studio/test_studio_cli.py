"""``vstyle studio`` refuses what it must before serving anything."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest.importorskip(
    "fastapi", reason="the studio extra is not installed: pip install 'vstyle[studio]'"
)
pytest.importorskip("multipart", reason="python-multipart (the studio extra) is not installed")


from vstyle.cli import app


def test_another_host_without_a_token_is_a_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["studio", "--host", "0.0.0.0", "--no-browser", "--jobs-dir", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "--token" in result.output and "Traceback" not in result.output


def test_an_allowed_folder_must_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    result = CliRunner().invoke(
        app, ["studio", "--allow", str(missing), "--no-browser", "--jobs-dir", str(tmp_path)]
    )
    assert result.exit_code == 2 and f"--allow '{missing}'" in result.output


def test_the_jobs_folder_must_be_a_folder(tmp_path: Path) -> None:
    afile = tmp_path / "jobs"
    afile.write_text("")
    result = CliRunner().invoke(app, ["studio", "--no-browser", "--jobs-dir", str(afile)])
    assert result.exit_code == 2 and "is a file" in result.output
