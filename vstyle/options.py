"""One frozen options object, built once by the CLI (or the Python API) and
passed whole to the core. Tests derive variants with ``dataclasses.replace``.

Each part validates itself in ``__post_init__`` so a bad value fails early
with a message naming the option.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path

from .errors import OptionError, check_choice, did_you_mean

# Every choice the CLI offers is read from these tuples (help texts too); matching
# ignores case, and the options hold the spelling given here.
LOSS_KINDS = ("mse", "l1", "smooth_l1", "huber")
OPTIMIZERS = ("lbfgs", "adam", "sgd", "adagrad", "rmsprop")
INITS = ("content", "random", "style", "prev-warped")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
# auto: fast when --model is given, optimize otherwise (see resolve_method); optimize
# with --model starts from the model's output (vstyle.optimize.hybrid); swap: Chen &
# Schmidt's style swap, by optimization, or in one pass with an inverse-network --model
METHODS = ("auto", "optimize", "fast", "copy", "swap")
# auto: tensorrt when importable on CUDA, else compile on CUDA, else onnx on the CPU
# when onnxruntime is installed, else eager (see vstyle.engines.choose)
ENGINES = ("auto", "eager", "compile", "onnx", "tensorrt")
EXPORT_FORMATS = ("onnx", "tensorrt")
MAX_BATCH = 256  # frames per network call; beyond this memory, not speed, grows
FLOWS = ("auto", "dis", "deepflow", "farneback", "raft", "raft-small")
OUTPUT_SIZES = ("processing", "source")
DEVICES = ("auto", "cpu", "cuda", "cuda:N", "mps")
# Plain demuxer names only: a protocol or a demuxer that opens other files (http,
# file:, concat, hls, lavfi, image2) must never be reachable through --input-format.
INPUT_FORMATS = ("y4m", "yuv4mpegpipe", "nut", "matroska", "mkv", "webm", "mpegts", "ts",
                 "rawvideo", "mov", "mp4", "avi", "flv", "h264", "hevc", "mjpeg", "ivf",
                 "ogg", "mxf", "gif", "dv")  # fmt: skip
DEFAULT_STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
DEFAULT_CONTENT_LAYERS = ("relu4_2",)
DEFAULT_PASS_ITERS = 100  # Ruder's multi-pass: 100 iterations a frame in each later pass
DEFAULT_PASS_BLEND = 0.5  # Ruder's delta
MAX_ITERS = 100_000  # per frame; beyond this a run would take days per frame
MAX_SIDE = 16384  # --size/--max-side: H.264/HEVC levels and VGG memory end well before
MAX_SECONDS = 10**9  # --start/--duration: past any real video's length (31 years)
MAX_SEED = 2**64 - 1  # what torch.manual_seed accepts
# What the I/O options left None come to (vstyle.io applies them; the CLI's help names them).
STDOUT_FORMATS = ("nut", "y4m", "matroska", "rawvideo")  # --output-format for '-'; first: default
DEFAULT_CODEC = "libx264"  # --codec for containers without one of their own (below)
CONTAINER_CODECS = {
    "webm": "libvpx-vp9",
    "gif": "gif",
    "nut": "rawvideo",  # lossless and cheap: what pipes between programs want
    "rawvideo": "rawvideo",
    "yuv4mpegpipe": "wrapped_avframe",
}
DEFAULT_PIX_FMT = "yuv420p"  # --pix-fmt where the encoder takes it; --input-pix-fmt (rawvideo)
DEFAULT_RATE = Fraction(25)  # frames per second where neither the input nor --input-rate says


def _positive(name: str, value: float | int | None, allow_zero: bool = False) -> None:
    if value is None:
        return
    if not math.isfinite(value):  # inf and NaN pass every comparison below
        raise OptionError(f"{name} {value} must be a finite number")
    if value < 0 or (value == 0 and not allow_zero):
        rule = "at least 0" if allow_zero else "greater than 0"
        raise OptionError(f"{name} {value} must be {rule}")


def _at_most(name: str, value: float | None, limit: int) -> None:
    if value is not None and value > limit:
        raise OptionError(f"{name} {value} is more than the maximum {limit}; use {limit} or less")


_SIZE_UNITS = {
    "": 1, "b": 1, "k": 1000, "kb": 1000, "m": 1000**2, "mb": 1000**2, "g": 1000**3,
    "gb": 1000**3, "t": 1000**4, "tb": 1000**4, "kib": 1024, "mib": 1024**2,
    "gib": 1024**3, "tib": 1024**4,
}  # fmt: skip


def parse_memory(flag: str, text: str | None) -> int | None:
    """Bytes from a size such as ``8GiB``, ``512MiB``, ``1.5GB`` or ``1000000`` (bytes).

    Raises:
        OptionError: the text is not a positive number with a known unit.
    """
    if text is None:
        return None
    found = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*", text)
    unit = found.group(2).lower() if found else ""
    if found is None or unit not in _SIZE_UNITS or float(found.group(1)) <= 0:
        raise OptionError(
            f"{flag} '{text}' is not a size; give a positive number with a unit, "
            "e.g. 8GiB, 512MiB or 2GB"
        )
    return int(float(found.group(1)) * _SIZE_UNITS[unit])


def _weights(name: str, values: Sequence[float] | None) -> None:
    """Weights must be finite and non-negative with a positive sum."""
    if values is None:
        return
    if not all(math.isfinite(w) and w >= 0 for w in values) or sum(values) <= 0:
        raise OptionError(
            f"{name} {','.join(map(str, values))} must be finite, non-negative numbers "
            "with a positive sum"
        )


def _choose(part: object, attr: str, flag: str, choices: Sequence[str]) -> None:
    """Check a choice, matched without case, and store its canonical spelling."""
    value = getattr(part, attr)
    if value is not None:
        object.__setattr__(part, attr, check_choice(flag, value, choices))


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
        _choose(self, "kind", "--loss", LOSS_KINDS)
        for name in ("content_layers", "style_layers"):  # VGG names are lower case
            object.__setattr__(self, name, tuple(t.strip().lower() for t in getattr(self, name)))
        for name in ("content_weight", "style_weight", "tv_weight"):
            _positive(f"--{name.replace('_', '-')}", getattr(self, name), allow_zero=True)
        _weights("--style-layer-weights", self.style_layer_weights)
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
    init: str | None = None  # None: decided per run by resolve_init
    seed: int = 0
    scales: int = 1
    tolerance: float = 1e-4  # relative loss change ...
    patience: int = 50  # ... over this many iterations stops early

    def __post_init__(self) -> None:
        _choose(self, "optimizer", "--optimizer", OPTIMIZERS)
        _choose(self, "init", "--init", INITS)
        _positive("--iters", self.iters, allow_zero=True)
        _at_most("--iters", self.iters, MAX_ITERS)
        if not 0 <= self.seed <= MAX_SEED:
            raise OptionError(f"--seed {self.seed} must be a whole number from 0 to {MAX_SEED}")
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
        _weights("--style-blend", self.blend)
        if self.blend is not None and len(self.blend) != len(self.paths):
            raise OptionError(
                f"--style-blend has {len(self.blend)} weights for {len(self.paths)} styles"
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
    output_size: str = OUTPUT_SIZES[0]  # or "source": scale the result back

    def __post_init__(self) -> None:
        _positive("--max-side", self.max_side)
        _at_most("--max-side", self.max_side, MAX_SIDE)
        if self.size is not None:
            if len(self.size) != 2 or min(self.size) <= 0:
                raise OptionError(f"--size {self.size} must be two positive numbers WxH")
            if max(self.size) > MAX_SIDE:
                raise OptionError(
                    "--size {}x{} has a side over {}: no encoder or network takes it; use "
                    "--size or --max-side of at most {}".format(*self.size, MAX_SIDE, MAX_SIDE)
                )
        if self.max_side is not None and self.size is not None:
            raise OptionError("--max-side and --size cannot be used together; pick one")
        _choose(self, "output_size", "--output-size", OUTPUT_SIZES)


@dataclass(frozen=True)
class RuntimeOptions:
    """Device, precision and where the VGG weights come from."""

    device: str = "auto"
    precision: str = "auto"  # bf16 on CPUs with native bf16, else fp32 (device.auto_precision)
    vgg_weights: Path | None = None

    def __post_init__(self) -> None:
        _choose(self, "precision", "--precision", PRECISIONS)


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
        if self.input_format is not None:
            name = self.input_format.strip().lower()
            if name not in INPUT_FORMATS:
                raise OptionError(
                    f"--input-format '{self.input_format}' is not a container FFmpeg knows as a "
                    f"plain demuxer (protocols and file-opening demuxers are refused); use one "
                    f"of {', '.join(INPUT_FORMATS)}{did_you_mean(name, INPUT_FORMATS)}"
                )
            object.__setattr__(self, "input_format", name)
        if self.output_format is not None:  # checked against FFmpeg's muxers by io.formats
            object.__setattr__(self, "output_format", self.output_format.strip().lower())
        _positive("--start", self.start, allow_zero=True)
        _positive("--duration", self.duration)
        _at_most("--start", self.start, MAX_SECONDS)
        _at_most("--duration", self.duration, MAX_SECONDS)
        _positive("--frames", self.frames)
        _positive("--input-rate", self.input_rate)
        if self.crf is not None and not 0 <= self.crf <= 63:
            raise OptionError(f"--crf {self.crf} must be between 0 and 63")


@dataclass(frozen=True)
class TemporalOptions:
    """Temporal coherence for video by optimization (Ruder et al.)."""

    enabled: bool = True
    flow: str = "auto"  # RAFT on CUDA, DIS elsewhere (see vstyle.flow.estimators)
    flow_dir: Path | None = None  # precomputed flows (``vstyle flow``) instead of ``flow``
    weight: float = 1e2
    long_term: tuple[int, ...] = ()
    passes: int = 1
    blend: float | None = None  # None: DEFAULT_PASS_BLEND with --passes > 1
    first_iters: int | None = None  # None: twice OptimOptions.iters
    # per frame in passes 2..N, no early stop (Ruder's multi-pass); None: DEFAULT_PASS_ITERS
    pass_iters: int | None = None
    work_dir: Path | None = None
    restart: bool = False

    def __post_init__(self) -> None:
        _choose(self, "flow", "--flow", FLOWS)
        if self.flow_dir is not None and not self.enabled:
            raise OptionError(
                f"--flow-dir '{self.flow_dir}' has no effect with --no-temporal; drop one of them"
            )
        _positive("--temporal-weight", self.weight, allow_zero=True)
        _positive("--passes", self.passes)
        _positive("--first-iters", self.first_iters, allow_zero=True)
        _at_most("--first-iters", self.first_iters, MAX_ITERS)
        if any(j < 1 for j in self.long_term):
            raise OptionError(f"--long-term {self.long_term} must be frame offsets of 1 or more")
        if self.blend is not None and not 0 <= self.blend <= 1:  # NaN fails too
            raise OptionError(f"--pass-blend {self.blend} must be between 0 and 1")
        _positive("--pass-iters", self.pass_iters, allow_zero=True)
        _at_most("--pass-iters", self.pass_iters, MAX_ITERS)
        self._check_combination()
        if self.passes > 1:  # the multi-pass settings exist only where they act
            if self.blend is None:
                object.__setattr__(self, "blend", DEFAULT_PASS_BLEND)
            if self.pass_iters is None:
                object.__setattr__(self, "pass_iters", DEFAULT_PASS_ITERS)

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
        if self.passes == 1:
            for name, value in (("--pass-iters", self.pass_iters), ("--pass-blend", self.blend)):
                if value is not None:
                    raise OptionError(
                        f"{name} {value} acts only in passes 2 and later, and --passes is 1; "
                        f"drop {name} or add --passes 2 or more"
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
class FastOptions:
    """The feed-forward path: which model, on which engine, how stabilized."""

    model: Path | None = None
    engine: str = "auto"
    batch: int = 1
    stabilize: bool = False
    stabilize_strength: float = 0.5

    def __post_init__(self) -> None:
        _choose(self, "engine", "--engine", ENGINES)
        _positive("--batch", self.batch)
        _at_most("--batch", self.batch, MAX_BATCH)
        if not 0 <= self.stabilize_strength <= 1:  # NaN fails too
            raise OptionError(
                f"--stabilize-strength {self.stabilize_strength} must be between 0 and 1, e.g. 0.5"
            )


# The arbitrary-style methods (``vstyle.arbitrary``): style swap and AdaIN on one VGG layer.
ARBITRARY_OPS = ("swap", "adain")
SWAP_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")  # inverse nets: relu3_1 only
STYLE_SIZE = 512  # default cap on a style's long side: 512 px is ~16k patches at relu3_1


@dataclass(frozen=True)
class ArbitraryOptions:
    """Any style without training: style swap (by optimization or a decoder) and AdaIN.

    Attributes:
        layer: the VGG layer the swap works on (``--method swap`` by optimization).
        style_size: each style picture's long side is scaled to at most this.
        alpha: 1 is the full style, 0 the content's own activations.
    """

    layer: str = "relu3_1"
    style_size: int = STYLE_SIZE
    alpha: float = 1.0

    def __post_init__(self) -> None:
        _choose(self, "layer", "--swap-layer", SWAP_LAYERS)
        _positive("--style-size", self.style_size)
        _at_most("--style-size", self.style_size, MAX_SIDE)
        if not 0 <= self.alpha <= 1:  # NaN fails too
            raise OptionError(f"--alpha {self.alpha} must be between 0 and 1, e.g. 1 or 0.6")


# Rendering across machines (``--cluster``, ``vstyle.cluster``): where Ray runs and how
# the clip is cut into chunks. ``local`` starts Ray on this machine, ``auto`` joins the
# cluster this machine belongs to, ``ray://HOST:PORT`` a remote one through Ray Client.
CLUSTER_ADDRESSES = ("auto", "local", "ray://HOST:PORT")
DEFAULT_CHUNK_FRAMES = 240  # ~10 s at 24 fps: short enough to spread, long to amortize start-up
DEFAULT_WARMUP = 8  # frames a chunk inside a scene renders early, to fade from the chunk before
DEFAULT_CUT_THRESHOLD = 27.0  # PySceneDetect's ContentDetector default (mean HSV change)
PLAN_WORKERS = (1, 8, 64, 512)  # worker counts ``--plan`` estimates for


@dataclass(frozen=True)
class ClusterOptions:
    """A run spread over Ray workers in chunks (``--cluster``); None: this machine alone.

    Attributes:
        address: ``auto``, ``local`` or ``ray://HOST:PORT``; None for a single-machine run.
        chunk_frames: a scene longer than this is split into chunks of about this length.
        warmup: frames a chunk inside a scene renders early, faded over the chunk before.
        cuts: a file of scene-cut frame numbers to use instead of detecting them.
        threshold: the content detector's cut threshold (mean HSV change, 0-255).
        min_scene: frames at least between two detected cuts (flashes are no cuts).
        plan: print the chunks and time estimates, render nothing.
        retries: times Ray reruns a chunk whose worker died.
        work_dir: folder every worker can read and write (intermediates, manifest);
            None: ``OUT.chunks`` beside the output, removed when the run succeeds.
    """

    address: str | None = None
    chunk_frames: int = DEFAULT_CHUNK_FRAMES
    warmup: int = DEFAULT_WARMUP
    cuts: Path | None = None
    threshold: float = DEFAULT_CUT_THRESHOLD
    min_scene: int = 8
    plan: bool = False
    retries: int = 3
    work_dir: Path | None = None

    def __post_init__(self) -> None:
        if self.address is not None:
            text = self.address.strip()
            if text.lower() in ("auto", "local"):
                text = text.lower()
            elif not re.fullmatch(r"ray://[^\s/:]+:\d+", text):
                raise OptionError(
                    f"--cluster '{self.address}' must be one of auto, local or "
                    "ray://HOST:PORT (e.g. ray://10.0.0.5:10001)"
                )
            object.__setattr__(self, "address", text)
        _positive("--chunk-frames", self.chunk_frames)
        _positive("--warmup", self.warmup, allow_zero=True)
        _positive("--min-scene", self.min_scene)
        _positive("--retries", self.retries, allow_zero=True)
        _positive("--cut-threshold", self.threshold)
        if self.address is None:
            for name, used in (("--plan", self.plan), (f"--cuts {self.cuts}", self.cuts)):
                if used:
                    raise OptionError(f"{name.split()[0]} plans a --cluster run; add --cluster")


# Live mode (``vstyle live``): what the picture is sent to on stdout.
LIVE_OUTPUT_FORMATS = ("nut", "y4m", "rawvideo")
MAX_CAMERA_INDEX = 63  # V4L2 numbers its nodes /dev/video0 to /dev/video63


@dataclass(frozen=True)
class LiveOptions:
    """A live run (``vstyle live``): where frames come from and where they go.

    Attributes:
        models: the ``.vsm`` models to switch among (n/p), the first shown first.
        camera: OpenCV camera index, used when ``source`` is None.
        camera_size, camera_fps: what to ask the camera for (it may give otherwise).
        source: a file, URL or device path standing in for the camera.
        loop: start a file over at its end.
        window: show an OpenCV window (``--no-window`` for headless use).
        compare: show the original beside the painting in the window.
        virtual_camera: send the picture to a virtual camera (pyvirtualcam).
        record: encode what is shown to this file, at capture timestamps.
        output: ``-`` to stream to stdout in ``output_format``.
        frames, duration: stop after this many frames shown or seconds.
        snapshots: folder for the PNGs the ``s`` key saves.
    """

    models: tuple[Path, ...] = ()
    camera: int = 0
    camera_size: tuple[int, int] | None = None
    camera_fps: float | None = None
    source: str | None = None
    loop: bool = False
    window: bool = True
    compare: bool = False
    virtual_camera: bool = False
    record: Path | None = None
    output: str | None = None
    output_format: str = LIVE_OUTPUT_FORMATS[0]
    frames: int | None = None
    duration: float | None = None
    snapshots: Path = Path(".")

    def __post_init__(self) -> None:
        if not 0 <= self.camera <= MAX_CAMERA_INDEX:
            raise OptionError(f"--camera {self.camera} must be from 0 to {MAX_CAMERA_INDEX}")
        if self.camera_size is not None and min(self.camera_size) <= 0:
            raise OptionError("--camera-size {}x{} must be positive".format(*self.camera_size))
        _positive("--camera-fps", self.camera_fps)
        _positive("--frames", self.frames)
        _positive("--duration", self.duration)
        _at_most("--duration", self.duration, MAX_SECONDS)
        _choose(self, "output_format", "--output-format", LIVE_OUTPUT_FORMATS)
        if self.output is not None and self.output != "-":
            raise OptionError(
                f"--output '{self.output}' must be '-' (stdout); use --record FILE for a file"
            )
        if self.loop and self.source is None:
            raise OptionError("--loop repeats a --source file; the camera has no end to repeat")


# Photographic transfer (Luan et al. 2017). The photorealism term is the Matting
# Laplacian's quadratic form per pixel (vstyle.losses.photo); at this weight it is of the
# order of the content term on a stylized photo, as DPST's 10^4 is beside its losses.
DEFAULT_PHOTO_WEIGHT = 100.0
DEFAULT_TILE_OVERLAP = 32  # px each side of a seam blended; a few receptive fields of relu1-3


@dataclass(frozen=True)
class PhotoOptions:
    """Photorealism (``--photo``), semantic regions (masks) and tiling (``--tile``).

    Attributes:
        enabled: add the Matting-Laplacian photorealism term (and its defaults).
        weight: its weight (``--photo-weight``).
        content_mask, style_mask: colour-labelled pictures, one label per colour.
        region_styles: (colour, picture) pairs: the region of that colour in the
            content mask takes its style from its own picture.
        tile: refine at full size in tiles of this many px after a whole-picture pass
            at this size; None stylizes the picture whole.
        tile_overlap: px shared by neighbouring tiles, feathered.
        max_memory: bytes the optimizer or a fast net may use (``--max-memory``, parsed by
            :func:`parse_memory`); a picture whose estimated peak is larger is tiled
            (:mod:`vstyle.photo.memory`). None: a share of the device's free memory.
    """

    enabled: bool = False
    weight: float = DEFAULT_PHOTO_WEIGHT
    content_mask: Path | None = None
    style_mask: Path | None = None
    region_styles: tuple[tuple[str, Path], ...] = ()
    tile: int | None = None
    tile_overlap: int = DEFAULT_TILE_OVERLAP
    max_memory: int | None = None

    def __post_init__(self) -> None:
        _positive("--photo-weight", self.weight, allow_zero=True)
        _positive("--max-memory", self.max_memory)
        _positive("--tile-overlap", self.tile_overlap, allow_zero=True)
        if self.tile is not None:
            _at_most("--tile", self.tile, MAX_SIDE)
            if self.tile < 64:
                raise OptionError(f"--tile {self.tile} must be at least 64 px")
            if self.tile_overlap * 2 >= self.tile:
                raise OptionError(
                    f"--tile-overlap {self.tile_overlap} must be under half of --tile "
                    f"{self.tile}; lower it or raise --tile"
                )
        if self.style_mask is not None and self.content_mask is None:
            raise OptionError("--style-mask needs --content-mask: the regions to paint")
        if self.region_styles and self.content_mask is None:
            raise OptionError("--region-style needs --content-mask: the regions to paint")

    @property
    def regions(self) -> bool:
        """True when the style loss is taken region by region."""
        return self.content_mask is not None

    @property
    def active(self) -> bool:
        """True when anything here changes the optimization."""
        return self.enabled or self.regions or self.tile is not None


@dataclass(frozen=True)
class Options:
    """Everything one run needs. Built once; never mutated."""

    input: Path | str = ""
    output: Path | str = ""
    method: str = "auto"
    style: StyleOptions = field(default_factory=StyleOptions)
    loss: LossOptions = field(default_factory=LossOptions)
    optim: OptimOptions = field(default_factory=OptimOptions)
    size: SizeOptions = field(default_factory=SizeOptions)
    runtime: RuntimeOptions = field(default_factory=RuntimeOptions)
    io: IOOptions = field(default_factory=IOOptions)
    temporal: TemporalOptions = field(default_factory=TemporalOptions)
    fast: FastOptions = field(default_factory=FastOptions)
    arbitrary: ArbitraryOptions = field(default_factory=ArbitraryOptions)
    live: LiveOptions = field(default_factory=LiveOptions)  # ``vstyle live`` only
    cluster: ClusterOptions = field(default_factory=ClusterOptions)  # ``--cluster``
    photo: PhotoOptions = field(default_factory=PhotoOptions)
    overwrite: bool = False
    report: Path | None = None

    def __post_init__(self) -> None:
        _choose(self, "method", "--method", METHODS)
        if self.method == "fast" and self.fast.model is None:
            raise OptionError("--method fast needs a model: add --model M.vsm")
        if self.fast.stabilize and self.fast.model is None:
            raise OptionError(
                "--stabilize works with --model M.vsm (the fast method); the optimizer "
                "keeps frames coherent with --temporal-weight"
            )
        if self.fast.model is not None and self.method == "copy":
            raise OptionError(
                "--model with --method copy: the model would be unused; use --method fast "
                "(or auto), --method optimize (start from the model), or drop --model"
            )
        if self.fast.model is not None and self.method == "optimize":
            self._check_hybrid()
        photo = self.photo
        if (photo.enabled or photo.regions) and (
            self.method == "swap" or (self.fast.model is not None and self.method != "optimize")
        ):
            flag = "--photo" if photo.enabled else "--content-mask"
            raise OptionError(
                f"{flag} works with the optimizer (Gatys): add --method optimize (with --model "
                "it starts from the model's output), or drop " + flag
            )

    def _check_hybrid(self) -> None:
        """Refuse what the optimizer started from a model's output would ignore."""
        fast, init = self.fast, self.optim.init
        if init in ("random", "style"):
            raise OptionError(
                f"--init {init} with --model and --method optimize: the optimizer starts "
                "from the model's output; drop --init or --model"
            )
        for name, used in (
            ("--stabilize", fast.stabilize),
            (f"--batch {fast.batch}", fast.batch != 1),
        ):
            if used:
                raise OptionError(
                    f"{name} works with --method fast; --method optimize runs the model "
                    f"once per frame for its start; drop {name.split()[0]}"
                )


