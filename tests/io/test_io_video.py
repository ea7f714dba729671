"""Video fidelity through ``--method copy``: rate, timestamps, rotation, sizes, colours."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from io_clips import picture, probe, psnr, vfr_times

COPY = ("--method", "copy", "-q")


def test_exact_rate_count_and_timestamps(clip, vstyle, tmp_path):
    src = clip("in.mp4", frames=15, rate=Fraction(30000, 1001))
    out = tmp_path / "out.mp4"
    assert vstyle(src, out, *COPY) == (0, "")
    a, b = probe(src), probe(out)
    assert b.rate == Fraction(30000, 1001)
    assert len(b.times) == 15
    assert b.times == a.times


@pytest.mark.parametrize("ext", ["mp4", "mkv"])
def test_variable_frame_rate_kept(clip, vstyle, tmp_path, ext):
    src = clip("vfr.mkv", frames=12, vfr=True)
    out = tmp_path / f"out.{ext}"
    assert vstyle(src, out, *COPY)[0] == 0
    assert probe(out).times == [Fraction(t, 1000) for t in vfr_times(12)]


def test_rotation_is_applied_and_output_upright(clip, vstyle, tmp_path):
    src = clip("rot.mkv", frames=3, codec="ffv1", pix_fmt="bgr0", rotation=90)
    out = tmp_path / "out.mkv"
    assert vstyle(src, out, *COPY, "--codec", "ffv1")[0] == 0
    result = probe(out)
    assert (result.width, result.height, result.rotation) == (48, 64, 0)
    # The display matrix turns the stored picture 90 degrees counterclockwise.
    assert np.array_equal(result.rgb[0], np.rot90(picture(0, 64, 48)))


def test_odd_size_is_padded_for_x264_and_kept_elsewhere(clip, vstyle, tmp_path):
    src = clip("odd.mkv", frames=4, size=(63, 47), codec="ffv1", pix_fmt="bgr0")
    x264, vp9, ffv1 = tmp_path / "o.mp4", tmp_path / "o.webm", tmp_path / "o.mkv"
    assert vstyle(src, x264, *COPY)[0] == 0
    assert vstyle(src, vp9, *COPY)[0] == 0
    assert vstyle(src, ffv1, *COPY, "--codec", "ffv1")[0] == 0
    padded = probe(x264)
    assert (padded.width, padded.height) == (64, 48)
    # The padding repeats the last column and row; cropping it gives the picture back.
    assert psnr(padded.rgb[1][:47, :63], picture(1, 63, 47)) > 33
    assert psnr(padded.rgb[1][:, 63], padded.rgb[1][:, 62]) > 30
    assert (probe(vp9).width, probe(vp9).height) == (63, 47)
    assert np.array_equal(probe(ffv1).rgb[2], picture(2, 63, 47))


@pytest.mark.parametrize("space", [6, 1], ids=["bt601", "bt709"])
def test_colour_matrix_and_range_kept(clip, vstyle, tmp_path, space):
    src = clip("c.mkv", frames=2, codec="ffv1", pix_fmt="yuv444p", colorspace=space, color_range=1)
    out = tmp_path / "out.mkv"
    assert vstyle(src, out, *COPY, "--codec", "ffv1", "--pix-fmt", "yuv444p")[0] == 0
    result = probe(out)
    assert (result.colorspace, result.color_range) == (space, 1)
    # Decoded with the matching matrix both ways, the picture survives closely.
    assert psnr(result.rgb[0], picture(0, 64, 48)) > 40


def test_untagged_hd_is_read_as_bt709(clip, tmp_path):
    from vstyle.io.source import VideoSource
    from vstyle.options import IOOptions

    src = clip("hd.mkv", frames=1, size=(64, 720), codec="ffv1", pix_fmt="yuv444p")
    with VideoSource(str(src), IOOptions()) as source:
        assert source.info.color["space"] == 1
    small = clip("sd.mkv", frames=1, codec="ffv1", pix_fmt="yuv444p")
    with VideoSource(str(small), IOOptions()) as source:
        assert source.info.color["space"] == 6


def test_sample_aspect_ratio_kept(clip, vstyle, tmp_path):
    src = clip("sar.mkv", frames=2, sar=Fraction(4, 3))
    out = tmp_path / "out.mp4"
    assert vstyle(src, out, *COPY)[0] == 0
    assert probe(out).sar == Fraction(4, 3)


def test_ffv1_round_trip_is_bit_exact(clip, vstyle, tmp_path):
    # A lossy yuv420p source, compared with its own decode; Matroska keeps times in ms.
    src = clip("in.mp4", frames=10)
    out = tmp_path / "out.mkv"
    assert vstyle(src, out, *COPY, "--codec", "ffv1")[0] == 0
    a, b = probe(src), probe(out)
    assert max(abs(x - y) for x, y in zip(a.times, b.times, strict=True)) <= Fraction(1, 1000)
    assert all(np.array_equal(x, y) for x, y in zip(a.rgb, b.rgb, strict=True))


def test_x264_round_trip_above_40_db(clip, vstyle, tmp_path):
    # Exact RGB in (ffv1), default libx264 crf 18 yuv420p out, against the true pictures.
    src = clip("in.mkv", frames=10, size=(128, 96), codec="ffv1", pix_fmt="bgr0")
    out = tmp_path / "out.mp4"
    assert vstyle(src, out, *COPY)[0] == 0
    result = probe(out)
    assert result.codec == "h264"
    assert min(psnr(x, picture(i, 128, 96)) for i, x in enumerate(result.rgb)) > 40


def test_processing_size_and_back_to_source(clip, vstyle, tmp_path):
    src = clip("in.mp4", frames=3)
    for args, size in [
        (("--max-side", "32"), (32, 24)),
        (("--size", "40x30"), (40, 30)),
        (("--max-side", "32", "--output-size", "source"), (64, 48)),
    ]:
        out = tmp_path / f"out{size[0]}-{len(args)}.mkv"
        assert vstyle(src, out, *COPY, *args)[0] == 0
        assert (probe(out).width, probe(out).height) == size


def test_time_range(clip, vstyle, tmp_path):
    src = clip("in.mkv", frames=30, rate=Fraction(30), audio="aac")
    cut, first = tmp_path / "cut.mkv", tmp_path / "first.mkv"
    assert vstyle(src, cut, *COPY, "--start", "0.5", "--duration", "0.4")[0] == 0
    assert vstyle(src, first, *COPY, "--frames", "5")[0] == 0
    trimmed = probe(cut)
    assert len(trimmed.times) == 12  # frames at 0.5 s ... 0.8667 s
    assert trimmed.times[0] == 0
    assert abs(trimmed.audio[0]["seconds"] - 0.4) <= trimmed.audio[0]["frame"]
    five = probe(first)
    assert len(five.times) == 5
    assert abs(five.audio[0]["seconds"] - 5 / 30) <= five.audio[0]["frame"]
