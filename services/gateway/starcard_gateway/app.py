"""The gateway's HTTP app: ``create_app()`` for tests and servers; run with ``python -m``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version

import uvicorn
from fastapi import FastAPI
from starcard_runtime.logs import configure_logging
from starcard_runtime.settings import RuntimeSettings

from starcard_gateway.api import (
    attendance,
    campaigns,
    checkout,
    loyalty,
    operator,
    ops,
    package_settings,
    packages,
    points,
    portal,
    referrals,
    tiers,
    time_settings,
)
from starcard_gateway.body_limit import BodyLimit
from starcard_gateway.errors import install_error_handlers
from starcard_gateway.metrics import install_metrics
from starcard_gateway.pages import install_pages
from starcard_gateway.portal import PortalTokens
from starcard_gateway.resources import open_resources
from starcard_gateway.settings import GatewaySettings

DESCRIPTION = """
Starcard turns what a booking platform publishes into loyalty stars, milestone rewards, points,
membership tiers, referral credit, birthday rewards and discount codes. This API is how a tenant's
dashboard (or the platform on its behalf) changes the loyalty, points, tier, referral and campaign
settings, reads who is earning stars and points, each client's loyalty card, points, tier and
referrals, and quotes and redeems codes, referral credit and points at checkout.

Every `/v1/loyalty`, `/v1/tiers`, `/v1/packages`, `/v1/clients`, `/v1/settings`, `/v1/referrals`,
`/v1/campaigns` and `/v1/checkout` call, and minting a portal token, carries the tenant's API key
as `Authorization: Bearer sc_...`; the tenant is always the key's, never one named in the URL or
the body.

The client portal's calls (`/v1/portal/...`) carry instead the client's portal token, which the
tenant mints for one client: a signed, expiring token that names the tenant and the client, so
those calls name neither. It never works as an API key, nor a key as a portal token.
"""

TAGS = [
    {
        "name": "loyalty",
        "description": "Milestones, counting settings, the most-loyal list and a client's card.",
    },
    {
        "name": "attendance",
        "description": "Studios' attendance milestones: what counts, the automations (email, "
        "reward, tag), a client's original count, the check-in screen's count, and segments.",
    },
    {
        "name": "points",
        "description": "The points programme's settings, the clients by points, a client's "
        "balance, lots (with their expiry) and history, and adjustments by hand.",
    },
    {
        "name": "tiers",
        "description": "Membership tiers: their settings (names, spend thresholds, benefits, "
        "the rolling window, how tiers drop), and for the booking platform a client's tier with "
        "its benefits, their tier history, and the members by tier.",
    },
    {
        "name": "packages",
        "description": "Pre-paid packages: the catalogue, the refund policy and the expiry "
        "reminder (`/v1/settings/packages`), a client's packages (sessions used and left, expiry), "
        "the visits paid from a package that none could pay for, and the outstanding liability.",
    },
    {
        "name": "time",
        "description": "The tenant's time zone (its days, and the clock's daily tick, begin at "
        "midnight there) and quiet hours (campaign messages wait until they end).",
    },
    {
        "name": "referrals",
        "description": "Referral settings, a client's referrals and the referral summary.",
    },
    {
        "name": "campaigns",
        "description": "Birthday, anniversary and re-engagement offers: each campaign's "
        "settings, what they share (the booking link, the hold-out group, the attribution "
        "window), a client's offers, and the results against the hold-out group (JSON or CSV).",
    },
    {
        "name": "checkout",
        "description": "Quote and redeem a client's code (loyalty, welcome or campaign), "
        "referral credit, points and package sessions.",
    },
    {
        "name": "portal",
        "description": "The client portal: its tokens, and the client's link, referrals, credit, "
        "card, points, tier and packages.",
    },
    {"name": "operator", "description": "Tenants and API keys; needs the admin key."},
    {"name": "ops", "description": "Health and readiness."},
]


def create_app(settings: RuntimeSettings | None = None) -> FastAPI:
    """The gateway; its database resources open when the app starts and close when it stops."""
    if not isinstance(settings, GatewaySettings):
        settings = GatewaySettings(**(settings.model_dump() if settings else {}))
    gateway_settings = settings

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with open_resources(gateway_settings, pool_size=gateway_settings.read_pool_size) as res:
            app.state.resources = res
            yield

    app = FastAPI(
        title="Starcard",
        version=version("starcard-gateway"),
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    app.state.settings = gateway_settings
    app.state.portal_tokens = PortalTokens.from_settings(gateway_settings)
    install_error_handlers(app)
    app.add_middleware(BodyLimit)  # inside the metrics, so a refused body is counted too
    install_metrics(app)
    app.include_router(ops.router)
    app.include_router(loyalty.router)
    app.include_router(attendance.router)
    app.include_router(points.router)
    app.include_router(tiers.settings_router)
    app.include_router(tiers.router)
    app.include_router(package_settings.router)
    app.include_router(time_settings.router)
    app.include_router(packages.clients_router)
    app.include_router(packages.router)
    app.include_router(referrals.router)
    app.include_router(campaigns.router)
    app.include_router(checkout.router)
    app.include_router(points.checkout_router)
    app.include_router(portal.router)
    app.include_router(operator.router)
    install_pages(app)  # the dashboard, the client portal and their /static files
    return app


def main() -> None:
    settings = GatewaySettings()
    configure_logging("gateway", settings.log_level)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None)
