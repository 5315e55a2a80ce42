"""Where refusals become HTTP statuses: the one place that maps error types to responses.

A code of another client of the tenant is 409 Conflict, not 403 Forbidden: the caller's key does
reach the code (it is its own tenant's), so nothing is wrong with the credentials; the code is
bound to another client than the one in the body, the same kind of conflict with the code's state
as a code already used. The message names neither that client nor anything about them.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse
from starcard_loyalty.domain.errors import (
    CodeAlreadyRedeemed,
    CodeExpired,
    CodeNotFound,
    CodeOfAnotherClient,
    DuplicateMilestone,
    InvalidAmount,
    InvalidMilestone,
    MilestoneNotFound,
    UnknownTenant,
)
from starcard_referrals.domain.errors import CurrencyMismatch, InvalidSettings
from starcard_referrals.domain.errors import UnknownTenant as NoReferralProgramme

from starcard_gateway.tenants import InvalidTenant, TenantExists, TenantNotFound

STATUS_OF: dict[type[Exception], int] = {
    MilestoneNotFound: status.HTTP_404_NOT_FOUND,
    CodeNotFound: status.HTTP_404_NOT_FOUND,
    UnknownTenant: status.HTTP_404_NOT_FOUND,
    NoReferralProgramme: status.HTTP_404_NOT_FOUND,
    TenantNotFound: status.HTTP_404_NOT_FOUND,
    DuplicateMilestone: status.HTTP_409_CONFLICT,
    TenantExists: status.HTTP_409_CONFLICT,
    CodeAlreadyRedeemed: status.HTTP_409_CONFLICT,
    CodeOfAnotherClient: status.HTTP_409_CONFLICT,
    CodeExpired: status.HTTP_410_GONE,
    InvalidAmount: status.HTTP_422_UNPROCESSABLE_CONTENT,
    InvalidMilestone: status.HTTP_422_UNPROCESSABLE_CONTENT,
    InvalidTenant: status.HTTP_422_UNPROCESSABLE_CONTENT,
    InvalidSettings: status.HTTP_422_UNPROCESSABLE_CONTENT,
    CurrencyMismatch: status.HTTP_422_UNPROCESSABLE_CONTENT,
}


async def refusal_response(_request: Request, exc: Exception) -> JSONResponse:
    """``{"detail": <the error's own message>}``, which already says what to change."""
    code = next(STATUS_OF[kind] for kind in type(exc).__mro__ if kind in STATUS_OF)
    return JSONResponse({"detail": str(exc)}, status_code=code)


def install_error_handlers(app: FastAPI) -> None:
    for error in STATUS_OF:
        app.add_exception_handler(error, refusal_response)
