"""Region masks: each content region painted from its own style region; bad masks refused."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from vstyle.cli import app
from vstyle.device import Runtime
from vstyle.errors import InputError, OptionError
from vstyle.frames import to_array
from vstyle.optimize.stylizer import FrameOptimizer
from vstyle.options import (
    LossOptions,
    OptimOptions,
    Options,
    PhotoOptions,
    RuntimeOptions,
    StyleOptions,
)
from vstyle.photo.regions import labels, parse_colour

CPU = Runtime(torch.device("cpu"), "fp32")
RED, BLUE = (255, 0, 0), (0, 0, 255)
GREENISH, PURPLE = np.array([40, 200, 60]), np.array([180, 30, 200])


def halves(height: int, width: int, left, right, vertical: bool = True) -> np.ndarray:
    out = np.zeros((height, width, 3), np.uint8)
    if vertical:
        out[:, : width // 2], out[:, width // 2 :] = left, right
    else:
        out[: height // 2], out[height // 2 :] = left, right
    return out


def textured(height: int, width: int, colour: np.ndarray, seed: int) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(0, 25, (height, width, 3))
    return (colour + noise).clip(0, 255).astype(np.uint8)


@pytest.fixture
def scene(write_png, tiny_vgg) -> dict[str, Path]:
    """Content: one flat grey (mask: red left half, blue right half). Style: a green top
    half (mask red) and a purple bottom half (mask blue). Only the masks tell the halves
    apart."""
    content = np.full((48, 64, 3), 128, np.uint8)
    style = np.concatenate([textured(32, 64, GREENISH, 1), textured(32, 64, PURPLE, 2)])
    return {
        "content": write_png("content.png", content),
        "style": write_png("style.png", style),
        "content_mask": write_png("cmask.png", halves(48, 64, RED, BLUE)),
        "style_mask": write_png("smask.png", halves(64, 64, RED, BLUE, vertical=False)),
        "weights": tiny_vgg,
    }


def options(scene, iters: int = 40, **photo) -> Options:
    return Options(
        style=StyleOptions(paths=(scene["style"],)),
        loss=LossOptions(content_weight=0.05, tv_weight=0.0),
        optim=OptimOptions(iters=iters, init="random"),
        runtime=RuntimeOptions(device="cpu", precision="fp32", vgg_weights=scene["weights"]),
        photo=PhotoOptions(**photo),
    )


def region_means(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean colour of the left and right halves, away from the border between them."""
    w = image.shape[1]
    return image[:, : w // 2 - 6].reshape(-1, 3).mean(0), image[:, w // 2 + 6 :].reshape(
        -1, 3
    ).mean(0)


def nearer(colour: np.ndarray, a: np.ndarray, b: np.ndarray) -> bool:
    return np.linalg.norm(colour - a) < np.linalg.norm(colour - b)


def test_each_region_takes_its_own_style_region(scene) -> None:
    from vstyle.io.image import read_image

    content = read_image(scene["content"])
    opts = options(scene, content_mask=scene["content_mask"], style_mask=scene["style_mask"])
    left, right = region_means(to_array(FrameOptimizer(opts, CPU).stylize(content)[0]))
    assert nearer(left, GREENISH, PURPLE), (left, right)
    assert nearer(right, PURPLE, GREENISH), (left, right)
    # Without masks both halves take the same blend of both: no such split.
    l0, r0 = region_means(to_array(FrameOptimizer(options(scene), CPU).stylize(content)[0]))
    axis = GREENISH - PURPLE
    assert (left - right) @ axis > 3 * abs((l0 - r0) @ axis), (left, right, l0, r0)


def test_region_style_picture(scene, write_png) -> None:
    from vstyle.io.image import read_image

    green_path = write_png("green.png", textured(32, 32, GREENISH, 3))
    opts = options(
        scene,
        content_mask=scene["content_mask"],
        region_styles=(("#0000ff", green_path), ("red", scene["style"])),
    )
    content = read_image(scene["content"])
    left, right = region_means(to_array(FrameOptimizer(opts, CPU).stylize(content)[0]))
    # Its own, all-green picture makes the right half greener than the left (both styles).
    assert (right - left) @ (GREENISH - PURPLE) > 0.03 * np.linalg.norm(GREENISH - PURPLE) ** 2, (
        left,
        right,
    )


def test_missing_label_falls_back_with_a_warning(scene, write_png, caplog) -> None:
    from vstyle.io.image import read_image

    style_mask = write_png("only_red.png", halves(64, 64, RED, RED))
    opts = options(scene, 1, content_mask=scene["content_mask"], style_mask=style_mask)
    with caplog.at_level(logging.WARNING, logger="vstyle.photo.regions"):
        FrameOptimizer(opts, CPU).stylize(read_image(scene["content"]))
    assert any("#0000ff" in r.getMessage() for r in caplog.records), caplog.text


