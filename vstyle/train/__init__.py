"""Training feed-forward style nets (``vstyle train``): data, losses, checkpoints, loop.

Python API::

    from vstyle.options import TrainOptions
    from vstyle.train import train
    result = train(TrainOptions(style=Path("wave.jpg"), data=Path("pics"), out=Path("w.vsm")))
"""

from __future__ import annotations

from .job import train
from .loop import OnTrainStep, TrainResult, TrainStep

__all__ = ["OnTrainStep", "TrainResult", "TrainStep", "train"]
