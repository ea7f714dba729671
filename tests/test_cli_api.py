"""The CLI and the Python API agree (issue 8, point 5): the same defaults, read from
the options module, and the same initialization policy, decided in the core."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from tests.io.io_clips import make_clip
from vstyle import options as opts
from vstyle.cli import app
from vstyle.io.image import read_image
from vstyle.options import (
    OptimOptions,
    Options,
    RuntimeOptions,
    SizeOptions,
    StyleOptions,
    TemporalOptions,
)

runner = CliRunner()


def test_cli_without_options_builds_the_dataclass_defaults(tmp_path, monkeypatch) -> None:
    import vstyle.pipeline

    seen: list[Options] = []

    def capture(options: Options, hooks: object = None) -> vstyle.pipeline.Report:
        seen.append(options)
        return vstyle.pipeline.Report()

    monkeypatch.setattr(vstyle.pipeline, "run", capture)
    style = tmp_path / "s.png"
    result = runner.invoke(app, ["in.mp4", "out.mp4", "-s", str(style), "-q"])
    assert result.exit_code == 0, result.output
    assert seen == [Options(input="in.mp4", output="out.mp4", style=StyleOptions(paths=(style,)))]


CHOICES = {
    "--loss": opts.LOSS_KINDS,
    "--method": opts.METHODS,
    "--optimizer": opts.OPTIMIZERS,
    "--init": opts.INITS,
    "--output-size": opts.OUTPUT_SIZES,
    "--device": opts.DEVICES,
    "--precision": opts.PRECISIONS,
    "--input-format": opts.INPUT_FORMATS,
    "--flow": opts.FLOWS,
}


@pytest.mark.parametrize(("flag", "choices"), CHOICES.items())
def test_help_lists_the_choices_of_the_options_module(flag: str, choices) -> None:
    command = typer.main.get_command(app).commands["run"]
    param = next(p for p in command.params if flag in p.opts)
    assert ", ".join(choices) in param.help, param.help
    text = re.sub(r"\s+", "", runner.invoke(app, ["run", "--help"]).output)
    assert re.sub(r"\s+", "", param.help) in text


@pytest.fixture
def clip_and_style(tmp_path: Path, style_rgb, write_png, vgg_env) -> tuple[Path, Path]:
    return make_clip(tmp_path / "in.mp4", frames=3, size=(48, 32)), write_png("s.png", style_rgb)


def frames_in(folder: Path) -> list[np.ndarray]:
    return [read_image(p) for p in sorted(folder.glob("f_*.png"))]


def test_cli_and_api_start_a_video_the_same_way(tmp_path, clip_and_style, monkeypatch) -> None:
    from vstyle import pipeline
    from vstyle.optimize.video import VideoOptimizer

    inits: list[str | None] = []
    original = VideoOptimizer.__init__

    def spy(self, options: Options, *args: object, **kwargs: object) -> None:
        inits.append(options.optim.init)
        original(self, options, *args, **kwargs)

    monkeypatch.setattr(VideoOptimizer, "__init__", spy)
    clip, style = clip_and_style
    for name in ("cli", "api", "content"):
        (tmp_path / name).mkdir()
    result = runner.invoke(app, [str(a) for a in (
        clip, tmp_path / "cli" / "f_%02d.png", "-s", style, "--iters", 2, "--first-iters", 2,
        "--device", "cpu", "-q")])  # fmt: skip
    assert result.exit_code == 0, result.output

    def api(folder: str, init: str | None) -> None:
        pipeline.run(
            Options(
                input=clip,
                output=tmp_path / folder / "f_%02d.png",
                style=StyleOptions(paths=(style,)),
                optim=OptimOptions(iters=2, init=init),
                temporal=TemporalOptions(first_iters=2),
                runtime=RuntimeOptions(device="cpu"),
                size=SizeOptions(),
            )
        )

    api("api", None)
    api("content", "content")
    assert inits == ["prev-warped", "prev-warped", "content"]
    cli, python, content = (frames_in(tmp_path / n) for n in ("cli", "api", "content"))
    assert len(cli) == len(python) == 3
    assert all(np.array_equal(a, b) for a, b in zip(cli, python, strict=True))
    # The policy changes the result: later frames differ when started from the content.
    assert np.array_equal(cli[0], content[0])
    assert not np.array_equal(cli[2], content[2])


IO_DEFAULTS = {
    "--codec": [opts.DEFAULT_CODEC, opts.CONTAINER_CODECS["webm"]],
    "--pix-fmt": [opts.DEFAULT_PIX_FMT],
    "--input-pix-fmt": [opts.DEFAULT_PIX_FMT],
    "--input-rate": [str(opts.DEFAULT_RATE)],
    "--output-format": [", ".join(opts.STDOUT_FORMATS), f"Default: {opts.STDOUT_FORMATS[0]}"],
}


@pytest.mark.parametrize(("flag", "values"), IO_DEFAULTS.items())
def test_io_defaults_in_the_help_come_from_the_options_module(flag: str, values) -> None:
    command = typer.main.get_command(app).commands["run"]
    param = next(p for p in command.params if flag in p.opts)
    assert all(v in param.help for v in values), param.help
    # ... and are not copied there as literals, to drift when the defaults change.
    source = (Path(opts.__file__).parent / "cli" / "run.py").read_text()
    for value in (opts.DEFAULT_CODEC, opts.DEFAULT_PIX_FMT, f"({opts.DEFAULT_RATE})"):
        assert value not in source


def test_io_uses_the_defaults_it_documents() -> None:
    from vstyle.io.formats import choose_codec, choose_pix_fmt, output_kind

    assert choose_codec(output_kind("o.mkv", None), None, ".mkv") == opts.DEFAULT_CODEC
    assert choose_codec(output_kind("o.webm", None), None, ".webm") == opts.CONTAINER_CODECS["webm"]
    assert choose_pix_fmt(opts.DEFAULT_CODEC, None) == opts.DEFAULT_PIX_FMT
    assert output_kind("-", None).format == opts.STDOUT_FORMATS[0]
