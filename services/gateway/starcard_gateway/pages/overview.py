"""The dashboard's first page: the referral summary, the most loyal clients, the milestones, and
the members by tier."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from starcard_gateway.api import loyalty as loyalty_api
from starcard_gateway.api import referrals as referrals_api
from starcard_gateway.api import tiers as tiers_api
from starcard_gateway.deps import LoyaltyDep, ReadConnDep
from starcard_gateway.pages.auth import SessionDep
from starcard_gateway.pages.dashboard import dashboard_page

router = APIRouter(prefix="/dashboard", include_in_schema=False)

TOP_CLIENTS = 5


@router.get("")
def overview(
    request: Request, session: SessionDep, loyalty: LoyaltyDep, conn: ReadConnDep
) -> Response:
    tenant_id = session.tenant_id
    settings = loyalty_api.read_settings(tenant_id, loyalty)
    top = loyalty_api.list_most_loyal_clients(tenant_id, conn, limit=TOP_CLIENTS, offset=0)
    tiers = tiers_api.read_tier_distribution(tenant_id, conn, loyalty)
    tiers_on = tiers_api.read_tier_settings(tenant_id, loyalty).enabled
    return dashboard_page(
        request,
        session,
        loyalty,
        "dashboard/overview.html",
        section="overview",
        title="Dashboard",
        summary=referrals_api.read_summary(tenant_id, conn),
        top=top,
        active_milestones=sum(1 for m in settings.milestones if m.active),
        milestones=len(settings.milestones),
        tiers=tiers if tiers_on or tiers.members else None,
        tiers_on=tiers_on,
    )
