"""The client portal, under ``/v1/portal``: the tenant mints a client's token; the client's
portal reads that client's referral link, referrals, credit, loyalty card, points, tier,
packages and campaign offers with it.

The tenant and the client of a portal route come from the token only, so a portal shows its own
client's data and nothing else.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, status
from starcard_projections.packages import client_holdings
from starcard_projections.points import points_history, points_summary
from starcard_projections.referrals import client_referrals, credit_banner
from starcard_projections.tiers import tier_member

from starcard_gateway.api.loyalty import NO_CARD, PageOffset, PageSize, loyalty_card
from starcard_gateway.deps import (
    CampaignsDep,
    LoyaltyDep,
    PortalClientDep,
    PortalTokensDep,
    ReadConnDep,
    ReferralsDep,
    SettingsDep,
    StrictPortalRequest,
    StrictTenantRequest,
    TenantDep,
)
from starcard_gateway.errors import MISSING_KEY, REFUSED_REQUEST, refusal
from starcard_gateway.models.common import ErrorPublic
from starcard_gateway.models.loyalty import LoyaltyCardPublic
from starcard_gateway.models.packages import PortalPackagesPublic
from starcard_gateway.models.portal import (
    PortalOffersPublic,
    PortalPointsPublic,
    PortalReferralsPublic,
    PortalTokenPublic,
    PortalTokenRequest,
)
from starcard_gateway.models.tiers import ClientTierPublic

CLIENT_TOKEN = refusal(
    401, "Missing, expired or invalid portal token (a tenant API key is not one)."
)

router = APIRouter(prefix="/v1/portal", tags=["portal"], responses=REFUSED_REQUEST)


@router.post(
    "/tokens",
    status_code=status.HTTP_201_CREATED,
    summary="Mint a client's portal token (with the tenant's API key)",
    dependencies=[StrictTenantRequest],
    responses=MISSING_KEY,
)
def mint_token(
    body: PortalTokenRequest, tenant_id: TenantDep, tokens: PortalTokensDep, settings: SettingsDep
) -> PortalTokenPublic:
    minted = tokens.mint(
        tenant_id,
        body.client_id,
        ttl=timedelta(minutes=body.ttl_minutes),
        now=datetime.now(UTC),
    )
    portal_url = (
        None if settings.portal_url is None else f"{settings.portal_url}#token={minted.token}"
    )
    return PortalTokenPublic(
        token=minted.token, expires_at=minted.expires_at, portal_url=portal_url
    )


@router.get(
    "/referrals",
    summary="The client's referral link (made on first ask), their referrals and credit",
    dependencies=[StrictPortalRequest],
    responses={
        **CLIENT_TOKEN,
        404: {"model": ErrorPublic, "description": "The business has no referral programme."},
    },
)
def read_referrals(
    client: PortalClientDep, referrals: ReferralsDep, conn: ReadConnDep
) -> PortalReferralsPublic:
    link = referrals.link_for(client.tenant_id, client.client_id)
    return PortalReferralsPublic.from_parts(
        link,
        client_referrals(conn, client.tenant_id, client.client_id),
        credit_banner(conn, client.tenant_id, client.client_id),
        referrals.programme(client.tenant_id).settings,
    )


@router.get(
    "/card",
    summary="The client's loyalty card",
    dependencies=[StrictPortalRequest],
    responses={**CLIENT_TOKEN, **NO_CARD},
)
def read_card(client: PortalClientDep, conn: ReadConnDep) -> LoyaltyCardPublic:
    return loyalty_card(conn, client.tenant_id, client.client_id)


@router.get(
    "/points",
    summary="The client's points: balance, the next expiry, and their history",
    dependencies=[StrictPortalRequest],
    responses=CLIENT_TOKEN,
)
def read_points(
    client: PortalClientDep,
    loyalty: LoyaltyDep,
    conn: ReadConnDep,
    limit: PageSize = 20,
    offset: PageOffset = 0,
) -> PortalPointsPublic:
    tenant_id, client_id = client.tenant_id, client.client_id
    rows, count = points_history(conn, tenant_id, client_id, limit=limit, offset=offset)
    return PortalPointsPublic.from_parts(
        loyalty.programme(tenant_id).points.enabled,
        points_summary(conn, tenant_id, client_id),
        rows,
        count,
    )


@router.get(
    "/tier",
    summary="The client's tier, what it gives, what more reaches the next one and what keeps it",
    dependencies=[StrictPortalRequest],
    responses={
        **CLIENT_TOKEN,
        **refusal(404, "The business has no loyalty programme open."),
    },
)
def read_tier(client: PortalClientDep, loyalty: LoyaltyDep, conn: ReadConnDep) -> ClientTierPublic:
    tenant_id, client_id = client.tenant_id, client.client_id
    settings = loyalty.programme(tenant_id).tiers
    return ClientTierPublic.from_member(
        client_id, settings, tier_member(conn, tenant_id, client_id)
    )


@router.get(
    "/packages",
    summary="The client's pre-paid packages: sessions used and left, and until when",
    dependencies=[StrictPortalRequest],
    responses=CLIENT_TOKEN,
)
def read_packages(client: PortalClientDep, conn: ReadConnDep) -> PortalPackagesPublic:
    return PortalPackagesPublic.from_holdings(
        client_holdings(conn, client.tenant_id, client.client_id)
    )


@router.get(
    "/offers",
    summary="The client's campaign offers (birthday, anniversary, we miss you) whose code has "
    "not expired, newest first",
    dependencies=[StrictPortalRequest],
    responses=CLIENT_TOKEN,
)
def read_offers(client: PortalClientDep, campaigns: CampaignsDep) -> PortalOffersPublic:
    """An offer shows until its code expires, judged at the time of the request."""
    offers = campaigns.offers(client.tenant_id, client.client_id)
    return PortalOffersPublic.from_offers(
        offers, used=campaigns.used_codes(offers), now=datetime.now(UTC)
    )
