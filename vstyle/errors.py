"""Every error vstyle raises on purpose.

Each class is also the matching builtin, so callers may catch either
(``except ValueError`` still works). The CLI catches :class:`VstyleError` once,
prints its message as one line and exits with :attr:`VstyleError.exit_code`.
A message names the argument, the value, the rule and, where there is one, a fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class VstyleError(Exception):
    """Base of all vstyle errors."""

    exit_code = 2


class OptionError(VstyleError, ValueError):
    """An option has a value outside its rule (negative iterations, bad size, ...)."""


class InputError(VstyleError, ValueError):
    """An input (content, style, video, weights file) is missing, unreadable or unusable."""


class DecodeError(InputError):
    """The input broke part-way through decoding; ``frames_done`` were written."""

    exit_code = 3

    def __init__(self, message: str, frames_done: int = 0) -> None:
        super().__init__(message)
        self.frames_done = frames_done


class OutputError(VstyleError, OSError):
    """The output cannot be written (exists, is the input, bad folder or extension)."""


class WeightsError(VstyleError):
    """Network weights cannot be used; catch this for both kinds below."""


class MissingWeightsError(WeightsError, FileNotFoundError):
    """No weights file: the one named does not exist, or none is cached and none downloads."""


class InvalidWeightsError(WeightsError, ValueError):
    """A weights file exists but is corrupt or holds another network."""


class ModelError(InputError):
    """A model file (``.vsm``, or a foreign one being imported) is missing, corrupt or unusable."""


class DeviceError(VstyleError, RuntimeError):
    """The requested device or precision is not available."""


class OutOfMemoryError(VstyleError, MemoryError):
    """The device ran out of memory."""

    exit_code = 4


class ClusterError(VstyleError, RuntimeError):
    """A ``--cluster`` run cannot reach Ray, or a chunk failed after its retries."""


class Interrupted(VstyleError, RuntimeError):
    """The run was stopped by SIGINT or SIGTERM after saving what was done."""

    exit_code = 130


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest choice (case ignored), or ``""``."""
    folded = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(str(value).lower(), list(folded), n=1)
    return f" (did you mean '{folded[close[0]]}'?)" if close else ""


def check_choice(name: str, value: str, choices: Iterable[str]) -> str:
    """The choice ``value`` names, matched without case (``LBFGS`` is ``lbfgs``).

    Returns:
        The spelling in ``choices``.

    Raises:
        OptionError: ``value`` is none of them; the message suggests the closest.
    """
    choices = list(choices)
    folded = {c.lower(): c for c in choices}
    key = str(value).strip().lower()
    if key not in folded:
        raise OptionError(
            f"{name} '{value}' is not one of {', '.join(choices)}{did_you_mean(value, choices)}"
        )
    return folded[key]
