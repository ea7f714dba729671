"""Append benchmark figures to benchmarks/RESULTS.md with date, device and command."""

from __future__ import annotations

import datetime as dt
import platform
import subprocess
import sys
from pathlib import Path

import torch

RESULTS = Path(__file__).with_name("RESULTS.md")


def device_name(device: torch.device | str = "cpu") -> str:
    """A human description of the device the figures were taken on."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    cores = len(__import__("os").sched_getaffinity(0))
    return f"CPU {platform.processor() or platform.machine()}, {cores} cores"


def commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).parent,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def table(header: list[str], rows: list[list[object]]) -> str:
    """A markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def append(title: str, body: str, device: str, notes: str = "") -> None:
    """Print ``body`` and append it to RESULTS.md under a dated heading."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    command = " ".join(["python", *sys.argv])
    section = (
        f"\n## {title} ({stamp})\n\n- device: {device}\n- command: `{command}`\n"
        f"- commit: {commit()}, torch {torch.__version__}\n"
        + (f"- notes: {notes}\n" if notes else "")
        + f"\n{body}\n"
    )
    print(section)
    if not RESULTS.exists():
        RESULTS.write_text("# Benchmark results\n\nAppended by the scripts in benchmarks/.\n")
    with RESULTS.open("a") as f:
        f.write(section)