def test_bad_masks(scene, write_png, tmp_path) -> None:
    from vstyle.io.image import read_image

    content = read_image(scene["content"])
    wrong = write_png("wide.png", np.zeros((16, 64, 3), np.uint8))
    with pytest.raises(InputError, match="--style-mask .* is 64x16 but the style is 64x64"):
        FrameOptimizer(options(scene, 1, content_mask=scene["content_mask"], style_mask=wrong), CPU)
    with pytest.raises(InputError, match="--content-mask .* is 64x16 but the content is 64x48"):
        FrameOptimizer(options(scene, 1, content_mask=wrong), CPU).stylize(content)
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not a picture")
    with pytest.raises(InputError, match="--content-mask"):
        FrameOptimizer(options(scene, 1, content_mask=junk), CPU)
    three = write_png("three.png", halves(64, 64, RED, (0, 255, 0), vertical=False))
    with pytest.raises(InputError, match="label #00ff00 is not in --content-mask"):
        FrameOptimizer(options(scene, 1, content_mask=scene["content_mask"], style_mask=three), CPU)
    with pytest.raises(OptionError, match="--region-style colour 'nope'"):
        parse_colour("nope")
    with pytest.raises(OptionError, match="--style-mask needs --content-mask"):
        PhotoOptions(style_mask=wrong)


def test_cli_bad_mask_is_one_line(scene, tiny_vgg_env, tmp_path) -> None:
    out = tmp_path / "o.png"
    args = [str(scene["content"]), str(out), "-s", str(scene["style"]), "--iters", "1"]
    missing = CliRunner().invoke(app, [*args, "--content-mask", str(tmp_path / "none.png")])
    lines = [line for line in missing.output.splitlines() if line.strip()]
    assert missing.exit_code != 0 and len(lines) == 1 and "--content-mask" in lines[0], lines
    bad = CliRunner().invoke(app, [*args, "--content-mask", str(scene["content_mask"]),
                                   "--region-style", "red"])  # fmt: skip
    assert bad.exit_code != 0 and "must be COLOUR=picture" in bad.output


def test_labels_snap_edge_noise() -> None:
    mask = halves(40, 40, RED, BLUE)
    mask[0, 0] = (250, 5, 5)  # one stray pixel of a near colour
    found = labels(mask)
    assert set(found) == {RED, BLUE}
    assert found[RED].sum() == 20 * 40 and found[BLUE].sum() == 20 * 40


def test_masks_with_photo_and_video_frames(scene) -> None:
    from vstyle.frames import Frame
    from vstyle.io.image import read_image

    opts = options(scene, 1, enabled=True, content_mask=scene["content_mask"])
    content = read_image(scene["content"])
    out = list(FrameOptimizer(replace(opts), CPU)([Frame(0, content), Frame(1, content)]))
    assert [f.rgb.shape for f in out] == [(48, 64, 3)] * 2


def write_lossless_clip(
    path: Path, frames: list[np.ndarray], codec: str = "ffv1", pix_fmt: str = "bgr0"
) -> Path:
    """Frames as a clip; FFV1 in RGB (bgr0), the default, gives mask colours back exactly."""
    import av

    with av.open(str(path), "w") as out:
        video = out.add_stream(codec, rate=25)
        video.height, video.width = frames[0].shape[:2]
        video.pix_fmt = pix_fmt
        for i, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode())
    return path


def test_mask_video_gives_each_frame_its_own_mask(scene, tmp_path) -> None:
    from vstyle.frames import Frame
    from vstyle.io.image import read_image

    # Frame 0: red (green style) on the left; frame 1: the halves swapped.
    masks = [halves(48, 64, RED, BLUE), halves(48, 64, BLUE, RED)]
    clip = write_lossless_clip(tmp_path / "masks.mkv", masks)
    opts = options(scene, content_mask=clip, style_mask=scene["style_mask"])
    content = read_image(scene["content"])
    opt = FrameOptimizer(opts, CPU)
    first, second = (f.rgb for f in opt([Frame(0, content), Frame(1, content)]))
    left0, right0 = region_means(first)
    left1, right1 = region_means(second)
    assert nearer(left0, GREENISH, PURPLE) and nearer(right0, PURPLE, GREENISH)
    assert nearer(left1, PURPLE, GREENISH) and nearer(right1, GREENISH, PURPLE)


def test_mask_video_of_another_frame_count(scene, tmp_path, tiny_vgg_env) -> None:
    from vstyle.photo.terms import PhotoTerms

    masks = [halves(48, 64, RED, BLUE), halves(48, 64, BLUE, RED)]
    clip = write_lossless_clip(tmp_path / "masks.mkv", masks)
    opt = FrameOptimizer(options(scene, 1, content_mask=clip), CPU)
    assert isinstance(opt.photo, PhotoTerms)
    opt.photo.check_frames(2)  # the same count: fine
    with pytest.raises(InputError, match="has 2 frames but the input has 3"):
        opt.photo.check_frames(3)
    with pytest.raises(InputError, match="has 2 frames but the input has more"):
        opt.photo.select(2)
    # Through the CLI: a 3-frame input, a one-line error naming both counts.
    content = read_image_of(scene)
    # (in MP4, whose frame count is known before decoding: refused before any work)
    video = write_lossless_clip(tmp_path / "in.mp4", [content] * 3, "libx264", "yuv420p")
    out = tmp_path / "o.mp4"
    args = [str(video), str(out), "-s", str(scene["style"]), "--iters", "1",
            "--content-mask", str(clip), "-q"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code != 0 and len(lines) == 1, result.output
    assert "has 2 frames but the input has 3" in lines[0]


def read_image_of(scene) -> np.ndarray:
    from vstyle.io.image import read_image

    return read_image(scene["content"])
