"""The work folder of a ``--cluster`` run: every worker writes its chunk there, and a
manifest says which run the chunks belong to, so a rerun of the same command uses
them and another run is refused instead of mixed in."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path

from ..errors import OptionError
from ..options import Options

MANIFEST = "manifest.json"


def work_folder(options: Options) -> Path:
    if options.cluster.work_dir is not None:
        return Path(options.cluster.work_dir).absolute()
    out = Path(str(options.output)).absolute()
    return out.with_name(out.name + ".chunks")


def fingerprint(options: Options) -> str:
    """What the chunks depend on: every option but the output's, and the input file."""
    keep = replace(options, output="", overwrite=False, report=None)
    record = asdict(keep)
    record["cluster"] = {
        k: v for k, v in record["cluster"].items() if k not in ("address", "plan", "retries")
    }
    stat = Path(str(options.input)).stat()
    record["input_file"] = [stat.st_size, stat.st_mtime_ns]
    return json.dumps(record, sort_keys=True, default=str)


def open_folder(folder: Path, options: Options) -> None:
    """Create the work folder, or check that the one there holds chunks of this run."""
    manifest = folder / MANIFEST
    key = fingerprint(options)
    if manifest.is_file():
        if json.loads(manifest.read_text()).get("fingerprint") != key:
            raise OptionError(
                f"work folder '{folder}' holds chunks of another run (other options or "
                "input); remove it or name another with --work-dir"
            )
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        manifest.write_text(json.dumps({"fingerprint": key}))
    except OSError as exc:
        raise OptionError(f"work folder '{folder}' cannot be written ({exc.strerror})") from None
