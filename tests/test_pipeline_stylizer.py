"""The stylizer seam: any engine is frames in, frames out, plus typed per-frame records.

A stand-in for a fixed-shape engine (as the fast network will be) plugs into
:func:`vstyle.pipeline.run`; the copy and optimization engines report through the
same records, from which the ``--report`` JSON is built.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.io.io_clips import make_clip
from vstyle import pipeline
from vstyle.frames import Frame
from vstyle.optimize.stylizer import FrameOptimizer, OptimizerRecord
from vstyle.optimize.video import VideoOptimizer
from vstyle.options import OptimOptions, Options, RuntimeOptions, SizeOptions, StyleOptions
from vstyle.pipeline import Hooks, build_stylizer, run
from vstyle.records import FrameRecord, IterationProgress


@dataclass(frozen=True)
class ShapeRecord(FrameRecord):
    """What a fixed-shape engine might report."""

    batch: int = 1

    def details(self) -> Mapping[str, int]:
        return {"batch": self.batch}


@pytest.fixture
def video(tmp_path: Path) -> Path:
    return make_clip(tmp_path / "in.mp4", frames=4, size=(64, 48))


def test_a_fixed_shape_engine_is_built_for_the_size_before_the_first_frame(
    video: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[object] = []

    def build(options, runtime, size, hooks, frame_count=None):
        events.append(("built", size, frame_count))

        def engine(frames: Iterable[Frame]) -> Iterator[Frame]:
            for frame in frames:
                assert frame.size == size  # the shape it was built for
                events.append(("frame", frame.index))
                hooks.on_record(ShapeRecord(frame.index, 0.01, "fixed", batch=2))
                yield frame.with_rgb(255 - frame.rgb)

        return engine

    monkeypatch.setattr(pipeline, "build_stylizer", build)
    seen: list[FrameRecord] = []
    options = Options(
        input=str(video), output=str(tmp_path / "out.mp4"), size=SizeOptions(max_side=32)
    )
    report = run(options, Hooks(on_record=seen.append))
    assert events[0] == ("built", (32, 24), 4)
    assert events[1:] == [("frame", i) for i in range(4)]
    assert [r.index for r in seen] == [0, 1, 2, 3] and report.records == seen
    data = json.loads(json.dumps(report.as_dict()))
    assert data["frames"] == 4 and data["size"] == [32, 24]
    assert data["frame_reports"][2] == {"frame": 2, "engine": "fixed", "seconds": 0.01, "batch": 2}


def test_copy_reports_a_record_per_frame(video: Path, tmp_path: Path) -> None:
    options = Options(input=str(video), output=str(tmp_path / "out.mp4"), method="copy")
    frames: list[Frame] = []
    report = run(options, Hooks(on_frame=frames.append))
    assert [r.index for r in report.records] == [f.index for f in frames] == [0, 1, 2, 3]
    assert {r.engine for r in report.records} == {"copy"}
    assert report.as_dict()["frame_reports"][0] == {"frame": 0, "engine": "copy", "seconds": 0.0}


def optimizing(content: Path, out: Path, style: Path, tiny_vgg: Path, **optim) -> Options:
    return Options(
        input=str(content),
        output=str(out),
        style=StyleOptions(paths=(style,)),
        optim=OptimOptions(iters=4, tolerance=0.0, **optim),
        runtime=RuntimeOptions(device="cpu", vgg_weights=tiny_vgg),
    )


def test_optimizer_records_and_iterations(
    content_rgb, style_rgb, write_png, tiny_vgg: Path, tmp_path: Path
) -> None:
    content, style = write_png("content.png", content_rgb), write_png("style.png", style_rgb)
    steps: list[IterationProgress] = []
    options = optimizing(content, tmp_path / "out.png", style, tiny_vgg, scales=2)
    report = run(options, Hooks(on_iteration=steps.append))
    # Two scales: a quarter of the iterations at the coarse one, then all of them.
    assert [(s.scale, s.iteration, s.total) for s in steps] == [(0, 1, 1)] + [
        (1, i, 4) for i in range(1, 5)
    ]
    assert all(s.scales == 2 and s.loss > 0 for s in steps)
    (record,) = report.records
    assert isinstance(record, OptimizerRecord) and record.engine == "optimize"
    assert record.iterations == 4 and record.loss == pytest.approx(steps[-1].loss)
    entry = report.as_dict()["frame_reports"][0]
    assert entry["iterations"] == 4 and entry["pass"] == 1 and not entry["stopped_early"]
    assert set(entry["terms"]) == {"content", "style", "tv"}


def test_build_stylizer_picks_the_engine(style_rgb, write_png, tiny_vgg: Path) -> None:
    from vstyle.device import Runtime

    style = write_png("style.png", style_rgb)
    cpu = Runtime.from_options("cpu")
    options = optimizing(style, style, style, tiny_vgg)
    records: list[FrameRecord] = []
    hooks = Hooks(on_record=records.append)
    assert type(build_stylizer(options, cpu, (64, 48), hooks, 1)) is FrameOptimizer
    assert type(build_stylizer(options, cpu, (64, 48), hooks, None)) is VideoOptimizer
    copy = build_stylizer(Options(method="copy"), cpu, (64, 48), hooks, 3)
    frames = [Frame(i, style_rgb) for i in range(3)]
    assert list(copy(iter(frames))) == frames
    assert [(r.index, r.engine) for r in records] == [(0, "copy"), (1, "copy"), (2, "copy")]


def test_the_output_kind_is_decided_once_per_run(
    video: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from vstyle.io import formats

    calls: list[str] = []
    original = formats.output_kind

    def counted(*args: object, **kwargs: object):
        calls.append(str(args[0]))
        return original(*args, **kwargs)

    # Wherever a module holds its own reference to output_kind, count its calls there too.
    for module in [m for name, m in sys.modules.items() if name.startswith("vstyle")]:
        if getattr(module, "output_kind", None) is original:
            monkeypatch.setattr(module, "output_kind", counted)
    out = tmp_path / "out.mp4"
    run(Options(input=str(video), output=str(out), method="copy"))
    assert calls == [str(out)]


def _imports(path: Path, package: list[str], modules: set[str]) -> set[str]:
    """The vstyle modules ``path`` imports (at any depth, function bodies too)."""
    import ast

    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:  # ``from . import checkpoint`` names a module
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in modules else target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found & modules


def test_no_import_circles_in_the_package() -> None:
    """A circle (optimize/video.py <-> optimize/multipass.py was one) is refused."""
    root = Path(__file__).resolve().parents[1] / "vstyle"
    files: dict[str, tuple[Path, list[str]]] = {}
    for path in root.rglob("*.py"):
        parts = ["vstyle", *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
            files[".".join(parts)] = (path, parts)
        else:
            files[".".join(parts)] = (path, parts[:-1])
    graph = {
        name: _imports(path, package, set(files)) - {name}
        for name, (path, package) in files.items()
    }
    # A package's __init__ re-exporting its own modules is no circle; drop package -> child.
    graph = {n: {d for d in deps if not d.startswith(n + ".")} for n, deps in graph.items()}
    circles = []
    for start in graph:
        stack, seen = [(start, [start])], set()
        while stack:
            node, trail = stack.pop()
            for dep in graph[node]:
                if dep == start:
                    circles.append(" -> ".join([*trail, dep]))
                elif dep not in seen:
                    seen.add(dep)
                    stack.append((dep, [*trail, dep]))
    assert not circles, circles
