"""Signing in to the dashboard with the tenant's API key, and signing out.

The key is checked once, then the browser holds a signed session naming the key's id (never its
secret); the login form carries a one-time nonce cookie so a stale or forged form is refused.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response

from starcard_gateway.deps import TenantRegistryDep
from starcard_gateway.pages.auth import CheckedFormDep, PostedFormDep, SessionsDep
from starcard_gateway.pages.rendering import redirect, render
from starcard_gateway.pages.sessions import (
    DASHBOARD_COOKIE,
    DASHBOARD_PATH,
    LOGIN_COOKIE,
    LOGIN_NONCE_SECONDS,
    LOGIN_PATH,
    clear_cookie,
    same_token,
    set_cookie,
)
from starcard_gateway.tenants import key_id_of

router = APIRouter(prefix="/dashboard", include_in_schema=False)

LOGIN_REASONS: dict[str, str | None] = {
    "signed-out": None,
    "expired": "Your session ended. Sign in again with your API key.",
    "invalid": "Your session could not be read. Sign in again with your API key.",
    "revoked": "The API key you signed in with no longer works. Sign in with a current key.",
}


def _login_page(
    request: Request, *, reason: str | None, error: str | None, status_code: int = 200
) -> Response:
    """The login form, with a fresh nonce in a cookie and the form both (double submit), so
    another site cannot sign the browser in with a key of its choosing."""
    nonce = secrets.token_urlsafe(24)
    response = render(
        request,
        "dashboard/login.html",
        {
            "title": "Sign in",
            "nonce": nonce,
            "notice": LOGIN_REASONS.get(reason or ""),
            "error": error,
        },
        status_code=status_code,
    )
    set_cookie(response, request, LOGIN_COOKIE, nonce, path=LOGIN_PATH, max_age=LOGIN_NONCE_SECONDS)
    return response


@router.get("/login")
def login_form(request: Request, reason: str | None = None) -> Response:
    return _login_page(request, reason=reason, error=None)


@router.post("/login")
def login(
    request: Request, form: PostedFormDep, sessions: SessionsDep, tenants: TenantRegistryDep
) -> Response:
    nonce = request.cookies.get(LOGIN_COOKIE)
    if not nonce or not same_token(form.get("nonce"), nonce):
        return _login_page(
            request,
            reason=None,
            error="The sign-in form had expired. Paste your API key again.",
            status_code=400,
        )
    api_key = form.get("api_key", "").strip()
    tenant_id = tenants.authenticate(api_key) if api_key else None
    key_id = key_id_of(api_key)
    if tenant_id is None or key_id is None:
        return _login_page(
            request,
            reason=None,
            error="That API key is not valid, or it has been revoked. Check it and try again: "
            "it starts with sc_.",
            status_code=401,
        )
    cookie, _session = sessions.sign(tenant_id, key_id, now=datetime.now(UTC))
    response = redirect("/dashboard")
    set_cookie(response, request, DASHBOARD_COOKIE, cookie, path=DASHBOARD_PATH)
    clear_cookie(response, LOGIN_COOKIE, path=LOGIN_PATH)
    return response


@router.post("/logout")
def logout(form: CheckedFormDep) -> Response:
    del form  # the CSRF check is the point: no other site can sign the therapist out
    response = redirect("/dashboard/login")
    clear_cookie(response, DASHBOARD_COOKIE, path=DASHBOARD_PATH)
    return response
