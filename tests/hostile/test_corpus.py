"""Every corpus input and style through the CLI, with ``--method copy`` and ``optimize``.

Each run gets its own folder; the runs go two at a time in one module fixture and
each test checks one of them: exit code class, one error line and no traceback,
nothing touched but the output, and a playable output with the expected frames.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from . import corpus, harness

OPTIMIZE = ("--method", "optimize", "--iters", "1", "--max-side", "32")
COPY = ("--method", "copy")

# The content picture is too small for VGG after --max-side: a clean refusal is right.
TINY_CONTENT = {"pixel.png", "cmyk.jpg"}
# Inputs the optimize method also gets: the bad ones fail before any method runs, and
# grey/RGBA/16-bit/palette pictures are RGB once read, so copy covers them.
OPTIMIZED = (
    "jpeg-as.mp4", "truncated.mkv", "one-frame.mp4", "pixel.png", "odd.png", "odd.mkv",
    "cmyk.jpg", "vfr.mkv", "rotated.mp4",
)  # fmt: skip

KNOWN = {
    "input-huge.png": "found by hostile suite: a PNG header claiming 60000x60000 ends in "
    "cv2.error (CV_IO_MAX_IMAGE_PIXELS) traceback from read_image, exit 1",
    "style-sliver.png": "issue 7 point 7",
}


def _cases() -> list[tuple[str, str, str, corpus.Item]]:
    out = []
    for item in corpus.INPUTS:
        out.append((f"input-{item.name}", "copy", "input", item))
        if item.name in OPTIMIZED:
            out.append((f"input-{item.name}", "optimize", "input", item))
    out += [(f"style-{item.name}", "optimize", "style", item) for item in corpus.STYLES]
    return out


CASES = _cases()


def _expect(key: str, method: str, item: corpus.Item) -> str:
    if method == "optimize" and item.name in TINY_CONTENT and key.startswith("input"):
        return "either"
    return item.expect


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, vgg_file: Path) -> dict[str, harness.Case]:
    jobs, keys = [], []
    for key, method, role, item in CASES:
        folder = tmp_path_factory.mktemp(f"{key}-{method}")
        if role == "input":
            source, style = item.make(folder / item.name), corpus.style_picture(folder / "s.png")
        else:
            source, style = corpus.clip(folder / "in.mp4"), item.make(folder / item.name)
        args = [source.name, "out.mp4", "-s", style.name, "-q"]
        args += OPTIMIZE if method == "optimize" else COPY
        jobs.append((folder, args, ("out.mp4",)))
        keys.append(f"{key}-{method}")
    return dict(zip(keys, harness.run_all(jobs, vgg_file), strict=True))


def _param(key: str, method: str, role: str, item: corpus.Item):
    marks = [pytest.mark.xfail(strict=True, reason=KNOWN[key])] if key in KNOWN else []
    return pytest.param(key, method, item, id=f"{key}-{method}", marks=marks)


@pytest.mark.slow
@pytest.mark.parametrize(("key", "method", "item"), [_param(*c) for c in CASES])
def test_corpus(runs: dict[str, harness.Case], key: str, method: str, item: corpus.Item) -> None:
    case = runs[f"{key}-{method}"]
    found = harness.problems(case, _expect(key, method, item))
    folder = case.folder
    found += harness.output_problems(case, folder, item.frames if key.startswith("input") else 3)
    if case.code == 0 and method == "copy" and item.size is not None:
        w, h = item.size
        assert harness.frame_size(folder / "out.mp4") == (w + w % 2, h + h % 2)  # x264 pads
    assert not found, f"{found}\n{case.describe()}"
