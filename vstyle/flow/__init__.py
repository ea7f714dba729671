"""Optical flow for temporal coherence: estimators, warping, reliability, a frame window.

Convention: ``flow(a, b)`` maps each pixel ``p`` of ``a`` to ``p + flow(p)`` in ``b``
((B, 2, H, W), x then y, pixels). ``warp(x_a, flow(b, a))`` puts ``x_a`` on ``b``'s grid.
"""

from __future__ import annotations

from .consistency import disocclusion, motion_boundary, reliability
from .estimators import FlowFn, OpenCVFlow, flow_pair, make_flow
from .files import FlowDir, flow_source
from .flo import read_flo, write_flo
from .memory import FlowPair, FlowWindow, TemporalMemory, TemporalTarget, window_offsets
from .prefetch import FlowItem, background_map, prefetch_flows
from .warp import inside, warp

__all__ = [
    "FlowDir",
    "FlowFn",
    "FlowItem",
    "FlowPair",
    "FlowWindow",
    "OpenCVFlow",
    "TemporalMemory",
    "TemporalTarget",
    "background_map",
    "disocclusion",
    "flow_pair",
    "flow_source",
    "inside",
    "make_flow",
    "motion_boundary",
    "prefetch_flows",
    "read_flo",
    "reliability",
    "warp",
    "window_offsets",
    "write_flo",
]
