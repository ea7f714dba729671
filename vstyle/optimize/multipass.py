"""Multi-pass refinement of a spooled clip (Ruder, Dosovitskiy & Brox 2016, section 3.3).

After the first (forward, streaming) pass, the clip is processed again in alternating
directions, backward first, ``--pass-iters`` iterations per frame and pass (default 100,
no early stop, as Ruder's ``artistic_video_multiPass.lua``), at the finest scale only
(the first pass ran ``--scales``; a start stylized everywhere needs no coarse pass).
In each pass frame ``i`` starts from its current result blended with the neighbour
just refined in the direction of travel, warped onto it, where the flow is reliable:

    x' = x + δ c (warp(x_neighbour) − x)

(the paper's form; Ruder's code instead averages the current result with both warped
neighbours). From pass ⌈N/2⌉ on, the temporal loss ties the frame to *both*
neighbours, each with its own reliability c: the one just refined and the one behind
(its result from the previous pass). So the per-pixel weights sum to up to 2, where
the paper uses one neighbour with weights up to 1: with the first neighbour alone, two
passes flickered more than one on the test clip (warping error 7.7e-4 vs 5.5e-4), each
frame being pulled towards one neighbour and left free to drift from the other.

Frames, results and flows come from the work folder, so only two frames are in
memory; a pass's results are written frame by frame, so a stopped run resumes mid-pass.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import torch

from ..flow import reliability, warp
from ..frames import Frame, to_array
from .stylizer import FrameOptimizer
from .temporal import quantized, temporal_extra, temporal_on
from .workdir import WorkDir


def neighbour_on(
    work: WorkDir, position: int, neighbour: torch.Tensor, forward: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    """The neighbour's result warped onto frame ``position``, and the reliability there.

    Args:
        neighbour: (1, 3, H, W) result of frame ``position - 1`` (forward travel) or
            ``position + 1`` (backward travel).

    Returns:
        (warped (1, 3, H, W), c (1, 1, H, W) in [0, 1]), both on frame ``position``'s grid.
    """
    # The flows stored at k are between frames k-1 and k: forward lives on k-1's grid.
    fwd, bwd = work.read_flow(position if forward else position + 1)
    fwd, bwd = (torch.from_numpy(f)[None].to(neighbour.device) for f in (fwd, bwd))
    if forward:
        return warp(neighbour, bwd), reliability(fwd, bwd)
    return warp(neighbour, fwd), reliability(bwd, fwd)


def refine(
    opt: FrameOptimizer,
    work: WorkDir,
    pass_number: int,
    position: int,
    neighbour: torch.Tensor | None,
    count: int,
) -> torch.Tensor:
    """Frame ``position`` in pass ``pass_number`` of a ``count``-frame clip.

    ``opt`` is the :class:`~.video.VideoOptimizer` (its ``record`` takes the pass).

    Args:
        neighbour: (1, 3, H, W) this pass's result of the frame before in the direction
            of travel, or None for the pass's first frame.

    Returns:
        (1, 3, H, W) the new result in [0, 1].
    """
    forward = pass_number % 2 == 1
    o = opt.options
    content = work.read_png("input", position)
    current = quantized(work.read_png(f"pass{pass_number - 1}", position), opt.runtime)
    init, targets = current, []
    if neighbour is not None:
        warped, c = neighbour_on(work, position, neighbour, forward)
        init = current + o.temporal.blend * c * (warped - current)
        targets.append((warped, c))
    behind = position + (1 if forward else -1)  # the neighbour not yet refined in this pass
    if 0 <= behind < count:
        older = quantized(work.read_png(f"pass{pass_number - 1}", behind), opt.runtime)
        targets.append(neighbour_on(work, position, older, not forward))
    extra = None
    if targets and temporal_on(o, pass_number):
        warped_list, weights = zip(*targets, strict=True)
        extra = temporal_extra(warped_list, weights, o.temporal.weight, o.style.preserve_color)
    frame = work.frame(position, content)
    start = time.perf_counter()
    if opt.photo is not None:
        opt.photo.select(position)  # its own mask when the mask is a video
    image, result = opt.stylize(
        content, init, extra, o.temporal.pass_iters, stop_early=False, coarse=False
    )
    opt.record(frame, result, time.perf_counter() - start, pass_number)
    return image


def run_pass(opt: FrameOptimizer, work: WorkDir, pass_number: int, count: int) -> None:
    """Pass ``pass_number`` over all ``count`` frames, skipping those already on disk."""
    forward = pass_number % 2 == 1
    order = range(count) if forward else range(count - 1, -1, -1)
    kind = f"pass{pass_number}"
    neighbour = None
    for position in order:
        rgb = work.read_png(kind, position)
        if rgb is None:
            rgb = to_array(refine(opt, work, pass_number, position, neighbour, count))
            work.write_png(kind, position, rgb)
        neighbour = quantized(rgb, opt.runtime)


def later_passes(opt: FrameOptimizer, work: WorkDir) -> Iterator[Frame]:
    """Passes 2..N (those not yet complete), then the final frames in order."""
    progress = work.progress
    count, passes = progress["frames"], opt.options.temporal.passes
    for number in range(progress["passes_done"] + 1, passes + 1):
        run_pass(opt, work, number, count)
        work.finish_pass(number, count)
    for position in range(count):
        yield work.frame(position, work.read_png(f"pass{passes}", position))
