"""TrainOptions rules, and training on a GPU with mixed precision (skipped without CUDA)."""

from __future__ import annotations

import math

import pytest
import torch

from tests.train.conftest import variant
from vstyle.device import Runtime, mixed_precision
from vstyle.errors import OptionError
from vstyle.nets.modelfile import read_info
from vstyle.options import TrainOptions
from vstyle.train import train


def test_choices_ignore_case_and_numbers_are_checked() -> None:
    o = TrainOptions(content_layer="RELU3_1", precision="Auto", flow="DIS")
    assert (o.content_layer, o.precision, o.flow) == ("relu3_1", "auto", "dis")
    for bad in ({"content_layer": "relu5_1"}, {"steps": 0}, {"noise_weight": -1},
                {"lr": math.nan}, {"size": 16}, {"seed": -1}):  # fmt: skip
        with pytest.raises(OptionError):
            TrainOptions(**bad)


def test_auto_precision_is_fp32_off_cuda() -> None:
    assert mixed_precision(torch.device("cpu")) == "fp32"
    assert Runtime.from_options("cpu", "auto", training=True).precision == "fp32"


@pytest.mark.gpu
@pytest.mark.parametrize("precision", ["auto", "fp16"])
def test_mixed_precision_training_on_cuda_resumes(tiny, clip_folder, precision) -> None:
    """bf16/fp16 autocast (fp16 with its grad scaler, checkpointed) trains and resumes."""
    o = variant(tiny, data=clip_folder, device="cuda", precision=precision, steps=4,
                checkpoint_every=2)  # fmt: skip
    first = train(variant(o, steps=2))
    rest = train(variant(o, resume=True))
    assert all(math.isfinite(v) for v in first.losses + rest.losses)
    ran_on = read_info(o.out).origin["trained"]["ran_on"]
    assert ran_on.startswith("cuda") and ran_on.endswith(("bf16", "fp16"))
