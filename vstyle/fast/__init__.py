"""The fast path: a trained feed-forward net (a ``.vsm``) run by an engine, frame batches in."""

from __future__ import annotations

from .stabilize import Stabilizer
from .stylizer import FastRecord, FastStylizer, model_engine, prepare_fast

__all__ = ["FastRecord", "FastStylizer", "Stabilizer", "model_engine", "prepare_fast"]
