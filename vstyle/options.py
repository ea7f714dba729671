"""One frozen options object, built once by the CLI (or the Python API) and
passed whole to the core. Tests derive variants with ``dataclasses.replace``.

Each part validates itself in ``__post_init__`` so a bad value fails early
with a message naming the option.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from .errors import OptionError, check_choice

LOSS_KINDS = ("mse", "l1", "smooth_l1", "huber")
OPTIMIZERS = ("lbfgs", "adam", "sgd", "adagrad", "rmsprop")
INITS = ("content", "random", "style", "prev-warped")
PRECISIONS = ("fp32", "bf16", "fp16")
METHODS = ("optimize", "copy")
FLOWS = ("dis", "deepflow", "farneback")
DEFAULT_STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
DEFAULT_CONTENT_LAYERS = ("relu4_2",)


def _positive(name: str, value: float | int | None, allow_zero: bool = False) -> None:
    if value is None:
        return
    if value != value or value < 0 or (value == 0 and not allow_zero):  # NaN too
        rule = "at least 0" if allow_zero else "greater than 0"
        raise OptionError(f"{name} {value} must be {rule}")


@dataclass(frozen=True)
class LossOptions:
    """Weights and layers of the Gatys losses (normalized, see ``losses``)."""

    content_weight: float = 1.0
    style_weight: float = 5.0
    tv_weight: float = 1.0
    content_layers: tuple[str, ...] = DEFAULT_CONTENT_LAYERS
    style_layers: tuple[str, ...] = DEFAULT_STYLE_LAYERS
    style_layer_weights: tuple[float, ...] | None = None
    kind: str = "mse"

    def __post_init__(self) -> None:
        check_choice("--loss", self.kind, LOSS_KINDS)
        for name in ("content_weight", "style_weight", "tv_weight"):
            _positive(f"--{name.replace('_', '-')}", getattr(self, name), allow_zero=True)
        if self.style_layer_weights is not None and len(self.style_layer_weights) != len(
            self.style_layers
        ):
            raise OptionError(
                f"--style-layer-weights has {len(self.style_layer_weights)} values "
                f"for {len(self.style_layers)} style layers"
            )


@dataclass(frozen=True)
class OptimOptions:
    """How each frame's image is optimized."""

    optimizer: str = "lbfgs"
    iters: int = 300
    lr: float | None = None  # None: a per-optimizer default
    init: str = "content"
    seed: int = 0
    scales: int = 1
    tolerance: float = 1e-4  # relative loss change ...
    patience: int = 50  # ... over this many iterations stops early

    def __post_init__(self) -> None:
        check_choice("--optimizer", self.optimizer, OPTIMIZERS)
        check_choice("--init", self.init, INITS)
        _positive("--iters", self.iters, allow_zero=True)
        _positive("--lr", self.lr)
        _positive("--scales", self.scales)
        _positive("--patience", self.patience)
        _positive("--tolerance", self.tolerance, allow_zero=True)


@dataclass(frozen=True)
class StyleOptions:
    """Which style pictures, how they blend and at what scale."""

    paths: tuple[Path, ...] = ()
    blend: tuple[float, ...] | None = None
    scale: float = 1.0
    preserve_color: bool = False

    def __post_init__(self) -> None:
        _positive("--style-scale", self.scale)
        if self.blend is not None:
            if len(self.blend) != len(self.paths):
                raise OptionError(
                    f"--style-blend has {len(self.blend)} weights for {len(self.paths)} styles"
                )
            if any(w < 0 for w in self.blend) or sum(self.blend) <= 0:
                raise OptionError(
                    f"--style-blend {','.join(map(str, self.blend))} must be non-negative "
                    "with a positive sum"
                )

    @property
    def weights(self) -> tuple[float, ...]:
        """Blend weights normalized to sum to 1 (equal when not given)."""
        raw = self.blend or tuple(1.0 for _ in self.paths)
        total = sum(raw)
        return tuple(w / total for w in raw)


@dataclass(frozen=True)
class SizeOptions:
    """Processing size: ``max_side`` bounds the long side, ``size`` forces WxH."""

    max_side: int | None = None
    size: tuple[int, int] | None = None
    output_size: str = "processing"  # or "source": scale the result back

    def __post_init__(self) -> None:
        _positive("--max-side", self.max_side)
        if self.size is not None:
            if len(self.size) != 2 or min(self.size) <= 0:
                raise OptionError(f"--size {self.size} must be two positive numbers WxH")
        if self.max_side is not None and self.size is not None:
            raise OptionError("--max-side and --size cannot be used together; pick one")
        check_choice("--output-size", self.output_size, ("processing", "source"))


@dataclass(frozen=True)
class RuntimeOptions:
    """Device, precision and where the VGG weights come from."""

    device: str = "auto"
    precision: str = "fp32"
    vgg_weights: Path | None = None

    def __post_init__(self) -> None:
        check_choice("--precision", self.precision, PRECISIONS)


