"""Fixtures of the hostile suite, and the tally of its cases printed at the end.

A *case* is one vstyle run (a subprocess, or an in-process ``CliRunner`` call in the
fuzz tests). It is *clean* when it ended without a traceback (or death by a signal)
and touched nothing in its folder but the output and its documented partial.
The tally goes to the terminal summary and to pytest's cache (``vstyle/hostile``),
for the README's reliability section.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from . import harness


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The folder a run works in; everything in it is watched."""
    work = tmp_path / "work"
    work.mkdir()
    return work


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    cases = harness.CASES
    if not cases:
        return
    clean = sum(c.clean for c in cases)
    seconds = sum(c.seconds for c in cases)
    line = (
        f"hostile: {len(cases)} cases, {clean} without traceback and without touching "
        f"anything but the output ({seconds:.0f}s in vstyle)"
    )
    terminalreporter.write_sep("-", line)
    for case in cases:
        if not case.clean:
            terminalreporter.write_line(f"  not clean: {case.name!r} exit {case.code}")
    if getattr(config, "cache", None) is not None:
        config.cache.set("vstyle/hostile", {"cases": len(cases), "clean": clean})
