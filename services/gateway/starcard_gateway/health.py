"""How the pipeline behind the API is doing: read models and consumers, for /readyz and /metrics.

Read models are judged from the ``read`` schema (positions, heads and heartbeats the projections
process writes); consumers from Kafka (each group's committed offsets against each partition's
end), so both are known even while the process behind them is down.
"""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
import structlog
from aiokafka.errors import KafkaError
from prometheus_client import CollectorRegistry, Gauge
from psycopg_pool import ConnectionPool, PoolTimeout
from starcard_projections.health import ReadModelHealth, read_model_health
from starcard_projections.runner import PROJECTION_NAMES
from starcard_runtime.lag import GROUP_PREFIX, consumer_lags

from starcard_gateway.settings import GatewaySettings

log = structlog.get_logger(__name__)

KAFKA_TIMEOUT_SECONDS = 5.0
DATABASE_TIMEOUT_SECONDS = 2.0


def read_models(conn: psycopg.Connection[Any]) -> list[ReadModelHealth]:
    """Every read model's health; a query held up (by a lock, say) gives up after a moment, so a
    probe never piles up behind it."""
    with conn.transaction():
        conn.execute(f"SET LOCAL statement_timeout = {int(DATABASE_TIMEOUT_SECONDS * 1000)}")
        return read_model_health(conn, PROJECTION_NAMES)


def unready_reasons(models: list[ReadModelHealth], settings: GatewaySettings) -> list[str]:
    """Why the read models cannot be trusted to answer now; none when they can."""
    reasons: list[str] = []
    for model in models:
        if not model.followed(settings.ready_heartbeat_seconds):
            reasons.append(
                f"read model {model.name} is not being followed (no projections process for "
                f"over {settings.ready_heartbeat_seconds:g}s)"
            )
        elif model.lag > settings.ready_max_lag:
            reasons.append(
                f"read model {model.name} is {model.lag} events behind its source "
                f"(more than {settings.ready_max_lag})"
            )
    return reasons


class PipelineGauges:
    """The read models' and the consumer partitions' lag, refreshed on every scrape."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.read_model_lag = Gauge(
            "starcard_read_model_lag_events",
            "Source events a read model has not applied yet",
            ["read_model"],
            registry=registry,
        )
        self.heartbeat_age = Gauge(
            "starcard_read_model_heartbeat_age_seconds",
            "Seconds since the projections process last followed the read model",
            ["read_model"],
            registry=registry,
        )
        self.stale_tenants = Gauge(
            "starcard_read_model_stale_tenants",
            "Tenants whose rows stopped at an event the read model could not apply",
            ["read_model"],
            registry=registry,
        )
        self.failures = Gauge(
            "starcard_read_model_failures",
            "Events a read model could not apply, unresolved (their tenant known or not)",
            ["read_model"],
            registry=registry,
        )
        self.read_models_known = Gauge(
            "starcard_read_model_health_known",
            "1 when the database answered the last read-model health query, 0 when it did not",
            registry=registry,
        )
        self.consumer_lag = Gauge(
            "starcard_consumer_lag_records",
            "Records of a partition a service's consumer group has not processed yet",
            ["group", "topic", "partition"],
            registry=registry,
        )
        self.consumer_lag_known = Gauge(
            "starcard_consumer_lag_known",
            "1 when the broker answered the last lag query, 0 when it did not",
            registry=registry,
        )

    async def refresh(
        self, pool: ConnectionPool[psycopg.Connection[Any]], settings: GatewaySettings
    ) -> None:
        await self._refresh_read_models(pool)
        await self._refresh_consumers(settings)

    async def _refresh_read_models(self, pool: ConnectionPool[psycopg.Connection[Any]]) -> None:
        def query() -> list[ReadModelHealth]:
            with pool.connection(timeout=DATABASE_TIMEOUT_SECONDS) as conn:
                return read_models(conn)

        try:
            models = await asyncio.to_thread(query)
        except (psycopg.Error, PoolTimeout) as exc:
            # The request metrics and the consumers' lag are still worth a scrape.
            log.warning("read model health unknown", error=type(exc).__name__)
            self.read_models_known.set(0)
            return
        for model in models:
            self.read_model_lag.labels(model.name).set(model.lag)
            age = model.heartbeat_age_seconds
            self.heartbeat_age.labels(model.name).set(float("inf") if age is None else age)
            self.stale_tenants.labels(model.name).set(model.stale_tenants)
            self.failures.labels(model.name).set(model.failures)
        self.read_models_known.set(1)

    async def _refresh_consumers(self, settings: GatewaySettings) -> None:
        try:
            lags = await asyncio.wait_for(
                consumer_lags(
                    settings.kafka_bootstrap_servers, settings.topic_prefix + GROUP_PREFIX
                ),
                KAFKA_TIMEOUT_SECONDS,
            )
        except (KafkaError, OSError, TimeoutError) as exc:
            log.warning("consumer lag unknown", error=type(exc).__name__)
            self.consumer_lag_known.set(0)
            return
        self.consumer_lag.clear()
        for lag in lags:
            self.consumer_lag.labels(lag.group, lag.topic, str(lag.partition)).set(lag.lag)
        self.consumer_lag_known.set(1)
