"""What the health routes (``/healthz``, ``/readyz``) answer."""

from __future__ import annotations

from pydantic import BaseModel, Field


class StatusPublic(BaseModel):
    status: str = Field(description="`ok` when alive, `ready` when the database answers.")
