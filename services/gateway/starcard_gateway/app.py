"""The gateway's HTTP app: ``create_app()`` for tests and servers; run with ``python -m``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version

import uvicorn
from fastapi import FastAPI
from starcard_runtime.logs import configure_logging
from starcard_runtime.settings import RuntimeSettings

from starcard_gateway.api import checkout, loyalty, operator, ops
from starcard_gateway.errors import install_error_handlers
from starcard_gateway.metrics import install_metrics
from starcard_gateway.resources import open_resources
from starcard_gateway.settings import GatewaySettings

DESCRIPTION = """
Starcard turns what a booking platform publishes into loyalty stars, milestone rewards and
discount codes. This API is how a tenant's dashboard (or the platform on its behalf) changes the
loyalty settings, reads who is earning stars and each client's loyalty card, and quotes and
redeems loyalty codes at checkout.

Every `/v1/loyalty` and `/v1/checkout` call carries the tenant's API key as
`Authorization: Bearer sc_...`; the tenant is always the key's, never one named in the URL or the
body.
"""

TAGS = [
    {
        "name": "loyalty",
        "description": "Milestones, counting settings, the most-loyal list and a client's card.",
    },
    {"name": "checkout", "description": "Quote and redeem a client's loyalty code."},
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
    install_error_handlers(app)
    install_metrics(app)
    app.include_router(ops.router)
    app.include_router(loyalty.router)
    app.include_router(checkout.router)
    app.include_router(operator.router)
    return app


def main() -> None:
    settings = GatewaySettings()
    configure_logging("gateway", settings.log_level)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None)
