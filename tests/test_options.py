"""Options check themselves: every number finite and bounded, every choice matched
without case, no protocol through --input-format, and one init policy for all callers."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from vstyle.errors import OptionError, check_choice
from vstyle.options import (
    INPUT_FORMATS,
    MAX_ITERS,
    MAX_SEED,
    FastOptions,
    IOOptions,
    LossOptions,
    OptimOptions,
    Options,
    RuntimeOptions,
    SizeOptions,
    StyleOptions,
    TemporalOptions,
    resolve_init,
    resolve_method,
)

BAD_NUMBERS = [math.inf, -math.inf, math.nan]


@pytest.mark.parametrize("value", BAD_NUMBERS)
@pytest.mark.parametrize(
    ("make", "flag"),
    [
        (lambda v: LossOptions(style_weight=v), "--style-weight"),
        (lambda v: LossOptions(content_weight=v), "--content-weight"),
        (lambda v: LossOptions(tv_weight=v), "--tv-weight"),
        (lambda v: OptimOptions(lr=v), "--lr"),
        (lambda v: OptimOptions(tolerance=v), "--tolerance"),
        (lambda v: StyleOptions(scale=v), "--style-scale"),
        (lambda v: StyleOptions(paths=(Path("a"), Path("b")), blend=(v, 1.0)), "--style-blend"),
        (lambda v: LossOptions(style_layer_weights=(v,) * 5), "--style-layer-weights"),
        (lambda v: IOOptions(start=v), "--start"),
        (lambda v: IOOptions(duration=v), "--duration"),
        (lambda v: TemporalOptions(weight=v), "--temporal-weight"),
        (lambda v: TemporalOptions(blend=v), "--pass-blend"),
    ],
)
def test_every_float_must_be_finite(make, flag: str, value: float) -> None:
    with pytest.raises(OptionError, match=flag):
        make(value)


@pytest.mark.parametrize("seed", [-1, MAX_SEED + 1, 2**70])
def test_seed_range(seed: int) -> None:
    with pytest.raises(OptionError, match=f"--seed {seed} .*0 to {MAX_SEED}"):
        OptimOptions(seed=seed)
    assert OptimOptions(seed=MAX_SEED).seed == MAX_SEED


def test_iterations_have_a_documented_maximum() -> None:
    assert OptimOptions(iters=MAX_ITERS).iters == MAX_ITERS
    for make in (lambda n: OptimOptions(iters=n), lambda n: TemporalOptions(first_iters=n)):
        with pytest.raises(OptionError, match=f"maximum {MAX_ITERS}"):
            make(MAX_ITERS + 1)


@pytest.mark.parametrize(
    ("make", "attr", "given", "canonical"),
    [
        (OptimOptions, "optimizer", "LBFGS", "lbfgs"),
        (OptimOptions, "optimizer", " Adam ", "adam"),
        (OptimOptions, "init", "Prev-Warped", "prev-warped"),
        (LossOptions, "kind", "Smooth_L1", "smooth_l1"),
        (RuntimeOptions, "precision", "BF16", "bf16"),
        (SizeOptions, "output_size", "SOURCE", "source"),
        (TemporalOptions, "flow", "DeepFlow", "deepflow"),
        (IOOptions, "input_format", "Y4M", "y4m"),
        (Options, "method", "Copy", "copy"),
    ],
)
def test_choices_ignore_case_and_store_the_canonical_name(make, attr, given, canonical) -> None:
    assert getattr(make(**{attr: given}), attr) == canonical


def test_suggestion_ignores_case_too() -> None:
    with pytest.raises(OptionError, match="did you mean 'lbfgs'"):
        check_choice("--optimizer", "LBGFS", ("lbfgs", "adam"))


def test_layer_names_ignore_case() -> None:
    assert LossOptions(content_layers=("RELU4_2",)).content_layers == ("relu4_2",)


@pytest.mark.parametrize(
    "name", ["http", "https", "file:", "file", "concat", "hls", "lavfi", "image2", "tcp", "pipe:"]
)
def test_input_format_refuses_protocols_and_file_openers(name: str) -> None:
    with pytest.raises(OptionError, match="--input-format"):
        IOOptions(input_format=name)


def test_input_formats_are_demuxers_ffmpeg_has() -> None:
    import av

    from vstyle.io.formats import FORMAT_ALIASES

    for name in INPUT_FORMATS:
        assert FORMAT_ALIASES.get(name, name) in av.formats_available, name


def test_init_is_decided_in_the_core() -> None:
    video_temporal = resolve_init(Options(), video=True)
    assert video_temporal.optim.init == "prev-warped"
    assert resolve_init(Options(), video=False).optim.init == "content"
    no_temporal = Options(temporal=TemporalOptions(enabled=False))
    assert resolve_init(no_temporal, video=True).optim.init == "content"
    explicit = Options(optim=OptimOptions(init="random"))
    assert resolve_init(explicit, video=True) is explicit
    # Resolving twice changes nothing: the manifest of a resumed run sees the same value.
    assert resolve_init(video_temporal, video=False) == video_temporal


def test_a_model_is_never_ignored() -> None:
    model = FastOptions(model=Path("m.vsm"))
    with pytest.raises(OptionError, match="--model with --method copy"):
        Options(method="copy", fast=model)
    assert Options(fast=model).method == "auto"
    # --method optimize starts from the model's output (the hybrid, tests/test_hybrid.py).
    assert resolve_method(Options(method="optimize", fast=model)).method == "optimize"