def resolve_method(options: Options) -> Options:
    """``options`` with ``--method auto`` decided: fast with a ``--model``, else optimize."""
    if options.method != "auto":
        return options
    return replace(options, method="fast" if options.fast.model is not None else "optimize")


def resolve_init(options: Options, video: bool) -> Options:
    """``options`` with ``optim.init`` decided, for the CLI and the Python API alike.

    An explicit ``--init`` stays; otherwise a video with the temporal loss on starts
    each frame from the previous result warped onto it (``prev-warped``, Ruder et al.),
    and anything else from the content.
    """
    if options.optim.init is not None:
        return options
    init = "prev-warped" if video and options.temporal.enabled else "content"
    return replace(options, optim=replace(options.optim, init=init))


# Training (``vstyle train``). Content at relu2_2 by default, as Johnson et al. (2016):
# one pooling step deep, it keeps edges and layout while the net repaints colour and
# texture; relu3_1 leaves the style more room but smears thin structures at 256 px.
TRAIN_CONTENT_LAYERS = ("relu2_2", "relu3_1")
TRAIN_STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")
TRAIN_PRECISIONS = PRECISIONS  # auto: mixed (bf16/fp16) on CUDA, fp32 elsewhere
MAX_TRAIN_SIZE = 4096


@dataclass(frozen=True)
class TrainOptions:
    """One training run of a feed-forward net (``vstyle train``).

    Weights multiply the same normalized terms the optimizer uses (``losses.gatys``),
    plus the noise-stability and temporal pixel terms.
    """

    style: Path = Path()
    data: Path = Path()
    out: Path = Path()
    size: int = 256
    batch: int = 4
    steps: int = 40_000  # Johnson et al.: 40k steps of batch 4 (two epochs of COCO)
    lr: float = 1e-3
    width: float = 1.0
    seed: int = 0
    content_layer: str = TRAIN_CONTENT_LAYERS[0]
    content_weight: float = LossOptions.content_weight
    style_weight: float = LossOptions.style_weight
    tv_weight: float = LossOptions.tv_weight
    noise_weight: float = 100.0
    temporal_weight: float = TemporalOptions.weight
    flow: str = TemporalOptions.flow  # computed once per video pair at the start
    checkpoint_every: int = 1000
    resume: bool = False
    overwrite: bool = False
    device: str = "auto"
    precision: str = "auto"
    vgg_weights: Path | None = None
    # ``--arbitrary``: an inverse network (encoder to relu3_1 and decoder) for any style,
    # trained on the pictures of ``data`` and the paintings of ``styles``, through ``op``.
    arbitrary: bool = False
    styles: Path | None = None
    op: str = ARBITRARY_OPS[0]

    def __post_init__(self) -> None:
        _choose(self, "content_layer", "--content-layer", TRAIN_CONTENT_LAYERS)
        _choose(self, "op", "--op", ARBITRARY_OPS)
        if self.arbitrary and self.styles is None:
            raise OptionError("--arbitrary trains on paintings: add --styles DIR")
        if self.styles is not None and not self.arbitrary:
            raise OptionError(f"--styles '{self.styles}' needs --arbitrary (or use --style)")
        if self.arbitrary and self.width > 1:
            raise OptionError(f"--width {self.width:g} with --arbitrary must be at most 1")
        _choose(self, "flow", "--flow", FLOWS)
        _choose(self, "precision", "--precision", TRAIN_PRECISIONS)
        for name in ("size", "batch", "steps", "lr", "width", "checkpoint_every"):
            _positive(f"--{name.replace('_', '-')}", getattr(self, name))
        for name in ("content", "style", "tv", "noise", "temporal"):
            _positive(f"--{name}-weight", getattr(self, f"{name}_weight"), allow_zero=True)
        if self.size < 32:  # four VGG poolings before relu4_1 leave 2x2 at least
            raise OptionError(f"--size {self.size} must be at least 32 px, e.g. 256")
        _at_most("--size", self.size, MAX_TRAIN_SIZE)
        if not 0 <= self.seed <= MAX_SEED:
            raise OptionError(f"--seed {self.seed} must be a whole number from 0 to {MAX_SEED}")

    def record(self) -> dict[str, object]:
        """The options as JSON-ready values (paths as text), for model files and checkpoints."""
        record = {k: str(v) if isinstance(v, Path) else v for k, v in self.__dict__.items()}
        if not self.arbitrary:  # as before --arbitrary existed: older checkpoints resume
            for key in ("arbitrary", "styles", "op"):
                del record[key]
        return record
