"""Where refusals become HTTP statuses: the one place that maps error types to responses."""

from __future__ import annotations

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse
from starcard_loyalty.application import UnknownTenant
from starcard_loyalty.domain.errors import DuplicateMilestone, InvalidMilestone, MilestoneNotFound

from starcard_gateway.tenants import InvalidTenant, TenantExists, TenantNotFound

STATUS_OF: dict[type[Exception], int] = {
    MilestoneNotFound: status.HTTP_404_NOT_FOUND,
    UnknownTenant: status.HTTP_404_NOT_FOUND,
    TenantNotFound: status.HTTP_404_NOT_FOUND,
    DuplicateMilestone: status.HTTP_409_CONFLICT,
    TenantExists: status.HTTP_409_CONFLICT,
    InvalidMilestone: status.HTTP_422_UNPROCESSABLE_CONTENT,
    InvalidTenant: status.HTTP_422_UNPROCESSABLE_CONTENT,
}


async def refusal_response(_request: Request, exc: Exception) -> JSONResponse:
    """``{"detail": <the error's own message>}``, which already says what to change."""
    code = next(STATUS_OF[kind] for kind in type(exc).__mro__ if kind in STATUS_OF)
    return JSONResponse({"detail": str(exc)}, status_code=code)


def install_error_handlers(app: FastAPI) -> None:
    for error in STATUS_OF:
        app.add_exception_handler(error, refusal_response)
