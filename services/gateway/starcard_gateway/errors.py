"""Where refusals become HTTP statuses: the one place that maps error types to responses.

A code of another client of the tenant is 409 Conflict, not 403 Forbidden: the caller's key does
reach the code (it is its own tenant's), so nothing is wrong with the credentials; the code is
bound to another client than the one in the body, the same kind of conflict with the code's state
as a code already used. The message names neither that client nor anything about them.

Points refused (`PointsRefused`) are 409 Conflict too: the request is well formed, but the
client's points or the programme as they stand do not allow it (below the minimum, above the
balance, above the share of the bill points may pay, no programme on); the message gives the
figures to correct it. So is a package that cannot pay at checkout (`PackageRefused`): none of
the client's covers the service then.

Every error body has one shape, ``{"detail": "<what went wrong, and what to change>"}`` (the
documented ``ErrorPublic``): a domain refusal's own message, an ``HTTPException``'s detail, and a
request that fails validation, whose detail names each field at fault and what it should be.

A method a path does not have is 405 with ``Allow`` listing every method of the path (not only
those of the one route the router happened to try first); ``OPTIONS`` on a path answers 204 with
that same ``Allow``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starcard_campaigns.api import InvalidSettings as InvalidCampaignSettings
from starcard_campaigns.api import UnknownTenant as NoCampaignProgramme
from starcard_kernel.refusals import (
    CodeAlreadyRedeemed,
    CodeExpired,
    CodeNotFound,
    CodeOfAnotherClient,
    CurrencyMismatch,
    InvalidAmount,
)
from starcard_loyalty.api import (
    DuplicateMilestone,
    InvalidMilestone,
    InvalidPackageSettings,
    InvalidPointsSettings,
    InvalidTierSettings,
    InvalidTimeSettings,
    MilestoneNotFound,
    PackageRefused,
    PointsRefused,
    UnknownTenant,
)
from starcard_referrals.api import InvalidSettings
from starcard_referrals.api import UnknownTenant as NoReferralProgramme
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match

from starcard_gateway.models.common import ErrorPublic
from starcard_gateway.tenants import InvalidTenant, TenantExists, TenantNotFound

Responses = dict[int | str, dict[str, Any]]
"""A route's or a router's ``responses=``: what each refusal's status means."""


def refusal(status_code: int, description: str) -> Responses:
    """One documented refusal: at this status the body is an ``ErrorPublic``."""
    return {status_code: {"model": ErrorPublic, "description": description}}


REFUSED_REQUEST: Responses = {
    **refusal(400, "The body could not be read at all (it is not UTF-8 JSON text)."),
    **refusal(413, "The body is larger than the gateway reads (64 KiB)."),
    **refusal(
        422,
        "The request was refused: the detail names each field at fault and what it should be "
        "(a JSON body is read strictly: numbers as JSON integers, booleans as true or false).",
    ),
}
"""Documented on every router: any route can refuse a malformed request this way."""

MISSING_KEY: Responses = refusal(401, "Missing or invalid API key.")
"""Documented on every route the tenant's API key opens."""

STATUS_OF: dict[type[Exception], int] = {
    MilestoneNotFound: status.HTTP_404_NOT_FOUND,
    CodeNotFound: status.HTTP_404_NOT_FOUND,
    UnknownTenant: status.HTTP_404_NOT_FOUND,
    NoReferralProgramme: status.HTTP_404_NOT_FOUND,
    NoCampaignProgramme: status.HTTP_404_NOT_FOUND,
    TenantNotFound: status.HTTP_404_NOT_FOUND,
    DuplicateMilestone: status.HTTP_409_CONFLICT,
    TenantExists: status.HTTP_409_CONFLICT,
    CodeAlreadyRedeemed: status.HTTP_409_CONFLICT,
    CodeOfAnotherClient: status.HTTP_409_CONFLICT,
    PointsRefused: status.HTTP_409_CONFLICT,
    PackageRefused: status.HTTP_409_CONFLICT,
    CodeExpired: status.HTTP_410_GONE,
    InvalidAmount: status.HTTP_422_UNPROCESSABLE_CONTENT,
    InvalidMilestone: status.HTTP_422_UNPROCESSABLE_CONTENT,
    InvalidTenant: status.HTTP_422_UNPROCESSABLE_CONTENT,
    InvalidSettings: status.HTTP_422_UNPROCESSABLE_CONTENT,
    InvalidCampaignSettings: status.HTTP_422_UNPROCESSABLE_CONTENT,
    InvalidPointsSettings: status.HTTP_422_UNPROCESSABLE_CONTENT,
    InvalidTierSettings: status.HTTP_422_UNPROCESSABLE_CONTENT,
    InvalidPackageSettings: status.HTTP_422_UNPROCESSABLE_CONTENT,
    InvalidTimeSettings: status.HTTP_422_UNPROCESSABLE_CONTENT,
    CurrencyMismatch: status.HTTP_422_UNPROCESSABLE_CONTENT,
}


