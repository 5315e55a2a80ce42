"""Liveness and readiness, for process supervisors and load balancers."""

from __future__ import annotations

import psycopg
from fastapi import APIRouter, HTTPException, status
from psycopg_pool import PoolTimeout

from starcard_gateway.deps import ResourcesDep
from starcard_gateway.models import ErrorPublic, StatusPublic

READY_TIMEOUT_SECONDS = 2.0

router = APIRouter(tags=["ops"])


@router.get("/healthz", summary="The process is up")
async def healthz() -> StatusPublic:
    return StatusPublic(status="ok")


@router.get(
    "/readyz",
    summary="The database answers",
    responses={503: {"model": ErrorPublic, "description": "The database does not answer."}},
)
def readyz(resources: ResourcesDep) -> StatusPublic:
    try:
        with resources.pool.connection(timeout=READY_TIMEOUT_SECONDS) as conn:
            conn.execute("SELECT 1")
    except (psycopg.Error, PoolTimeout) as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, f"Database unavailable: {type(exc).__name__}"
        ) from exc
    return StatusPublic(status="ready")
