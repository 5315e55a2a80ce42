"""Who a page speaks for: the dashboard's signed-in tenant, or the portal's client.

As in the JSON API (``starcard_gateway.deps``), the tenant comes from the API key only, and a
portal's tenant and client from the portal token only; no page takes either from its URL or its
form, so a page cannot be pointed at another tenant's data.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Request
from starcard_projections.failures import stale_read_models

from starcard_gateway.deps import ResourcesDep, TenantRegistryDep
from starcard_gateway.pages.rendering import PageError, read_form
from starcard_gateway.pages.sessions import (
    DASHBOARD_COOKIE,
    PORTAL_COOKIE,
    PORTAL_PATH,
    DashboardSessions,
    InvalidSession,
    Session,
    same_token,
)
from starcard_gateway.portal import (
    InvalidPortalToken,
    PortalClient,
    PortalTokenExpired,
    PortalTokens,
)

LoginReason = Literal["signed-out", "expired", "invalid", "revoked"]


class LoginRequired(Exception):
    """No working dashboard session: the browser is sent to the login page, told why."""

    def __init__(self, reason: LoginReason) -> None:
        super().__init__(reason)
        self.reason: LoginReason = reason


class PortalSignedOut(Exception):
    """The portal was opened with neither a token nor its cookie."""


async def get_sessions(request: Request) -> DashboardSessions:
    sessions: DashboardSessions = request.app.state.dashboard_sessions
    return sessions


SessionsDep = Annotated[DashboardSessions, Depends(get_sessions)]


def dashboard_session(
    request: Request, sessions: SessionsDep, tenants: TenantRegistryDep, resources: ResourcesDep
) -> Session:
    """The session in the cookie, its key checked to be still live on every request (a revoked
    key ends the session at once).

    Every dashboard page passes here, so this is also where the page learns which of the
    tenant's read models have stopped at an event they could not apply: the layout's banner
    (``request.state.stale_read_models``) says so on every page.
    """
    cookie = request.cookies.get(DASHBOARD_COOKIE)
    if not cookie:
        raise LoginRequired("signed-out")
    try:
        session = sessions.verify(cookie)
    except InvalidSession as exc:
        raise LoginRequired(exc.reason) from None
    if tenants.tenant_of_live_key(session.key_id) != session.tenant_id:
        raise LoginRequired("revoked")
    with resources.pool.connection() as conn:
        request.state.stale_read_models = stale_read_models(conn, session.tenant_id)
    return session


SessionDep = Annotated[Session, Depends(dashboard_session)]


async def posted_form(request: Request) -> dict[str, str]:
    return await read_form(request)


PostedFormDep = Annotated[dict[str, str], Depends(posted_form)]


def checked_form(session: SessionDep, form: PostedFormDep) -> dict[str, str]:
    """A dashboard form's fields, once its CSRF token is the session's own."""
    if not same_token(form.get("csrf_token"), session.csrf):
        raise PageError(
            403,
            "This form has expired",
            "The page was opened in an earlier session, so the change was not made. Open the "
            "page again and repeat it.",
            action=("/dashboard", "Back to the dashboard"),
        )
    return form


CheckedFormDep = Annotated[dict[str, str], Depends(checked_form)]


def portal_client(request: Request, tokens: PortalTokens) -> PortalClient:
    """The client whose token the portal cookie holds."""
    cookie = request.cookies.get(PORTAL_COOKIE)
    if not cookie:
        raise PortalSignedOut
    return verified_client(tokens, cookie)


def verified_client(tokens: PortalTokens, token: str) -> PortalClient:
    """The token's client; an expired or bad token is a page saying so (and its cookie goes)."""
    try:
        return tokens.verify(token)
    except PortalTokenExpired:
        raise PageError(
            401,
            "This link has expired",
            "Links to your loyalty card last a limited time. Ask the business for a new one: "
            "your stars and rewards are all still there.",
            clear_cookie=(PORTAL_COOKIE, PORTAL_PATH),
        ) from None
    except InvalidPortalToken:
        raise PageError(
            401,
            "This link does not work",
            "The link may have been cut short when it was copied. Open it again from the "
            "message the business sent you, or ask them for a new one.",
            clear_cookie=(PORTAL_COOKIE, PORTAL_PATH),
        ) from None
