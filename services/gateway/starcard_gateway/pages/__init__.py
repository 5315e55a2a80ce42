"""The reference dashboard and client portal: server-rendered pages on the gateway's own API.

``install_pages(app)`` adds them to the gateway: the dashboard (``/dashboard``, with the
studios' attendance pages), the portal
(``/portal``), their stylesheet and script (``/static``), and the pages' own error handling, so a
missing session, an expired link or a refused form is a page that says what to do, never JSON
or a stack trace. It also keeps portal tokens out of the access log.
"""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

from starcard_gateway.pages import (
    attendance,
    campaigns,
    clients,
    login,
    loyalty_settings,
    overview,
    package_settings,
    packages,
    points_settings,
    portal,
    referral_settings,
    tier_settings,
    time_settings,
)
from starcard_gateway.pages.auth import LoginRequired, PortalSignedOut
from starcard_gateway.pages.rendering import PageError, error_page, redirect, render
from starcard_gateway.pages.sessions import (
    DASHBOARD_COOKIE,
    DASHBOARD_PATH,
    LOGIN_PATH,
    DashboardSessions,
    clear_cookie,
)
from starcard_gateway.settings import GatewaySettings

__all__ = ["install_pages"]

TOKEN_IN_QUERY = re.compile(r"(?<=[?&]token=)[^&\s]+")


class HideTokens(logging.Filter):
    """Replaces a ``token=`` query value in uvicorn's access lines: a portal link's token opens
    that client's portal, so it must not sit in the logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                TOKEN_IN_QUERY.sub("[redacted]", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        return True


async def _login_required(_request: Request, exc: Exception) -> Response:
    """To the login page, saying why; a cookie that no longer works is removed."""
    reason = exc.reason if isinstance(exc, LoginRequired) else "signed-out"
    if reason == "signed-out":
        return redirect(LOGIN_PATH)
    response = redirect(f"{LOGIN_PATH}?reason={reason}")
    clear_cookie(response, DASHBOARD_COOKIE, path=DASHBOARD_PATH)
    return response


async def _portal_signed_out(request: Request, _exc: Exception) -> Response:
    context = {"title": "Your loyalty card"}
    return render(request, "portal/signed_out.html", context, status_code=401)


async def _page_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, PageError):  # pragma: no cover - registered for PageError only
        raise exc
    return error_page(request, exc)


def install_pages(app: FastAPI) -> None:
    """Add the dashboard, the portal and their static files to the gateway app."""
    settings: GatewaySettings = app.state.settings
    app.state.dashboard_sessions = DashboardSessions.from_settings(settings)
    for page in (
        login,
        overview,
        loyalty_settings,
        points_settings,
        tier_settings,
        package_settings,
        referral_settings,
        time_settings,
        packages,
        clients,
        attendance,
        campaigns,
    ):
        app.include_router(page.router)
    app.include_router(portal.router)
    app.mount("/static", StaticFiles(packages=[("starcard_gateway", "static")]), name="static")
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(PortalSignedOut, _portal_signed_out)
    app.add_exception_handler(PageError, _page_error)
    access_log = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, HideTokens) for f in access_log.filters):
        access_log.addFilter(HideTokens())
