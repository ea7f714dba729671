"""What ``vstyle models`` does: import foreign weights as a ``.vsm``, and describe one.

The file format itself lives in :mod:`vstyle.nets.modelfile`; this module adds the
style picture's fields (hash and thumbnail) and the readable description.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from .errors import ModelError, OptionError, did_you_mean
from .io.image import encode_image, read_image, resize
from .nets.layouts import build_net, check_state
from .nets.lengstrom import read_lengstrom
from .nets.modelfile import ModelInfo, read_info, save_model

THUMBNAIL_SIDE = 64
IMPORTERS = {"lengstrom": read_lengstrom}  # layout -> reader of that layout's own files


def style_fields(picture: Path) -> dict[str, str]:
    """``style_name``, ``style_sha256`` and ``style_thumbnail`` (64 px PNG, base64) of a picture.

    Raises:
        InputError: the picture is missing or unreadable.
    """
    rgb = read_image(picture, "--style")
    h, w = rgb.shape[:2]
    scale = THUMBNAIL_SIDE / max(h, w)
    if scale < 1:
        rgb = resize(rgb, max(1, round(w * scale)), max(1, round(h * scale)))
    return {
        "style_name": picture.name,
        "style_sha256": hashlib.sha256(picture.read_bytes()).hexdigest(),
        "style_thumbnail": base64.b64encode(encode_image(rgb, ".png")).decode("ascii"),
    }


def import_model(
    file: Path, layout: str, output: Path, style: Path | None = None, overwrite: bool = False
) -> ModelInfo:
    """Convert a foreign weights file of ``layout`` into the ``.vsm`` ``output``.

    Raises:
        OptionError: unknown layout.
        ModelError: ``file`` is not that layout's weights.
        OutputError: ``output`` exists (without ``overwrite``) or cannot be written.
    """
    if layout not in IMPORTERS:
        raise OptionError(
            f"--layout '{layout}' cannot be imported; known: {', '.join(IMPORTERS)}"
            f"{did_you_mean(layout, IMPORTERS)}"
        )
    if not file.is_file():
        raise ModelError(f"model '{file}' does not exist")
    fields = style_fields(style) if style is not None else {}  # before the slow part
    state = IMPORTERS[layout](file)
    check_state(state, layout, 1.0, str(file))
    net = build_net(layout)
    net.load_state_dict(state)
    origin = {
        "imported": {
            "file": file.name,
            "sha256": hashlib.sha256(file.read_bytes()).hexdigest(),
            "layout": layout,
        }
    }
    save_model(output, net, ModelInfo(layout=layout, origin=origin, **fields), overwrite)
    return read_info(output)


def describe(info: ModelInfo, parameters: int | None = None) -> list[str]:
    """``info`` as readable lines, one field each (the thumbnail by its size only)."""
    lines = [
        f"layout          {info.layout}",
        f"width           {info.width:g}",
    ]
    if parameters is not None:
        lines.append(f"parameters      {parameters:,}")
    if info.style_name or info.style_sha256:
        lines.append(f"style           {info.style_name or '?'}")
        lines.append(f"style sha256    {info.style_sha256 or '?'}")
    else:
        lines.append("style           (not recorded)")
    if info.style_thumbnail:
        lines.append(f"thumbnail       {_png_size(info.style_thumbnail)} PNG")
    for kind, details in info.origin.items():
        items = details.items() if isinstance(details, dict) else [("", details)]
        for key, value in items:
            lines.append(f"{(kind + ' ' + key).strip():<15} {value}")
    lines += [
        f"weights sha256  {info.weights_sha256}",
        f"created         {info.created}",
        f"vstyle          {info.vstyle_version}",
        f"format          {info.format} {info.format_version}",
    ]
    return lines


def _png_size(b64: str) -> str:
    try:
        png = base64.b64decode(b64)
        w, h = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        return f"{w}x{h}" if png[:8] == b"\x89PNG\r\n\x1a\n" else "unreadable"
    except ValueError:
        return "unreadable"