@dataclass(frozen=True)
class IOOptions:
    """Decoding and encoding of videos (see ``vstyle.io``)."""

    input_format: str | None = None
    input_size: tuple[int, int] | None = None
    input_rate: Fraction | None = None
    input_pix_fmt: str | None = None
    output_format: str | None = None
    codec: str | None = None
    crf: int | None = 18
    preset: str | None = None
    pix_fmt: str | None = None
    bitrate: str | None = None
    audio: bool = True
    start: float | None = None
    duration: float | None = None
    frames: int | None = None

    def __post_init__(self) -> None:
        _positive("--start", self.start, allow_zero=True)
        _positive("--duration", self.duration)
        _positive("--frames", self.frames)
        _positive("--input-rate", self.input_rate)
        if self.crf is not None and not 0 <= self.crf <= 63:
            raise OptionError(f"--crf {self.crf} must be between 0 and 63")


@dataclass(frozen=True)
class TemporalOptions:
    """Temporal coherence for video by optimization (Ruder et al.)."""

    enabled: bool = True
    flow: str = "dis"
    weight: float = 1e2
    long_term: tuple[int, ...] = ()
    passes: int = 1
    blend: float = 0.5
    first_iters: int | None = None  # None: twice OptimOptions.iters
    pass_iters: int = 100  # per frame in passes 2..N, no early stop (Ruder's multi-pass)
    work_dir: Path | None = None
    restart: bool = False

    def __post_init__(self) -> None:
        check_choice("--flow", self.flow, FLOWS)
        _positive("--temporal-weight", self.weight, allow_zero=True)
        _positive("--passes", self.passes)
        _positive("--first-iters", self.first_iters, allow_zero=True)
        _positive("--pass-iters", self.pass_iters, allow_zero=True)
        if any(j < 1 for j in self.long_term):
            raise OptionError(f"--long-term {self.long_term} must be frame offsets of 1 or more")
        if not 0 <= self.blend <= 1:
            raise OptionError(f"--blend {self.blend} must be between 0 and 1")
        self._check_combination()

    def _check_combination(self) -> None:
        """Refuse options that would do nothing (and cost flow) in this combination."""
        offsets = ",".join(map(str, self.long_term))
        if not self.enabled:
            used = [
                name
                for name, on in (
                    (f"--passes {self.passes}", self.passes > 1),
                    (f"--long-term {offsets}", bool(self.long_term)),
                    (f"--first-iters {self.first_iters}", self.first_iters is not None),
                    (f"--work-dir {self.work_dir}", self.work_dir is not None),
                )
                if on
            ]
            if used:
                raise OptionError(
                    f"{used[0]} needs temporal coherence, which --no-temporal turns off; "
                    f"drop {used[0].split()[0]} or --no-temporal"
                )
        if set(self.long_term) - {1} and self.weight == 0:
            raise OptionError(
                f"--long-term {offsets} feeds only the temporal loss, which "
                "--temporal-weight 0 turns off; drop --long-term or raise the weight"
            )
        if set(self.long_term) - {1} and self.passes > 1:
            raise OptionError(
                f"--long-term {offsets} works with --passes 1 only: later passes tie each "
                f"frame to its two neighbours; drop --long-term or use --passes 1"
            )


def check_for_input(options: Options, frame_count: int | None) -> None:
    """Refuse video-only options on a single picture (the input's frame count is known).

    Raises:
        OptionError: ``--passes`` > 1, ``--long-term``, ``--first-iters`` or ``--work-dir``
            on one picture.
    """
    if frame_count != 1 or options.method != "optimize" or not options.temporal.enabled:
        return
    t = options.temporal
    for name, used in (
        (f"--passes {t.passes}", t.passes > 1),
        (f"--long-term {','.join(map(str, t.long_term))}", bool(t.long_term)),
        (f"--first-iters {t.first_iters}", t.first_iters is not None),
        (f"--work-dir {t.work_dir}", t.work_dir is not None),
    ):
        if used:
            raise OptionError(
                f"{name} applies to videos, and input '{options.input}' is a single "
                f"picture; drop {name.split()[0]} (use --iters for its iterations)"
            )


@dataclass(frozen=True)
class Options:
    """Everything one run needs. Built once; never mutated."""

    input: Path | str = ""
    output: Path | str = ""
    method: str = "optimize"
    style: StyleOptions = field(default_factory=StyleOptions)
    loss: LossOptions = field(default_factory=LossOptions)
    optim: OptimOptions = field(default_factory=OptimOptions)
    size: SizeOptions = field(default_factory=SizeOptions)
    runtime: RuntimeOptions = field(default_factory=RuntimeOptions)
    io: IOOptions = field(default_factory=IOOptions)
    temporal: TemporalOptions = field(default_factory=TemporalOptions)
    overwrite: bool = False
    report: Path | None = None

    def __post_init__(self) -> None:
        check_choice("--method", self.method, METHODS)
