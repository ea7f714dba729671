"""FlowWindow and TemporalMemory: offsets, bounded memory, warped targets."""

from __future__ import annotations

import pytest
import torch

from vstyle.errors import OptionError
from vstyle.flow import FlowWindow, TemporalMemory, window_offsets
from vstyle.flow.consistency import UNRELIABLE

SHIFT = 1  # px per frame to the right: the content of the fake clip below


def shifting_flow(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """A fake estimator for a clip whose content moves right by SHIFT px per frame.

    Images carry their frame index in channel 0's first pixel, so flow(a, b) can
    be the exact constant (index_b - index_a) * SHIFT in x.
    """
    steps = (b[:, 0, 0, 0] - a[:, 0, 0, 0]).round()
    flow = torch.zeros(a.shape[0], 2, *a.shape[-2:])
    flow[:, 0] = (steps * SHIFT).view(-1, 1, 1)
    return flow


def _frame(index: int) -> torch.Tensor:
    image = torch.zeros(1, 3, 6, 60)
    image[0, 0, 0, 0] = index
    return image


def test_offsets_always_include_one() -> None:
    assert window_offsets((40, 10, 20)) == (1, 10, 20, 40)
    assert window_offsets() == (1,)
    with pytest.raises(OptionError, match="--long-term"):
        window_offsets((0, 3))


def test_flow_window_keeps_only_what_offsets_reach() -> None:
    window = FlowWindow(shifting_flow, (1, 3))
    for i in range(10):
        pairs = window(i, _frame(i))
        assert sorted(pairs) == [j for j in (1, 3) if i - j >= 0]
        assert len(window._inputs) <= 3
    pair = pairs[3]
    assert pair.offset == 3 and pair.backward.shape == (1, 2, 6, 60)
    assert float(pair.forward[0, 0, 0, 0]) == 3 * SHIFT
    assert float(pair.backward[0, 0, 0, 0]) == -3 * SHIFT
    # Only the strip that came from outside the frame is unreliable; the soft weights
    # (Gaussian-blurred labels) are whole again 2 px past it.
    assert (pair.reliability[..., : 3 * SHIFT] < UNRELIABLE).all()
    assert (pair.reliability[..., 3 * SHIFT : 3 * SHIFT + 2] < 1).all()
    assert (pair.reliability[..., 3 * SHIFT + 2 :] == 1).all()


def test_temporal_memory_targets() -> None:
    window, memory = FlowWindow(shifting_flow, (1, 2, 4)), TemporalMemory((1, 2, 4))
    results = {}
    for i in range(8):
        pairs = window(i, _frame(i))
        targets = memory.targets(i, pairs)
        assert [t.offset for t in targets] == [j for j in (1, 2, 4) if i - j >= 0]
        total = sum((t.weight for t in targets), torch.zeros(1, 1, 6, 60))
        assert (total <= 1).all()
        for t in targets:
            # A ramp moved right by j * SHIFT px: warping brings it back exactly.
            expected = torch.roll(results[i - t.offset], t.offset * SHIFT, dims=-1)
            cols = slice(t.offset * SHIFT, None)
            torch.testing.assert_close(t.warped[..., cols], expected[..., cols], atol=1e-5, rtol=0)
        results[i] = torch.arange(60.0).expand(1, 3, 6, 60) + i
        memory.remember(i, results[i])
        assert len(memory) <= 4
    # Pure translation: whatever older frames see, frame i-1 sees too, so it takes it all.
    weights = {t.offset: t.weight for t in targets}
    torch.testing.assert_close(weights[1], pairs[1].reliability)
    assert weights[2].sum() == 0 and weights[4].sum() == 0
