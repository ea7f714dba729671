"""``--cluster local`` on a local Ray cluster of two worker processes: the plan cuts at
scene cuts, the output equals the single-machine run's (pictures, timestamps,
audio), a killed worker is retried, a rerun renders only the missing chunks.

Ray starts once for the module (it takes seconds). Faults are planted through a
worker setup hook that wraps ``pipeline.run`` in the workers, keyed by files the
test leaves in the run's work folder, so the code under test is the real one.
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

import av
import numpy as np
import pytest
from typer.testing import CliRunner

from tests.cluster.clips import cut_clip
from tests.io.io_clips import probe
from tests.nets.test_transformer import seeded
from vstyle import run
from vstyle.cli import app
from vstyle.cluster import code_env
from vstyle.errors import ClusterError, InputError, OptionError
from vstyle.nets.modelfile import ModelInfo, save_model
from vstyle.nets.transformer import TransformerNet
from vstyle.options import (
    ClusterOptions,
    FastOptions,
    IOOptions,
    Options,
    RuntimeOptions,
    StyleOptions,
)

ray = pytest.importorskip("ray", reason="the 'cluster' extra (ray) is not installed")


def plant_faults() -> None:
    """Ray worker setup: ``die-once`` in the folder kills the first worker that renders
    a frame there (its claim is a rename, so only one); ``fail-NAME`` makes the chunk
    NAME raise."""
    import vstyle.pipeline as pipeline

    original = pipeline.run

    def faulty(options, hooks=None, **kwargs):
        target = Path(str(options.output))
        folder = target.parent
        if any(target.name.startswith(f".{f.name[5:]}-") for f in folder.glob("fail-*")):
            raise InputError(f"planted failure in {target.name}")

        def on_frame(frame) -> None:
            try:
                os.rename(folder / "die-once", folder / "died")
            except OSError:
                return
            os._exit(1)

        return original(options, pipeline.Hooks(on_frame=on_frame), **kwargs)

    pipeline.run = faulty


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    # Workers need not import ``tests``: the hook travels by value.
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={**code_env(), "worker_process_setup_hook": plant_faults},
    )
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    net = seeded(TransformerNet(0.25), seed=7)
    return save_model(tmp_path_factory.mktemp("m") / "m.vsm", net, ModelInfo("vstyle", 0.25))


def fast_options(source: Path, out: Path, model: Path, **cluster) -> Options:
    """The fast method into a lossless file (so pictures compare exactly)."""
    return Options(
        input=str(source),
        output=str(out),
        fast=FastOptions(model=model, engine="eager"),
        runtime=RuntimeOptions(device="cpu", precision="fp32"),
        io=IOOptions(codec="ffv1"),
        cluster=ClusterOptions(**cluster),
    )


def pictures(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def test_two_hard_cuts_split_the_plan_there(tmp_path: Path, model: Path) -> None:
    from vstyle.cluster.plan import make_plan

    source = cut_clip(tmp_path / "in.mp4", frames=24, cuts=(9, 17))
    options = fast_options(source, tmp_path / "o.mkv", model, address="local")
    options = replace(options, method="optimize", fast=FastOptions())  # a chain: warm-up
    plan = make_plan(replace(options, cluster=replace(options.cluster, chunk_frames=5, warmup=2)))
    assert plan.cuts == (9, 17)
    starts = [k.first for k in plan.chunks]
    assert {0, 9, 17} <= set(starts)
    assert all(k.frames <= 5 for k in plan.chunks) and len(plan.chunks) == 6
    assert [k.end for k in plan.chunks] == [*starts[1:], 24]  # contiguous, in order
    # A chunk at a cut starts cold; one inside a scene renders the warm-up first.
    warmups = {k.first: k.warmup for k in plan.chunks}
    assert warmups[0] == warmups[9] == warmups[17] == 0
    assert all(w == 2 for first, w in warmups.items() if first not in (0, 9, 17))


def test_fast_cluster_equals_single_machine_with_times_and_audio(
    tmp_path: Path, model: Path
) -> None:
    source = cut_clip(tmp_path / "in.mkv", frames=24, cuts=(8, 16), audio=True)
    single = fast_options(source, tmp_path / "single.mkv", model)
    run(single)
    spread = fast_options(source, tmp_path / "cluster.mkv", model, address="local",
                          chunk_frames=5)  # fmt: skip
    report = run(spread)
    assert report.frames == 24
    a, b = probe(tmp_path / "single.mkv"), probe(tmp_path / "cluster.mkv")
    assert len(b.rgb) == 24
    for i, (x, y) in enumerate(zip(a.rgb, b.rgb, strict=True)):
        assert np.array_equal(x, y), f"frame {i} differs"
    assert b.times == a.times and b.rate == a.rate
    assert [s["seconds"] for s in b.audio] == [s["seconds"] for s in a.audio]
    assert len(b.audio) == 1
    # The default work folder is gone once the output is written.
    assert not (tmp_path / "cluster.mkv.chunks").exists()


def test_killed_worker_is_retried_and_output_complete(tmp_path: Path, model: Path) -> None:
    source = cut_clip(tmp_path / "in.mp4", frames=16, cuts=(8,))
    work = tmp_path / "work"
    work.mkdir()
    (work / "die-once").touch()
    spread = fast_options(source, tmp_path / "cluster.mkv", model, address="local",
                          chunk_frames=4, work_dir=work)  # fmt: skip
    run(spread)
    assert (work / "died").exists(), "no worker was killed: the test proves nothing"
    run(fast_options(source, tmp_path / "single.mkv", model))
    got, want = pictures(tmp_path / "cluster.mkv"), pictures(tmp_path / "single.mkv")
    assert len(got) == 16
    assert all(np.array_equal(x, y) for x, y in zip(got, want, strict=True))


def test_rerun_renders_only_missing_chunks(tmp_path: Path, model: Path) -> None:
    source = cut_clip(tmp_path / "in.mp4", frames=16, cuts=(8,))
    work = tmp_path / "work"
    work.mkdir()
    (work / "fail-chunk-00002").touch()
    spread = fast_options(source, tmp_path / "cluster.mkv", model, address="local",
                          chunk_frames=4, work_dir=work)  # fmt: skip
    with pytest.raises(ClusterError) as caught:
        run(spread)
    message = str(caught.value)
    assert "chunk 2 (frames 8-11)" in message and "planted failure" in message
    assert "\n" not in message and "3 finished" in message
    assert not (tmp_path / "cluster.mkv").exists()
    kept = {p.name: p.stat().st_mtime_ns for p in work.glob("chunk-*.mkv")}
    assert len(kept) == 3 and not any("chunk-00002" in n for n in kept)
    (work / "fail-chunk-00002").unlink()
    run(spread)
    after = {p.name: p.stat().st_mtime_ns for p in work.glob("chunk-*.mkv")}
    assert len(after) == 4
    assert all(after[n] == t for n, t in kept.items()), "a finished chunk was rendered again"
    assert len(pictures(tmp_path / "cluster.mkv")) == 16
    # Other options make other chunks: the folder is refused, not mixed in.
    other = replace(spread, output=str(tmp_path / "o.mkv"), io=IOOptions(codec="ffv1", frames=12))
    with pytest.raises(OptionError, match="holds chunks of another run"):
        run(other)


def test_plan_prints_chunks_and_estimates_without_rendering(tmp_path: Path, model: Path):
    source = cut_clip(tmp_path / "in.mp4", frames=16, cuts=(8,))
    out = tmp_path / "o.mkv"
    result = CliRunner().invoke(app, [str(source), str(out), "--model", str(model),
                                      "--engine", "eager", "--cluster", "local", "--plan",
                                      "--chunk-frames", "4"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "16 frames, 2 scene(s) (cuts at 8), 4 chunk(s)" in result.output
    assert "chunk 3 (frames 12-15)" in result.output
    times = [line for line in result.output.splitlines() if "worker(s): about" in line]
    assert len(times) == 4
    assert not out.exists()


def optimize_options(tmp_path: Path, source: Path, vgg: Path, style: Path, iters: int) -> Options:
    from vstyle.options import OptimOptions

    return Options(
        input=str(source),
        output=str(tmp_path / "single.mkv"),
        method="optimize",
        style=StyleOptions(paths=(style,)),
        optim=OptimOptions(iters=iters, seed=3),
        runtime=RuntimeOptions(device="cpu", precision="fp32", vgg_weights=vgg),
        io=IOOptions(codec="ffv1"),
    )


def single_and_cluster(options: Options, tmp_path: Path, **cluster) -> tuple[list, list]:
    """The single-machine run's frames and those of the same run on the local cluster."""
    run(options)
    spread = replace(options, output=str(tmp_path / "cluster.mkv"),
                     cluster=ClusterOptions(address="local", **cluster))  # fmt: skip
    run(spread)
    return pictures(tmp_path / "single.mkv"), pictures(tmp_path / "cluster.mkv")


