"""The gateway's composition root: what one process opens once and shares between requests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool
from starcard_loyalty.app import SCHEMA as LOYALTY_SCHEMA
from starcard_loyalty.application import LoyaltyService
from starcard_projections import runner as projections
from starcard_runtime.service import build_application
from starcard_runtime.settings import RuntimeSettings

from starcard_gateway import tenants


@dataclass(frozen=True)
class Resources:
    loyalty: LoyaltyService
    """Settings commands run through the loyalty service's own application, on its schema."""
    pool: ConnectionPool[psycopg.Connection[Any]]
    """Connections for the ``read`` and ``gateway`` schemas."""
    tenants: tenants.TenantRegistry


@contextmanager
def open_resources(settings: RuntimeSettings, *, pool_size: int = 4) -> Iterator[Resources]:
    """Create any missing tables, open the loyalty service and a connection pool; close both."""
    tenants.migrate(settings.database_url)
    projections.migrate(settings.database_url)
    loyalty = build_application(LoyaltyService, settings, LOYALTY_SCHEMA)
    try:
        with ConnectionPool(
            settings.database_url,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True},
            name="gateway",
        ) as pool:
            pool.wait()
            yield Resources(loyalty, pool, tenants.TenantRegistry(pool, loyalty))
    finally:
        loyalty.close()
