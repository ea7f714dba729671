"""``hypothesis`` fuzz of the options and output names, in-process through the CLI.

Whatever the values, a run either succeeds or ends with one ``vstyle: error:`` line
and a vstyle exit code, and touches nothing but its output. Examples are derandomized
(the same on every run) and few, so the suite stays fast.

Values that hit a bug already filed (issue 7) or found by this suite are filtered out
by :data:`KNOWN` and pinned by strict-xfail cases below; when a pinned case starts to
pass (XPASS, red), remove its mark *and* its filter here, so the fuzz covers it again.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from . import corpus, harness

FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
INPUTS = ("in.mp4", "pic.png", "s.png", "t.png")


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


# (option, predicate on its value) -> why the run fails today; see the pinned cases.
# (option, predicate on its value) -> why the run failed; the fuzz steers clear of these
# while a bug is open and a pinned case below holds it. Empty: every one is fixed.
KNOWN: dict[tuple[str, Callable[[str], bool]], str] = {}


def known_bug(args: list[str]) -> str | None:
    for i, arg in enumerate(args[:-1]):
        for (option, test), reason in KNOWN.items():
            if arg == option and test(args[i + 1]):
                return reason
    return None


def numbers() -> st.SearchStrategy[str]:
    """Option values as typed: special floats, huge and negative ints, junk."""
    return st.one_of(
        st.sampled_from(["inf", "-inf", "nan", "0", "-0", "1e308", "-1", "1e-300", str(2**70)]),
        st.integers(-(2**80), 2**80).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.sampled_from(["", " ", "abc", "1,2", "0x10", "1_000", "½", "--quiet"]),
    )


def sizes() -> st.SearchStrategy[str]:
    dims = st.one_of(st.integers(-3, 40), st.sampled_from([99999, 2**40]))
    return st.one_of(
        st.tuples(dims, dims).map(lambda wh: f"{wh[0]}x{wh[1]}"),
        st.sampled_from(["0x0", "1x99999", "x", "10", "10x10x10", "AxB", " 8x8"]),
    )


COPY_OPTIONS = (
    "--start", "--duration", "--frames", "--crf", "--seed", "--iters", "--input-rate",
    "--passes", "--pass-blend", "--first-iters", "--long-term", "--max-side", "--input-format",
    "--input-size", "--input-pix-fmt", "--bitrate", "--preset", "--pix-fmt",
)  # fmt: skip
OPTIMIZE_OPTIONS = (
    "--style-scale", "--style-weight", "--content-weight", "--tv-weight", "--lr", "--seed",
    "--style-blend", "--style-layer-weights", "--temporal-weight", "--pass-blend",
)  # fmt: skip


@pytest.fixture(scope="module")
def fuzz_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz")
    corpus.clip(folder / "in.mp4")
    corpus.write_cv(folder / "pic.png", corpus.picture(0, 16, 16))
    corpus.style_picture(folder / "s.png")
    corpus.style_picture(folder / "t.png")
    return folder


@pytest.fixture
def weights_env(vgg_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VSTYLE_VGG_WEIGHTS", str(vgg_file))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


def check(case: harness.Case) -> None:
    found = harness.problems(case, "either")
    assert not found, f"{found}\n{case.describe()}"


@settings(FUZZ, max_examples=60)
@given(
    picks=st.lists(st.tuples(st.sampled_from(COPY_OPTIONS), numbers()), min_size=1, max_size=3),
    size=st.one_of(st.none(), sizes()),
)
def test_copy_options(fuzz_folder: Path, weights_env: None, picks, size) -> None:
    args = ["in.mp4", "out.mkv", "-s", "s.png", "--method", "copy", "-q"]
    for option, value in picks:
        args += [option, value]
    if size is not None:
        args += ["--size", size]
    assume(known_bug(args) is None)
    harness.clear(fuzz_folder, INPUTS)
    check(harness.invoke(fuzz_folder, args, allowed=("out.mkv",)))


@pytest.mark.slow
@settings(FUZZ, max_examples=15)
@given(
    picks=st.lists(st.tuples(st.sampled_from(OPTIMIZE_OPTIONS), numbers()), min_size=1, max_size=2),
    scales=st.integers(1, 3),
    blend=st.sampled_from(["0.5,0.5", "nan,1", "1,0", "0,0", "-1,2", "inf,1", "1"]),
)
def test_optimize_options(fuzz_folder: Path, weights_env: None, picks, scales, blend) -> None:
    args = ["pic.png", "out.png", "-s", "s.png", "-s", "t.png", "--iters", "1", "-q"]
    args += ["--scales", str(scales), "--style-blend", blend]
    for option, value in picks:
        args += [option, value]
    assume(known_bug(args) is None)
    harness.clear(fuzz_folder, INPUTS)
    check(harness.invoke(fuzz_folder, args, allowed=("out.png",)))


@pytest.mark.parametrize("choice", [["--optimizer", "LBFGS"], ["--loss", "MSE"], ["--flow", "DIS"]])
def test_choices_ignore_case(fuzz_folder: Path, weights_env: None, choice: list[str]) -> None:
    harness.clear(fuzz_folder, INPUTS)
    args = ["pic.png", "out.png", "-s", "s.png", "--iters", "1", "-q", *choice]
    case = harness.invoke(fuzz_folder, args, allowed=("out.png",))
    found = harness.problems(case, "ok")
    assert not found, f"{found}\n{case.describe()}"


NAME_CHARS = st.sampled_from(
    list("ab_-. ") + ["é", "世", "ß", "'", '"', "#", "%", "&", "$", "~", "*", "?", "\\", "=", ":"]
)


@settings(FUZZ, max_examples=40)
@given(
    stem=st.text(NAME_CHARS, min_size=1, max_size=12),
    ext=st.sampled_from([".mp4", ".mkv", ".webm", ".png", ".MP4", ""]),
)
def test_output_names(fuzz_folder: Path, weights_env: None, stem: str, ext: str) -> None:
    name = stem + ext
    assume(":" not in name)  # issue 7 point 5, pinned in test_outputs (colon-*)
    assume(name not in INPUTS and name not in (".", ".."))
    source = "pic.png" if ext.lower() == ".png" else "in.mp4"
    harness.clear(fuzz_folder, INPUTS)
    case = harness.invoke(
        fuzz_folder, [source, name, "-s", "s.png", "--method", "copy", "-q"], allowed=(name,)
    )
    check(case)
    if case.code == 0 and "%" not in name:
        expected = 1 if source == "pic.png" else corpus.FRAMES
        assert harness.frame_count(fuzz_folder / name) == expected, case.describe()


def names(extra: list[str]) -> str:
    """What the error line for ``extra`` must name: the option, or what it is about."""
    return {"--vgg-weights": extra[-1], "--size": "--max-side"}.get(extra[0], extra[0])


PINNED = [
    (["--start", "inf"], "issue 7 point 12"),
    (["--start", "1e308"], "issue 7 point 12"),
    (["--duration", "inf"], "found by hostile suite: --duration inf"),
    (["--iters", str(10**12)], "issue 7 point 12"),
    (["--size", "99999x99999"], "issue 7 point 9 (CPU out of memory)"),
]
PINNED_OPTIMIZE = [
    (["--seed", str(2**70)], "issue 7 point 12"),
    (["--style-scale", "inf"], "found by hostile suite: --style-scale inf"),
    (["--style-scale", str(2**70)], "found by hostile suite: --style-scale inf"),
    (["--lr", "inf"], "found by hostile suite: --lr inf"),
    (["--style-weight", "inf"], "issue 7 point 12"),
    (["--content-weight", "inf"], "issue 7 point 12 (as --style-weight inf)"),
    (["--style-blend", "nan,1"], "issue 7 point 12"),
]


@pytest.mark.parametrize(
    "extra",
    [pytest.param(a, id=" ".join(a)) for a, _ in PINNED],
)
def test_pinned_copy(fuzz_folder: Path, weights_env: None, extra: list[str]) -> None:
    """Each value must be refused up front with one line (exit 2), nothing written."""
    harness.clear(fuzz_folder, INPUTS)
    args = ["in.mp4", "out.mkv", "-s", "s.png", "--method", "copy", "-q", *extra]
    case = harness.invoke(fuzz_folder, args, allowed=("out.mkv",))
    found = harness.problems(case, "bad")
    assert not found, f"{found}\n{case.describe()}"
    assert names(extra) in case.stderr, "the error line names the option"


@pytest.mark.parametrize(
    "extra",
    [pytest.param(a, id=" ".join(a)) for a, _ in PINNED_OPTIMIZE]
    + [pytest.param(["--vgg-weights", "empty.pth"], id="0-byte weights")],
)
def test_pinned_optimize(fuzz_folder: Path, weights_env: None, extra: list[str]) -> None:
    """Refused with one line naming the option, before the picture is written."""
    harness.clear(fuzz_folder, INPUTS)
    (fuzz_folder / "empty.pth").write_bytes(b"")
    args = ["pic.png", "out.png", "-s", "s.png", "-s", "t.png", "--iters", "1", "-q"]
    case = harness.invoke(fuzz_folder, [*args, *extra], allowed=("empty.pth", "out.png"))
    found = harness.problems(case, "bad")
    assert not found, f"{found}\n{case.describe()}"
    assert names(extra) in case.stderr, "the error line names the option"
