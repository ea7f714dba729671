"""Flow on disk, named as Ruder's ``makeOptFlow.sh`` names it, for ``vstyle flow`` and
``--flow-dir``.

For frames ``i`` (earlier) and ``k`` (later), numbered from 1 as in Ruder's scripts
(frame index 0 is number 1):

* ``forward_i_k.flo``: flow from ``i`` to ``k`` (Middlebury ``.flo``), on ``i``'s grid;
* ``backward_k_i.flo``: flow from ``k`` to ``i``, on ``k``'s grid (it warps ``i`` onto ``k``);
* ``reliable_k_i.png``: reliability c on ``k``'s grid, for warping ``i`` onto ``k``;
* ``reliable_i_k.png``: the same on ``i``'s grid, for warping ``k`` onto ``i``;

the PNGs are 8-bit grey, 255 = reliable (:func:`vstyle.flow.reliability` x 255).
:class:`FlowDir` reads them back (a ``.pgm`` from Ruder's consistencyChecker is read
too); where no reliability picture is present it is computed from the two flows.
"""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import torch

from ..errors import InputError, OutputError
from .consistency import reliability
from .estimators import FlowFn, make_flow
from .flo import read_flo, write_flo

PATTERN = re.compile(r"^(forward|backward|reliable)_(\d+)_(\d+)\.(flo|png|pgm)$")


def names(earlier: int, later: int) -> dict[str, str]:
    """File names for 0-based frame indices ``earlier`` < ``later`` (1-based in the names)."""
    i, k = earlier + 1, later + 1
    return {
        "forward": f"forward_{i}_{k}.flo",
        "backward": f"backward_{k}_{i}.flo",
        "reliable": f"reliable_{k}_{i}.png",
        "reliable_earlier": f"reliable_{i}_{k}.png",
    }


def flow_files(folder: Path) -> list[Path]:
    """The files in ``folder`` named like flow files (none if it does not exist)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if PATTERN.match(p.name))


def to_png(c: torch.Tensor) -> np.ndarray:
    """(1, 1, H, W) or (H, W) reliability in [0, 1] -> (H, W) uint8, 255 = reliable."""
    return (c.reshape(c.shape[-2:]).float().clamp(0, 1) * 255).round().byte().cpu().numpy()


def _flo(flow: torch.Tensor) -> np.ndarray:
    return flow.reshape(2, *flow.shape[-2:]).permute(1, 2, 0).float().cpu().numpy()


def write_pair(
    folder: Path, earlier: int, later: int, forward: torch.Tensor, backward: torch.Tensor
) -> None:
    """Write both flows and both reliability pictures for one pair of frames.

    Args:
        forward: (1, 2, H, W) flow from ``earlier`` to ``later``.
        backward: (1, 2, H, W) flow from ``later`` to ``earlier``.
    """
    n = names(earlier, later)
    write_flo(folder / n["forward"], _flo(forward))
    write_flo(folder / n["backward"], _flo(backward))
    for key, c in (("reliable", reliability(forward, backward)),
                   ("reliable_earlier", reliability(backward, forward))):  # fmt: skip
        if not cv2.imwrite(str(folder / n[key]), to_png(c)):
            raise OutputError(f"cannot write '{folder / n[key]}'")


def prepare_folder(folder: Path, overwrite: bool) -> None:
    """Create ``folder``; refuse one that holds flow files unless ``overwrite`` (then clear them).

    Raises:
        OutputError: flow files present without ``overwrite``, or not a folder.
    """
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"OUTDIR '{folder}' is a file; name a folder")
    existing = flow_files(folder)
    if existing and not overwrite:
        raise OutputError(
            f"OUTDIR '{folder}' already holds {len(existing)} flow file(s) "
            f"(e.g. {existing[0].name}); add --overwrite to replace them, or pick another folder"
        )
    for path in existing:  # stale pairs from a longer clip would pass the count check
        path.unlink()
    folder.mkdir(parents=True, exist_ok=True)


class FlowDir:
    """Precomputed flows in a folder (``--flow-dir``), looked up by frame indices.

    Args:
        folder: where ``vstyle flow`` (or Ruder's ``makeOptFlow.sh``) wrote them.

    Raises:
        InputError: the folder is missing or holds no backward flow.
    """

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise InputError(f"--flow-dir '{self.folder}' is not a folder")
        later = [int(m[2]) for p in flow_files(self.folder)
                 if (m := PATTERN.match(p.name)) and m[1] == "backward"]  # fmt: skip
        if not later:
            raise InputError(
                f"--flow-dir '{self.folder}' holds no backward_K_I.flo files; "
                "make them with 'vstyle flow IN FOLDER'"
            )
        self.frames = max(later)  # the highest frame number with a flow to an earlier one

    def pair(
        self, earlier: int, later: int, size: tuple[int, int]
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Flows and reliability between frames ``earlier`` and ``later`` (0-based).

        Args:
            size: (height, width) the frames are processed at.

        Returns:
            ``(forward, backward, c)``: (1, 2, H, W), (1, 2, H, W), (1, 1, H, W) on the CPU.

        Raises:
            InputError: a file is missing (the folder was made for fewer frames or
                other offsets) or its size differs from the frames'.
        """
        n = names(earlier, later)
        flows = {}
        for key in ("backward", "forward"):
            path = self.folder / n[key]
            if not path.is_file():
                raise InputError(
                    f"--flow-dir '{self.folder}' has no {n[key]} (it holds flows up to frame "
                    f"{self.frames}); remake it with 'vstyle flow' for this clip, with the same "
                    "--start/--frames (and --long-term)"
                )
            flow = read_flo(path)
            if flow.shape[:2] != size:
                raise InputError(
                    f"--flow-dir '{self.folder}': {n[key]} is {flow.shape[1]}x{flow.shape[0]}, "
                    f"frames are processed at {size[1]}x{size[0]}; use the same --max-side or "
                    "--size as 'vstyle flow' did"
                )
            flows[key] = torch.from_numpy(flow.copy()).permute(2, 0, 1)[None]
        forward, backward = flows["forward"], flows["backward"]
        return forward, backward, self._reliability(n["reliable"], forward, backward)

    def _reliability(
        self, name: str, forward: torch.Tensor, backward: torch.Tensor
    ) -> torch.Tensor:
        for path in (self.folder / name, (self.folder / name).with_suffix(".pgm")):
            if path.is_file():
                grey = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
                if grey is None or grey.shape != tuple(backward.shape[-2:]):
                    raise InputError(
                        f"--flow-dir '{self.folder}': '{path.name}' is unreadable or not the "
                        "flows' size; delete it to recompute it from the flows"
                    )
                return torch.from_numpy(grey).float().div(255)[None, None]
        return reliability(forward, backward)

    def __repr__(self) -> str:
        return f"FlowDir({str(self.folder)!r})"


def flow_source(
    name: str, flow_dir: Path | str | None, device: torch.device | str = "cpu"
) -> FlowFn | FlowDir:
    """What a :class:`~vstyle.flow.FlowWindow` gets its flows from: the folder of
    precomputed flows when ``flow_dir`` is given (``--flow-dir``), else the estimator
    ``name`` (``--flow``) on ``device``."""
    return FlowDir(flow_dir) if flow_dir is not None else make_flow(name, device)