def test_optimization_matches_away_from_seams(
    tmp_path: Path, tiny_vgg: Path, write_png, style_rgb
) -> None:
    source = cut_clip(tmp_path / "in.mp4", frames=16, cuts=())
    options = optimize_options(tmp_path, source, tiny_vgg, write_png("s.png", style_rgb), 2)
    single, cluster = single_and_cluster(options, tmp_path, chunk_frames=8, warmup=6)
    assert len(cluster) == len(single) == 16
    diff = [float(np.abs(a.astype(float) - b).mean()) for a, b in zip(single, cluster, strict=True)]
    # Chunk 1 renders frames 2-15 from the anchor (frame 0's painting, which chunk 0 starts
    # with); frames 2-7 fade from chunk 0's chain into its own. Before the fade the chain
    # is the single run's own; after it, another chain from the same anchor: near, not equal.
    assert diff[:2] == [0.0, 0.0]
    assert max(diff[8:]) < 8, diff
    assert 0 < diff[8], "the chunks were not rendered apart: the test proves nothing"


@pytest.mark.slow
def test_optimization_seam_with_warmup_is_as_coherent_as_inside_chunks(
    tmp_path: Path, tiny_vgg: Path, write_png, style_rgb
) -> None:
    """At an iteration count where chains have settled (30), the warping error of the
    frame pairs across the seam (the fade) is within 1.5x that inside the chunks."""
    from vstyle.metrics import warping_error

    source = cut_clip(tmp_path / "in.mp4", frames=16, cuts=())
    options = optimize_options(tmp_path, source, tiny_vgg, write_png("s.png", style_rgb), 30)
    single, cluster = single_and_cluster(options, tmp_path, chunk_frames=8, warmup=6)
    inputs = probe(source).rgb
    pairs = [warping_error(inputs[i : i + 2], cluster[i : i + 2]).warp_error for i in range(15)]
    alone = [warping_error(inputs[i : i + 2], single[i : i + 2]).warp_error for i in range(15)]
    seam, inside = pairs[1:8], [pairs[0], *pairs[8:]]  # pairs touching the fade, the rest
    assert max(seam) <= 1.5 * max(inside), (seam, inside)
    # The seam's frames are early in their chains, whose error is higher anywhere: the
    # same frames of one unbroken chain (the single run) are the fair measure of the mean.
    assert np.mean(seam) <= 1.5 * np.mean(alone[1:8]), (seam, alone)


