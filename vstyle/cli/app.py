"""The typer application, its error handling and the parsing helpers every command shares.

``vstyle IN OUT --style S`` runs the main job (``run`` is the default command); the
commands live beside this module (:mod:`.run`, :mod:`.tools`, :mod:`.train`). No tensor
code here: options are parsed into one :class:`~vstyle.options.Options` and handed over.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

from ..errors import OptionError, VstyleError


class _DefaultGroup(TyperGroup):
    """Routes ``vstyle IN OUT ...`` to the ``run`` command and prints errors as one line."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["run", *args]
        return super().parse_args(ctx, args)

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        given = kwargs.get("args", args[0] if args else None)
        argv = list(sys.argv[1:] if given is None else given)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except VstyleError as exc:
            if exc.exit_code == 130:
                _ignore_signals()
            typer.echo(f"vstyle: error: {exc}", err=True)
            code = exc.exit_code
        except typer.Abort:
            _ignore_signals()
            typer.echo("vstyle: interrupted", err=True)
            code = 130
        except typer.TyperException as exc:  # usage errors: bad option names or types
            message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
            if type(exc).__name__ == "NoArgsIsHelpError":  # bare `vstyle`: the help itself
                typer.echo(message, err=True)
            else:
                typer.echo(f"vstyle: error: {message}{self._file_hint(argv)}", err=True)
            code = getattr(exc, "exit_code", 2)
        except Exception as exc:  # an allocation that failed outside the pipeline's guard
            from ..device import is_out_of_memory, out_of_memory_error  # torch: imported late

            if not is_out_of_memory(exc):
                raise
            error = out_of_memory_error(exc)
            typer.echo(f"vstyle: error: {error}", err=True)
            code = error.exit_code
        if not standalone_mode:
            return code
        if code == 130:
            # The interruption is handled and saved. CPython can still end the process by
            # SIGINT at exit when the KeyboardInterrupt passed through certain C calls on
            # its way (seen under load as exit -2); leave now with the documented code.
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):  # a closed pipe has nothing to lose
                    stream.flush()
            os._exit(130)
        sys.exit(code or 0)

    def _file_hint(self, argv: list[str]) -> str:
        """When IN is a file named like a subcommand (``weights``), say how to stylize it."""
        if len(argv) > 1 and argv[0] in self.commands and Path(argv[0]).exists():
            name = argv[0]
            return (
                f" ('{name}' is the {name} subcommand; to stylize the file '{name}' write "
                f"'vstyle run {name} {argv[1]} ...' or 'vstyle ./{name} {argv[1]} ...')"
            )
        return ""


def _ignore_signals() -> None:
    """After an interruption was saved, a second Ctrl-C must not kill the exit with 130."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)


def _hold_closed_streams() -> None:
    """Put /dev/null on a closed stdin or stdout (``<&-``, ``>&-``).

    Python leaves ``sys.stdin``/``sys.stdout`` as None (the io code refuses ``-``
    then), but the descriptor is free: the next file opened, perhaps the output
    video, would get it, and anything writing to descriptor 1 would land in it.
    """
    for fd, stream in ((0, sys.stdin), (1, sys.stdout)):
        if stream is None:
            try:
                os.fstat(fd)
            except OSError:
                held = os.open(os.devnull, os.O_RDWR)
                if held != fd:  # fd 0 was taken meanwhile: nothing to hold
                    os.close(held)


app = typer.Typer(
    cls=_DefaultGroup,
    help="Paint pictures and videos in the style of an image: vstyle IN OUT --style S",
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


def _floats(name: str, text: str | None) -> tuple[float, ...] | None:
    if text is None:
        return None
    try:
        return tuple(float(v) for v in text.split(","))
    except ValueError:
        raise OptionError(f"{name} '{text}' must be comma-separated numbers") from None


def _ints(name: str, text: str | None) -> tuple[int, ...]:
    if not text:
        return ()
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError:
        raise OptionError(f"{name} '{text}' must be comma-separated whole numbers") from None


def _size(name: str, text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    parts = text.lower().split("x")
    try:
        w, h = (int(p) for p in parts)
    except ValueError:
        raise OptionError(f"{name} '{text}' must look like WIDTHxHEIGHT, e.g. 640x360") from None
    if w <= 0 or h <= 0:
        raise OptionError(f"{name} '{text}' must have a positive width and height")
    return w, h


def _rate(text: str | None) -> Fraction | None:
    if text is None:
        return None
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise OptionError(
            f"--input-rate '{text}' must be a number or fraction like 30000/1001"
        ) from None


P = Path
Opt = typer.Option


def _one_of(choices: tuple[str, ...]) -> str:
    return f"{', '.join(choices)} (any case)."


def main() -> None:
    """Console-script entry point."""
    _hold_closed_streams()
    logging.basicConfig(level=logging.WARNING, format="vstyle: %(message)s")
    app()
