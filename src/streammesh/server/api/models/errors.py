"""The one error body of ``/api/v1``: ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorInfo(BaseModel):
    """What went wrong."""

    code: str = Field(description="A stable identifier, e.g. `product-not-found`.")
    message: str = Field(description="What failed and what to do next, for people.")
    details: list[dict[str, Any]] = Field(
        description="Itemised specifics: plan problems (rule, message, hint, details), "
        "descriptor problems (path, message, hint, line, column), refused events (index, "
        "path, rule, reason) or request fields (path, message); empty when there are none."
    )


class ErrorReply(BaseModel):
    """The body of every `/api/v1` error response."""

    error: ErrorInfo
