"""``--cluster`` refusals, each one line: no Ray (names the extra), no cluster at the
address, bad cluster options, ``--cuts`` files that are not frame numbers. No Ray
instance is started here."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.cluster.clips import cut_clip
from tests.test_cli_image import one_line_error
from vstyle.cli import app
from vstyle.cluster.plan import Chunk, Cost, Plan, estimate, read_cuts, split
from vstyle.errors import InputError

runner = CliRunner()


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return cut_clip(tmp_path / "in.mp4", frames=8, cuts=(4,))


def test_without_ray_names_the_extra(clip: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray raises ImportError
    result = invoke(clip, tmp_path / "o.mkv", "--method", "copy", "--cluster", "local")
    one_line_error(result, "--cluster", "pip install 'vstyle[cluster]'")
    assert not (tmp_path / "o.mkv").exists()


def test_unreachable_cluster_is_one_line(clip: Path, tmp_path: Path, monkeypatch) -> None:
    ray = pytest.importorskip("ray", reason="the 'cluster' extra (ray) is not installed")
    if ray.is_initialized():
        pytest.skip("a Ray instance is running in this process; 'auto' would join it")
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    # 'auto' finds a running instance through a file under the Ray temp folder: point
    # that at an empty folder, so there is none.
    monkeypatch.setenv("RAY_TMPDIR", str(tmp_path / "no-ray"))
    result = invoke(clip, tmp_path / "o.mkv", "--method", "copy", "--cluster", "auto")
    one_line_error(result, "--cluster auto", "ray start --head")
    assert not ray.is_initialized()


@pytest.mark.parametrize(
    "args, words",
    [
        (["--cluster", "ray://nohost"], ["--cluster 'ray://nohost'", "ray://HOST:PORT"]),
        (["--plan"], ["--plan", "--cluster"]),
        (["--cluster", "local", "--chunk-frames", "0"], ["--chunk-frames 0"]),
        (["--cluster", "local", "--warmup", "-1"], ["--warmup -1"]),
    ],
)
def test_bad_cluster_options_are_one_line(args, words, clip: Path, tmp_path: Path) -> None:
    one_line_error(invoke(clip, tmp_path / "o.mkv", "--method", "copy", *args), *words)


def test_cuts_file_is_read_or_refused(tmp_path: Path) -> None:
    good = tmp_path / "cuts.txt"
    good.write_text("# from the edit\n120, 48\n0 48 9999\n")
    assert read_cuts(good, 500) == [48, 120]
    bad = tmp_path / "bad.txt"
    bad.write_text("48 00:00:05.000\n")
    with pytest.raises(InputError, match="'00:00:05.000'"):
        read_cuts(bad, 500)


def test_estimate_spreads_chunks_over_workers() -> None:
    times = [i / 24 for i in range(100)]
    chunks = split(times, [40], chunk_frames=20, warmup=5, whole=False)
    plan = Plan(tuple(times), (40,), tuple(chunks))
    cost = Cost(frame=1.0, chunk=2.0)
    rendered = sum(k.rendered for k in chunks)
    assert estimate(plan, cost, 1) == pytest.approx(rendered + 2.0 * len(chunks))
    many = estimate(plan, cost, 64)  # more workers than chunks: the longest chunk
    assert many == pytest.approx(max(k.rendered for k in chunks) + 2.0)
    assert many < estimate(plan, cost, 2) < estimate(plan, cost, 1)
    # Multi-pass keeps each scene whole.
    whole = split(times, [40], chunk_frames=20, warmup=5, whole=True)
    assert [(k.first, k.end, k.warmup) for k in whole] == [(0, 40, 0), (40, 100, 0)]
    assert isinstance(whole[0], Chunk)


def test_chunk_file_travels_back_when_the_folder_is_not_shared(
    clip: Path, tmp_path: Path, monkeypatch
) -> None:
    """A worker whose work folder the driver cannot read sends a small chunk back through
    Ray (its bytes in the Done); a large one is refused in one line naming --work-dir."""
    from vstyle.cluster import work
    from vstyle.errors import ClusterError
    from vstyle.options import IOOptions, Options

    options = Options(input=str(clip), method="copy", io=IOOptions(codec="ffv1"))
    worker, driver = tmp_path / "worker" / "chunks", tmp_path / "driver"  # the worker's: new
    driver.mkdir()
    done = work.render_chunk(Chunk(1, 4, 8), options, {}, str(worker))
    made = Path(done.path).read_bytes()
    assert done.data == made and len(made) > 0
    Path(done.path).unlink()  # as the driver, on another machine, sees it
    here = work.received(done, driver)
    assert Path(here.path).parent == driver and Path(here.path).read_bytes() == made
    assert here.data is None  # not kept in memory for the assembly
    monkeypatch.setattr(work, "SENT_BACK", len(made) - 1)
    big = work.render_chunk(Chunk(1, 4, 8), options, {}, str(worker))
    assert big.data is None
    Path(big.path).unlink()
    with pytest.raises(ClusterError, match="--work-dir a folder every machine shares"):
        work.received(big, tmp_path / "elsewhere")
