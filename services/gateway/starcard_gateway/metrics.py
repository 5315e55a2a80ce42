"""Prometheus metrics: request count and latency by method, route template and status; each read
model's and each consumer partition's lag (``starcard_gateway.health``).

Each app gets a registry of its own, so several apps in one process (tests) never collide.
"""

from __future__ import annotations

import time

from fastapi import FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from starcard_gateway.health import PipelineGauges

UNMATCHED = "<unmatched>"
"""The route label of requests no route matched, so stray paths cannot grow the label set."""


class RequestMetrics:
    """ASGI middleware timing every HTTP request; the label is the route's template."""

    def __init__(self, app: ASGIApp, *, registry: CollectorRegistry) -> None:
        self.app = app
        self.requests = Counter(
            "starcard_gateway_requests",
            "HTTP requests handled",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "starcard_gateway_request_duration_seconds",
            "Time to handle an HTTP request",
            ["method", "route"],
            registry=registry,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            template = getattr(scope.get("route"), "path", UNMATCHED)
            self.latency.labels(scope["method"], template).observe(time.perf_counter() - started)
            self.requests.labels(scope["method"], template, str(status)).inc()


def install_metrics(app: FastAPI) -> None:
    """Time every request and serve the figures at ``GET /metrics``."""
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    app.add_middleware(RequestMetrics, registry=registry)
    pipeline = PipelineGauges(registry)

    @app.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        await pipeline.refresh(request.app.state.resources.pool, request.app.state.settings)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
