"""The looks of a live run, each a :class:`~vstyle.fast.FastStylizer`; n/p switch among them.

A look is a one-style model, or an inverse-net model (any style) with one of the
``--style`` pictures baked in (:mod:`vstyle.arbitrary.stylizer`): so n/p cycle through
the models and, for an inverse net, through the styles. The first look is built
before the first frame; the others are built on a thread meanwhile, so the picture
never waits for one: a switch asked for before its look is ready happens as soon as
it is. Each look keeps its own engine; a switch starts the new look's stylizer
afresh (``--stabilize`` must not blend two looks' strokes).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from ..device import Runtime
from ..engines import Engine
from ..errors import OptionError
from ..fast import FastStylizer
from ..frames import Frame
from ..nets.modelfile import read_info
from ..options import Options


@dataclass(frozen=True)
class Look:
    """One thing n/p can switch to: ``options.fast.model``, and for an inverse net
    the one style in ``options.style.paths``."""

    name: str
    options: Options
    inverse: bool = False


def looks(options: Options) -> list[Look]:
    """Every look of ``options.live.models``, in order: a one-style model is one look,
    an inverse net one look per ``--style`` picture.

    Raises:
        OptionError: an inverse net without ``--style``, or ``--style`` with no
            inverse net to use it.
        ModelError: a model file is missing or not an intact ``.vsm``.
    """
    found: list[Look] = []
    for model in options.live.models:
        one = replace(options, fast=replace(options.fast, model=model, batch=1))
        if read_info(model).kind != "inverse":
            found.append(Look(model.name, one))
            continue
        if not options.style.paths:
            raise OptionError(
                f"model '{model}' is an inverse net for any style: add --style S.jpg "
                "(several --style to switch among with n/p)"
            )
        for style in options.style.paths:
            styled = replace(options.style, paths=(style,), blend=None)
            found.append(Look(f"{model.name} + {style.name}", replace(one, style=styled), True))
    if options.style.paths and not any(look.inverse for look in found):
        raise OptionError(
            f"--style '{options.style.paths[0]}' needs an inverse-net model (any style; "
            "'vstyle train --arbitrary'); the --model given paints one style only: drop --style"
        )
    return found


class Painter:
    """Paints a stream of frames with the current model.

    Args:
        options: ``live.models`` lists the models (and ``style.paths`` the styles of
            an inverse net); ``fast`` and ``temporal.flow`` apply to each.
        runtime: device and precision (already decided by ``prepare_fast``).
        size: (width, height) of every frame.
        engines: engines already built, one per model (tests, benchmarks).
    """

    def __init__(
        self,
        options: Options,
        runtime: Runtime,
        size: tuple[int, int],
        engines: Sequence[Engine] | None = None,
    ) -> None:
        self.options, self.runtime, self.size = options, runtime, size
        self.looks = looks(options) if engines is None else []
        count = len(engines) if engines is not None else len(self.looks)
        self.names = [look.name for look in self.looks] or [f"engine {i}" for i in range(count)]
        self.stylizers: list[FastStylizer | None] = [None] * count
        self.index = self.wanted = 0
        self.error: BaseException | None = None
        self._closing = False
        self.stylizers[0] = self._build(0, engines)
        self._thread = threading.Thread(
            target=self._build_rest, args=(engines,), name="vstyle-models", daemon=True
        )
        self._thread.start()

    @property
    def name(self) -> str:
        """The model now painting."""
        return self.names[self.index]

    def switch(self, step: int) -> None:
        """Ask for the next (+1) or previous (-1) model; it takes over when ready."""
        self.wanted = (self.wanted + step) % len(self.stylizers)

    def paint(self, frames: Iterator[Frame]) -> Iterator[Frame]:
        """Painted frames, one per frame taken from ``frames``, by the current model."""
        ended = False

        def until_switch() -> Iterator[Frame]:
            nonlocal ended
            for frame in frames:
                yield frame
                if self._take_switch():
                    return
            ended = True

        while not ended:
            stylizer = self.stylizers[self.index]
            assert stylizer is not None  # switches happen only to built models
            yield from stylizer(until_switch())

    def close(self) -> None:
        """Wait for a model being built (never leave a build running behind the caller)."""
        self._closing = True
        self._thread.join()

    def _take_switch(self) -> bool:
        if self.error is not None:
            error, self.error = self.error, None
            raise error
        if self.wanted != self.index and self.stylizers[self.wanted] is not None:
            self.index = self.wanted
            return True
        return False

    def _build(self, i: int, engines: Sequence[Engine] | None) -> FastStylizer:
        # One frame per network call: a batch would hold frames back, adding latency.
        fast = replace(self.options.fast, batch=1)
        if engines is not None:
            options = replace(self.options, fast=fast)
            return FastStylizer(options, self.runtime, self.size, engine=engines[i])
        look = self.looks[i]
        if look.inverse:
            from ..arbitrary.stylizer import arbitrary_stylizer

            return arbitrary_stylizer(look.options, self.runtime, self.size)
        return FastStylizer(look.options, self.runtime, self.size)

    def _build_rest(self, engines: Sequence[Engine] | None) -> None:
        try:
            for i in range(1, len(self.stylizers)):
                if self._closing:
                    return
                self.stylizers[i] = self._build(i, engines)
        except BaseException as exc:  # noqa: BLE001 - raised in the painting loop
            self.error = exc
