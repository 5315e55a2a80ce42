"""The gateway's composition root: what one process opens once and shares between requests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool
from starcard_campaigns.api import SCHEMA as CAMPAIGNS_SCHEMA
from starcard_campaigns.api import CampaignsService
from starcard_loyalty.api import SCHEMA as LOYALTY_SCHEMA
from starcard_loyalty.api import LoyaltyService
from starcard_projections import runner as projections
from starcard_referrals.api import SCHEMA as REFERRALS_SCHEMA
from starcard_referrals.api import ReferralsService
from starcard_runtime.service import build_application
from starcard_runtime.settings import RuntimeSettings

from starcard_gateway import tenants


@dataclass(frozen=True)
class Resources:
    loyalty: LoyaltyService
    """Settings commands run through the loyalty service's own application, on its schema."""
    referrals: ReferralsService
    """Settings, portal and checkout commands of the referrals service, on its schema."""
    campaigns: CampaignsService
    """Campaign settings and campaign codes at checkout, on the campaigns service's schema."""
    pool: ConnectionPool[psycopg.Connection[Any]]
    """Connections for the ``read`` and ``gateway`` schemas."""
    tenants: tenants.TenantRegistry


@contextmanager
def open_resources(settings: RuntimeSettings, *, pool_size: int = 4) -> Iterator[Resources]:
    """Create any missing tables, open the loyalty, referrals and campaigns services and a
    connection pool; close them all."""
    tenants.migrate(settings.database_url)
    projections.migrate(settings.database_url)
    with ExitStack() as opened:
        loyalty = build_application(LoyaltyService, settings, LOYALTY_SCHEMA)
        opened.callback(loyalty.close)
        referrals = build_application(ReferralsService, settings, REFERRALS_SCHEMA)
        opened.callback(referrals.close)
        campaigns = build_application(CampaignsService, settings, CAMPAIGNS_SCHEMA)
        opened.callback(campaigns.close)
        pool = opened.enter_context(
            ConnectionPool(
                settings.database_url,
                min_size=1,
                max_size=pool_size,
                kwargs={"autocommit": True},
                name="gateway",
            )
        )
        pool.wait()
        registry = tenants.TenantRegistry(pool, loyalty, referrals, campaigns)
        yield Resources(loyalty, referrals, campaigns, pool, registry)
