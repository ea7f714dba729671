"""The command line: a thin typed shell over :func:`vstyle.pipeline.run`.

``vstyle IN OUT --style S`` runs the main job (``run`` is the default command);
``vstyle weights``, ``models``, ``flow``, ``metrics``, ``train`` and ``export`` are the
helpers; ``vstyle live`` paints the camera; ``vstyle studio`` serves the local page.
Importing this package registers every command on :data:`app`.
"""

from . import live, run, studio, tools, train  # noqa: F401 - each registers its commands on app
from .app import app, main

__all__ = ["app", "main"]
