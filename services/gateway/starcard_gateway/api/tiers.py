"""Membership tiers: the programme's tier settings, under ``/v1/loyalty/tiers``, and for the
booking platform a client's tier (with what it gives at a booking), their tier history and the
members by tier, under ``/v1/tiers``.

A client's tier, spend and what keeps it come from the tiers read model, named and priced by the
tier settings in force now; a client the tiers never counted is in the first tier with no spend.
Settings changes run through the loyalty service, which refuses settings that would not hold
together with every problem named (422).
"""

from __future__ import annotations

from datetime import UTC, datetime

from starcard_projections.tiers import tier_distribution, tier_history, tier_member

from starcard_gateway.api.loyalty import ClientIdPath, PageOffset, PageSize
from starcard_gateway.deps import LoyaltyDep, ReadConnDep, TenantDep, tenant_router
from starcard_gateway.errors import refusal
from starcard_gateway.models.tiers import (
    ClientTierPublic,
    TierDistributionPublic,
    TierHistoryPublic,
    TierSettingsChange,
    TierSettingsPublic,
)

NO_PROGRAMME = refusal(404, "The tenant has no loyalty programme open.")
INVALID_SETTINGS = refusal(
    422,
    "A field out of bounds, or tiers that would not hold together (the first tier's entry "
    "not 0, a tier needing no more spend than the one below it, two tiers with one id or "
    "name, a stay threshold above the entry threshold...): the detail names every problem.",
)

settings_router = tenant_router("/v1/loyalty", "tiers")
router = tenant_router("/v1/tiers", "tiers")


@settings_router.get(
    "/tiers/settings",
    summary="The tiers: names, thresholds, benefits, the window, what counts, how tiers drop",
    responses=NO_PROGRAMME,
)
def read_tier_settings(tenant_id: TenantDep, loyalty: LoyaltyDep) -> TierSettingsPublic:
    return TierSettingsPublic.from_settings(loyalty.programme(tenant_id).tiers)


@settings_router.patch(
    "/tiers/settings",
    summary="Change some tier settings; they apply from now, and each member is judged again",
    responses={**NO_PROGRAMME, **INVALID_SETTINGS},
)
def change_tier_settings(
    body: TierSettingsChange, tenant_id: TenantDep, loyalty: LoyaltyDep
) -> TierSettingsPublic:
    changed = loyalty.change_tier_settings(tenant_id, body.applied_to, datetime.now(UTC))
    return TierSettingsPublic.from_settings(changed)


@router.get(
    "/clients/{client_id}",
    summary="One client's tier and its benefits, their spend in the window, what reaches the "
    "next tier and what keeps this one",
    responses=NO_PROGRAMME,
)
def read_client_tier(
    client_id: ClientIdPath, tenant_id: TenantDep, conn: ReadConnDep, loyalty: LoyaltyDep
) -> ClientTierPublic:
    settings = loyalty.programme(tenant_id).tiers
    member = tier_member(conn, tenant_id, client_id)
    return ClientTierPublic.from_member(client_id, settings, member)


@router.get(
    "/clients/{client_id}/history",
    summary="One client's tier changes, newest first, each with its reason and the spend then",
    responses=NO_PROGRAMME,
)
def list_client_tier_history(
    client_id: ClientIdPath,
    tenant_id: TenantDep,
    conn: ReadConnDep,
    loyalty: LoyaltyDep,
    *,
    limit: PageSize = 50,
    offset: PageOffset = 0,
) -> TierHistoryPublic:
    settings = loyalty.programme(tenant_id).tiers
    rows, count = tier_history(conn, tenant_id, client_id, limit=limit, offset=offset)
    return TierHistoryPublic.from_page(rows, count, settings)


@router.get(
    "/distribution",
    summary="Every tier with its members (clients whose spend the tiers have counted)",
    responses=NO_PROGRAMME,
)
def read_tier_distribution(
    tenant_id: TenantDep, conn: ReadConnDep, loyalty: LoyaltyDep
) -> TierDistributionPublic:
    settings = loyalty.programme(tenant_id).tiers
    return TierDistributionPublic.from_counts(settings, tier_distribution(conn, tenant_id))