async def refusal_response(_request: Request, exc: Exception) -> JSONResponse:
    """``{"detail": <the error's own message>}``, which already says what to change."""
    code = next(STATUS_OF[kind] for kind in type(exc).__mro__ if kind in STATUS_OF)
    return JSONResponse({"detail": str(exc)}, status_code=code)


MAX_SHOWN_INPUT = 40
"""A rejected value is quoted in the detail only up to this many characters."""


def _field(loc: Sequence[int | str]) -> str:
    """Where a problem is: `session_count`, `amount.currency`, `query parameter limit`."""
    where, *path = loc or ("body",)
    name = ".".join(str(part) for part in path)
    if where == "body":
        return name or "the body"
    return f"{where} parameter {name}" if name else str(where)


def _problem(error: dict[str, Any]) -> str:
    message = str(error.get("msg", "invalid")).rstrip(".")
    value = error.get("input")
    if isinstance(value, bool | int | float | str) and error.get("type") != "missing":
        shown = repr(value)
        if len(shown) > MAX_SHOWN_INPUT:
            shown = shown[:MAX_SHOWN_INPUT] + "..."
        message += f" (got {shown})"
    return f"{_field(error.get('loc', ()))}: {message}"


def validation_detail(errors: Sequence[Any]) -> str:
    """One sentence per field at fault, each naming the field and what it should be."""
    problems = list(dict.fromkeys(_problem(error) for error in errors))
    return "; ".join(problems) + "." if problems else "The request is not valid."


async def validation_response(_request: Request, exc: Exception) -> JSONResponse:
    """422 ``{"detail": "<field>: <what it should be>; ..."}``, not FastAPI's list of errors."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    return JSONResponse(
        {"detail": validation_detail(errors)},
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
    )


METHODS = ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")


def allowed_methods(routes: Sequence[BaseRoute], scope: dict[str, Any]) -> list[str]:
    """Every method some route serves at the request's path (HEAD with GET), and OPTIONS.

    Asked of the routes themselves, one method at a time: a route answers a full match only for
    a method it serves, whichever router it was included through."""
    allowed = {"OPTIONS"}
    for method in METHODS:
        asked = {**scope, "method": method}
        if any(route.matches(asked)[0] is Match.FULL for route in routes):
            allowed.add(method)
    return sorted(allowed)


async def http_error_response(request: Request, exc: Exception) -> Response:
    """``{"detail": ...}`` with the exception's headers; a 405's ``Allow`` names every method
    of the path, and ``OPTIONS`` is answered with that ``Allow``."""
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101 - registered for it alone
    headers = dict(exc.headers or {})
    if exc.status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
        allow = ", ".join(allowed_methods(request.app.router.routes, dict(request.scope)))
        headers["Allow"] = allow
        if request.method == "OPTIONS":
            return Response(status_code=status.HTTP_204_NO_CONTENT, headers=headers)
    if exc.status_code in {status.HTTP_204_NO_CONTENT, status.HTTP_304_NOT_MODIFIED}:
        return Response(status_code=exc.status_code, headers=headers)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    for error in STATUS_OF:
        app.add_exception_handler(error, refusal_response)
    app.add_exception_handler(RequestValidationError, validation_response)
    app.add_exception_handler(StarletteHTTPException, http_error_response)
