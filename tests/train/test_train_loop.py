"""A tiny training run end to end: the loss falls, the model loads with its options,
checkpoints resume bit for bit, and video clips bring in the temporal term."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from tests.train.conftest import variant
from vstyle.errors import InputError, OptionError
from vstyle.nets.modelfile import load_model
from vstyle.train import train
from vstyle.train.checkpoint import checkpoint_dir, steps_saved


def smoothed(losses: list[float], window: int = 6) -> tuple[float, float]:
    """Mean of the first and of the last ``window`` losses."""
    return sum(losses[:window]) / window, sum(losses[-window:]) / window


def test_loss_falls_and_model_loads_with_its_options(tiny) -> None:
    steps = []
    # Batch 4: with 2 the batch-to-batch spread hides the trend over 20 steps (ratios
    # 0.65-0.74 over seeds 0-4 at 4, 0.69-1.01 at 2, windows of 6).
    result = train(variant(tiny, batch=4), steps.append)
    early, late = smoothed(result.losses)
    assert late < 0.85 * early, result.losses
    assert [s.step for s in steps] == list(range(1, 21))
    assert set(steps[0].terms) == {"content", "style", "tv", "noise"}  # no video: no temporal
    net, info = load_model(tiny.out)
    trained = info.origin["trained"]
    assert (info.layout, info.width) == ("vstyle", 0.25)
    assert trained["batch"] == 4 and trained["size"] == 32 and trained["steps_done"] == 20
    assert trained["content_layer"] == "relu2_2" and trained["data"] == str(tiny.data)
    assert info.style_name == "style.png" and info.style_thumbnail
    out = net(torch.rand(1, 3, 37, 29))  # any size, also odd ones
    assert out.shape == (1, 3, 37, 29)


def test_checkpoints_are_safetensors_and_json_with_previews(tiny) -> None:
    train(variant(tiny, steps=12, checkpoint_every=4))
    folder = checkpoint_dir(tiny.out)
    assert steps_saved(folder) == [4, 8, 12]
    assert sorted(p.name for p in folder.glob("*.png")) == [
        "step-0000004.png", "step-0000008.png", "step-0000012.png"
    ]  # fmt: skip
    tensors = load_file(str(folder / "step-0000012.safetensors"))
    assert any(k.startswith("optim.") for k in tensors) and any(
        k.startswith("net.") for k in tensors
    )
    meta = json.loads((folder / "step-0000012.json").read_text())
    assert meta["step"] == 12 and meta["options"]["seed"] == 0


def test_resume_continues_bit_for_bit(tiny, tmp_path) -> None:
    """An interrupted run resumed from its checkpoint ends with exactly the weights and
    losses of the uninterrupted run (same device and thread count)."""
    whole = train(variant(tiny, steps=6, out=tmp_path / "whole.vsm"))
    half = variant(tiny, steps=3, out=tmp_path / "split.vsm")
    first = train(half)
    second = train(variant(half, steps=6, resume=True))
    assert second.first_step == 3 and len(second.losses) == 3
    assert first.losses + second.losses == whole.losses
    a, _ = load_model(whole.model)
    b, _ = load_model(second.model)
    for (name, x), y in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(x, y), name


def test_resume_refuses_changed_options_and_missing_checkpoints(tiny) -> None:
    with pytest.raises(InputError, match="no checkpoint"):
        train(variant(tiny, resume=True))
    train(variant(tiny, steps=2))
    with pytest.raises(OptionError, match="--batch 2, this run has 3"):
        train(variant(tiny, steps=4, batch=3, resume=True))
    with pytest.raises(OSError, match="--resume to continue"):  # neither flag: refused
        train(variant(tiny, steps=4, out=tiny.out))


def test_video_clips_add_the_temporal_term(tiny, clip_folder) -> None:
    steps = []
    train(variant(tiny, data=clip_folder, steps=2), steps.append)
    assert set(steps[0].terms) == {"content", "style", "tv", "noise", "temporal"}
    assert steps[0].terms["temporal"] > 0
    off = []
    train(variant(tiny, data=clip_folder, steps=1, temporal_weight=0, overwrite=True), off.append)
    assert "temporal" not in off[0].terms


def test_step_inputs_depend_on_seed_and_step_only(tiny, clip_folder) -> None:
    """Inputs made ahead on the worker thread equal inputs made on demand, step by step."""
    from vstyle.flow import make_flow
    from vstyle.train.data import TrainingData
    from vstyle.train.inputs import make_inputs, step_inputs

    data = TrainingData(clip_folder, 32, 2)
    data.add_flows(make_flow("dis"))
    ahead = list(step_inputs(data, 3, 5, seed=1, noise=True))
    assert [i.step for i in ahead] == [3, 4, 5]
    alone = make_inputs(data, 4, seed=1, noise=True)
    assert torch.equal(ahead[1].images, alone.images) and torch.equal(ahead[1].noisy, alone.noisy)
    assert torch.equal(ahead[1].weight, alone.weight)
    other = make_inputs(data, 4, seed=2, noise=True)
    assert not torch.equal(other.images, alone.images)


def test_ctrl_c_checkpoints_the_step_under_way_and_resumes_exactly(tiny, tmp_path) -> None:
    import os
    import signal

    from vstyle.errors import Interrupted

    whole = train(variant(tiny, steps=5, out=tmp_path / "whole.vsm"))

    def press_ctrl_c(step) -> None:
        if step.step == 2:
            os.kill(os.getpid(), signal.SIGINT)  # deferred: step 2 is finished and saved

    cut = variant(tiny, steps=5, checkpoint_every=100, out=tmp_path / "cut.vsm")
    with pytest.raises(Interrupted, match="stopped at step 2 of 5"):
        train(cut, press_ctrl_c)
    assert steps_saved(checkpoint_dir(cut.out)) == [2] and not cut.out.exists()
    rest = train(variant(cut, resume=True))
    assert rest.losses == whole.losses[2:]
