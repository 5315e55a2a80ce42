"""Liveness and readiness, for process supervisors and load balancers.

Ready means the API can answer truthfully: the database answers, and every read model is
followed by a live projections process and not far behind its source (``health``).
"""

from __future__ import annotations

import psycopg
from fastapi import APIRouter, HTTPException, status
from psycopg_pool import PoolTimeout

from starcard_gateway.deps import ResourcesDep, SettingsDep
from starcard_gateway.health import read_models, unready_reasons
from starcard_gateway.models.common import ErrorPublic
from starcard_gateway.models.ops import StatusPublic

READY_TIMEOUT_SECONDS = 2.0

router = APIRouter(tags=["ops"])


@router.get("/healthz", summary="The process is up")
async def healthz() -> StatusPublic:
    return StatusPublic(status="ok")


@router.get(
    "/readyz",
    summary="The database answers and the read models are current",
    responses={
        503: {
            "model": ErrorPublic,
            "description": "The database does not answer, or a read model is not followed by a "
            "projections process or lags too far behind (the detail says which).",
        }
    },
)
def readyz(resources: ResourcesDep, settings: SettingsDep) -> StatusPublic:
    try:
        with resources.pool.connection(timeout=READY_TIMEOUT_SECONDS) as conn:
            models = read_models(conn)
    except (psycopg.Error, PoolTimeout) as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, f"Database unavailable: {type(exc).__name__}"
        ) from exc
    if reasons := unready_reasons(models, settings):
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "Not ready: " + "; ".join(reasons))
    return StatusPublic(status="ready")
