"""vstyle: paint pictures and videos in the style of an image."""

from __future__ import annotations

__version__ = "0.1.0"
