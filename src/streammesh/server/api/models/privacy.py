"""Bodies of the privacy routes (``/api/v1/products/{reference}/forget``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ForgetBody(BaseModel):
    """Which entity to forget."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(
        min_length=1,
        max_length=4096,
        description="The entity's key as the product's events carry it, e.g. a user id.",
        examples=["user-2"],
    )


class ForgetReply(BaseModel):
    """What ``forget`` destroyed."""

    product: str = Field(description="The product name; keys are shared by its major versions.")
    key: str
    versions: int = Field(
        description="Data-key versions destroyed; 0 when nothing was ever encrypted for the key."
    )
