"""What routes ask for, as ``Annotated`` aliases: settings, caller, application, connection.

The tenant always comes from the API key, never from the URL or the body, so a route cannot be
pointed at another tenant's data. On portal routes the tenant and the client both come from the
portal token, and only from it.

A request is read strictly (`read_strictly`, after the credentials): a number sent as a string
in a JSON body, a boolean sent as 1 or "yes", an unknown query parameter, is refused naming the
field, never coerced nor ignored.
"""

from __future__ import annotations

import email.message
import functools
from collections.abc import Iterator
from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import TypeAdapter, ValidationError
from starcard_campaigns.api import CampaignsService
from starcard_loyalty.api import LoyaltyService
from starcard_referrals.api import ReferralsService

from starcard_gateway.errors import MISSING_KEY, REFUSED_REQUEST
from starcard_gateway.portal import InvalidPortalToken, PortalClient, PortalTokens
from starcard_gateway.resources import Resources
from starcard_gateway.settings import GatewaySettings
from starcard_gateway.tenants import TenantRegistry, is_operator_key

tenant_key = HTTPBearer(
    scheme_name="TenantKey",
    description="The tenant's API key (`sc_...`), as `Authorization: Bearer <key>`.",
    auto_error=False,
)
operator_key = HTTPBearer(
    scheme_name="OperatorKey",
    description="The operator's key (`STARCARD_ADMIN_KEY`), as `Authorization: Bearer <key>`.",
    auto_error=False,
)
portal_token = HTTPBearer(
    scheme_name="PortalToken",
    description="A client's portal token, minted by the tenant (`POST /v1/portal/tokens`), as "
    "`Authorization: Bearer <token>`.",
    auto_error=False,
)
Credentials = HTTPAuthorizationCredentials | None


async def get_settings(request: Request) -> GatewaySettings:
    settings: GatewaySettings = request.app.state.settings
    return settings


async def get_resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


async def get_portal_tokens(request: Request) -> PortalTokens:
    tokens: PortalTokens = request.app.state.portal_tokens
    return tokens


SettingsDep = Annotated[GatewaySettings, Depends(get_settings)]
ResourcesDep = Annotated[Resources, Depends(get_resources)]
PortalTokensDep = Annotated[PortalTokens, Depends(get_portal_tokens)]


async def get_loyalty(resources: ResourcesDep) -> LoyaltyService:
    return resources.loyalty


async def get_referrals(resources: ResourcesDep) -> ReferralsService:
    return resources.referrals


async def get_campaigns(resources: ResourcesDep) -> CampaignsService:
    return resources.campaigns


async def get_tenant_registry(resources: ResourcesDep) -> TenantRegistry:
    return resources.tenants


def get_read_conn(resources: ResourcesDep) -> Iterator[psycopg.Connection[Any]]:
    with resources.pool.connection() as conn:
        yield conn


LoyaltyDep = Annotated[LoyaltyService, Depends(get_loyalty)]
ReferralsDep = Annotated[ReferralsService, Depends(get_referrals)]
CampaignsDep = Annotated[CampaignsService, Depends(get_campaigns)]
TenantRegistryDep = Annotated[TenantRegistry, Depends(get_tenant_registry)]
ReadConnDep = Annotated[psycopg.Connection[Any], Depends(get_read_conn)]


def _is_json(request: Request) -> bool:
    message = email.message.Message()
    message["content-type"] = request.headers.get("content-type", "")
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


@functools.cache
def _strict_body(annotation: Any) -> TypeAdapter[Any]:
    return TypeAdapter[Any](annotation)


def _query_parameters(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= _query_parameters(dependency)
    return names


def _unknown_query_parameters(request: Request) -> list[dict[str, Any]]:
    dependant = getattr(request.scope.get("route"), "dependant", None)
    if not isinstance(dependant, Dependant):
        return []
    known = _query_parameters(dependant)
    return [
        {
            "type": "extra_forbidden",
            "loc": ("query", name),
            "msg": f"Unknown parameter: this route takes {', '.join(sorted(known)) or 'none'}",
            "input": value,
        }
        for name, value in request.query_params.multi_items()
        if name not in known
    ]


async def read_strictly(request: Request) -> None:
    """Refuse what the route does not take: an unknown query parameter, and a JSON body that is
    not valid in pydantic's strict JSON mode. Runs before FastAPI reads the request itself.

    FastAPI validates a body as Python data in lax mode, which turns `"5"` into 5 and `1` or
    `"yes"` into `True`. The request models stay lax (the dashboard's forms build them from
    strings), so the API's strictness lives here, at the edge where JSON arrives: a JSON integer
    for an integer, a JSON boolean for a boolean, a string for an enum's value. Used as a
    dependency after the caller's credentials, so a caller without them hears 401 first.
    """
    errors = _unknown_query_parameters(request)
    if errors:
        raise RequestValidationError(errors)
    field = getattr(request.scope.get("route"), "body_field", None)
    annotation = None if field is None else field.field_info.annotation
    if annotation is None or not _is_json(request):
        return
    raw = await request.body()
    if not raw:
        return
    try:
        _strict_body(annotation).validate_json(raw, strict=True)
    except ValidationError as exc:
        errors = [
            {**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_url=False)
        ]
        raise RequestValidationError(errors) from None


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"}
    )


def get_tenant_id(
    credentials: Annotated[Credentials, Depends(tenant_key)], tenants: TenantRegistryDep
) -> str:
    if credentials is None:
        raise _unauthorized(
            "Missing API key: send the tenant's key as 'Authorization: Bearer sc_...'."
        )
    tenant_id = tenants.authenticate(credentials.credentials)
    if tenant_id is None:
        raise _unauthorized("Invalid or revoked API key.")
    return tenant_id


TenantDep = Annotated[str, Depends(get_tenant_id)]


async def read_tenant_request_strictly(request: Request, _tenant_id: TenantDep) -> None:
    """`read_strictly` once the tenant's API key is checked."""
    await read_strictly(request)


StrictTenantRequest = Depends(read_tenant_request_strictly)
"""A router's (or a route's) dependency: the tenant's key, then the request, strictly."""


def tenant_router(prefix: str, tag: str) -> APIRouter:
    """A router whose every route the tenant's API key opens, reading the request strictly."""
    return APIRouter(
        prefix=prefix,
        tags=[tag],
        dependencies=[StrictTenantRequest],
        responses={**MISSING_KEY, **REFUSED_REQUEST},
    )


async def get_portal_client(
    credentials: Annotated[Credentials, Depends(portal_token)], tokens: PortalTokensDep
) -> PortalClient:
    if credentials is None:
        raise _unauthorized(
            "Missing portal token: send the client's token as 'Authorization: Bearer <token>'."
        )
    try:
        return tokens.verify(credentials.credentials)
    except InvalidPortalToken as exc:
        raise _unauthorized(str(exc)) from None


PortalClientDep = Annotated[PortalClient, Depends(get_portal_client)]


async def read_portal_request_strictly(request: Request, _client: PortalClientDep) -> None:
    """`read_strictly` once the client's portal token is checked."""
    await read_strictly(request)


StrictPortalRequest = Depends(read_portal_request_strictly)


async def require_operator(
    credentials: Annotated[Credentials, Depends(operator_key)], settings: SettingsDep
) -> None:
    admin_key = settings.admin_key.get_secret_value() if settings.admin_key else ""
    if not admin_key:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "Operator routes are off: STARCARD_ADMIN_KEY is not set."
        )
    if credentials is None or not is_operator_key(credentials.credentials, admin_key):
        raise _unauthorized("Operator routes need the admin key as 'Authorization: Bearer <key>'.")
