"""The request models of the studio's API (pydantic): what a job may ask for."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..errors import check_choice
from ..options import MAX_ITERS, MAX_SIDE, METHODS, TemporalOptions

# The CLI's methods, all of them: swap runs an inverse-net model or the optimizer.
STUDIO_METHODS = METHODS


class Pick(BaseModel):
    """A file in allowed folder number ``root`` (``--allow``, in order), by relative path."""

    model_config = ConfigDict(extra="forbid")
    root: int = Field(ge=0)
    path: str = Field(min_length=1, max_length=4096)


class JobSpec(BaseModel):
    """The options of one job; files come as uploads or as picks."""

    model_config = ConfigDict(extra="forbid")
    method: str = "auto"
    max_side: int | None = Field(360, ge=16, le=MAX_SIDE)
    iterations: int = Field(100, ge=0, le=MAX_ITERS)
    temporal_weight: float = Field(TemporalOptions.weight, ge=0, allow_inf_nan=False)
    stabilize: bool = False
    frames: int | None = Field(None, ge=1)
    input_pick: Pick | None = None
    style_pick: Pick | None = None
    model_pick: Pick | None = None

    @field_validator("method")
    @classmethod
    def _method(cls, value: str) -> str:
        return check_choice("method", value, STUDIO_METHODS)