def test_plan_anchors_an_optimizers_split_scenes_only(tmp_path: Path, model: Path) -> None:
    from vstyle.cluster.plan import make_plan

    source = cut_clip(tmp_path / "in.mp4", frames=24, cuts=(9, 17))
    options = fast_options(source, tmp_path / "o.mkv", model, address="local")
    optimize = replace(options, method="optimize", fast=FastOptions(),
                       cluster=replace(options.cluster, chunk_frames=7, warmup=2))  # fmt: skip
    plan = make_plan(optimize)
    # Scenes 0-8 and 9-16 are split in two chunks each, 17-23 is one chunk.
    assert [(k.first, k.anchor) for k in plan.chunks] == [
        (0, 0), (4, 0), (9, 9), (13, 9), (17, None)
    ]  # fmt: skip
    assert "from the anchor at 9" in plan.chunks[3].describe()
    assert "anchor" not in plan.chunks[2].describe()  # it starts at its anchor
    stabilized = replace(options, method="fast", fast=replace(options.fast, stabilize=True),
                         cluster=optimize.cluster)  # fmt: skip
    assert all(k.anchor is None for k in make_plan(stabilized).chunks)  # a net's chain forgets


def test_anchor_found_in_the_work_folder_is_not_rendered_again(tmp_path: Path) -> None:
    from vstyle.cluster.plan import Chunk
    from vstyle.cluster.work import anchor_path, render_anchor

    kept = anchor_path(tmp_path, 9)
    kept.write_bytes(b"an anchor made before")
    missing = Options(input=str(tmp_path / "gone.mp4"), output=str(tmp_path / "o.mkv"))
    assert render_anchor(Chunk(2, 9, 13), missing, {}, str(tmp_path)) == b"an anchor made before"


def test_worker_without_the_files_gets_them_from_the_object_store(
    tmp_path: Path, model: Path, tiny_vgg: Path
) -> None:
    from vstyle.cluster import ship
    from vstyle.cluster.work import localize

    elsewhere = tmp_path / "driver-only"
    elsewhere.mkdir()
    copy, weights = elsewhere / "m.vsm", elsewhere / "vgg.pth"
    copy.write_bytes(model.read_bytes())
    weights.write_bytes(tiny_vgg.read_bytes())
    options = Options(fast=FastOptions(model=copy), runtime=RuntimeOptions(vgg_weights=weights))
    shipped = ship(ray, options)
    copy.unlink()  # as on a worker that lacks it; the weights stay: used in place
    here = localize(options, shipped)
    assert here.fast.model != copy and here.fast.model.read_bytes() == model.read_bytes()
    assert here.runtime.vgg_weights == weights
