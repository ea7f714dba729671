"""``vstyle flow``: estimate and write the flows of a clip, for inspection and reuse.

Frames are read and resized exactly as the main command reads them (same
``open_source``, same processing size), so ``vstyle flow IN DIR`` followed by
``vstyle IN OUT --flow-dir DIR`` with the same size and clip options lines up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import torch

from ..device import resolve_device
from ..errors import InputError
from ..frames import to_tensor
from ..io import open_source
from ..io.image import processing_size, resize
from ..io.threads import prefetch
from ..options import Options
from .estimators import make_flow
from .files import prepare_folder, write_pair
from .memory import FlowWindow, window_offsets

log = logging.getLogger(__name__)


def export_flows(
    options: Options,
    folder: Path,
    overwrite: bool = False,
    on_pair: Callable[[int, int], None] | None = None,
) -> int:
    """Write every consecutive pair's flows (and those at ``--long-term`` offsets).

    Args:
        options: ``input``, ``io`` (clip and decoding), ``size``, ``temporal.flow``,
            ``temporal.long_term`` and ``runtime.device`` are used.
        folder: where the files go (see :mod:`vstyle.flow.files` for the names).
        overwrite: replace flow files already in ``folder``.
        on_pair: called with (earlier, later) 0-based indices after each pair.

    Returns:
        The number of pairs written.

    Raises:
        OutputError: ``folder`` holds flow files and ``overwrite`` is False.
        InputError: the input cannot be read, or has fewer than 2 frames.
    """
    device = resolve_device(options.runtime.device)
    window = FlowWindow(
        make_flow(options.temporal.flow, device), window_offsets(options.temporal.long_term)
    )
    written = 0
    with open_source(str(options.input), options.io) as source:
        prepare_folder(folder, overwrite)  # after the input opened: a bad one deletes nothing
        size = processing_size(source.info.width, source.info.height, options.size)
        frames = prefetch(source.frames())
        try:
            for frame in frames:
                image = to_tensor(resize(frame.rgb, *size))
                with torch.inference_mode():
                    pairs = window(frame.index, image)
                for j, pair in sorted(pairs.items()):
                    write_pair(folder, frame.index - j, frame.index, pair.forward, pair.backward)
                    written += 1
                    if on_pair:
                        on_pair(frame.index - j, frame.index)
        finally:
            frames.close()
    if written == 0:
        raise InputError(f"input '{options.input}' has fewer than 2 frames: no flow to write")
    log.info("wrote %d flow pair(s) to %s", written, folder)
    return written
