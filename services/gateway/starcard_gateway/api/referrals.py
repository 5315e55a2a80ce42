"""The tenant's referral settings and the referral read models, under ``/v1/referrals``."""

from __future__ import annotations

from starcard_projections.referrals import client_link_code, client_referrals, referral_summary

from starcard_gateway.api.loyalty import ClientIdPath
from starcard_gateway.deps import ReadConnDep, ReferralsDep, TenantDep, tenant_router
from starcard_gateway.errors import refusal
from starcard_gateway.models.common import ErrorPublic
from starcard_gateway.models.referrals import (
    ClientReferralsPublic,
    ReferralSettingsChange,
    ReferralSettingsPublic,
    ReferralSummaryPublic,
)

NO_PROGRAMME = refusal(404, "The tenant has no referral programme open.")

router = tenant_router("/v1/referrals", "referrals")


@router.get(
    "/settings",
    summary="The referral settings: reward, trigger, referred client's code, delivery",
    responses=NO_PROGRAMME,
)
def read_settings(tenant_id: TenantDep, referrals: ReferralsDep) -> ReferralSettingsPublic:
    return ReferralSettingsPublic.from_settings(referrals.programme(tenant_id).settings)


@router.patch(
    "/settings",
    summary="Change some referral settings; rewards already given keep their value",
    responses={
        **NO_PROGRAMME,
        422: {
            "model": ErrorPublic,
            "description": "The settings would not hold together (e.g. alert delivery without "
            "alert_email); the detail says what to fix.",
        },
    },
)
def change_settings(
    body: ReferralSettingsChange, tenant_id: TenantDep, referrals: ReferralsDep
) -> ReferralSettingsPublic:
    settings = referrals.change_settings(tenant_id, **body.changes())
    return ReferralSettingsPublic.from_settings(settings)


@router.get(
    "/clients/{client_id}/referrals",
    summary="Everyone who came through a client's link, refused bookings included",
)
def list_client_referrals(
    client_id: ClientIdPath,
    tenant_id: TenantDep,
    conn: ReadConnDep,
) -> ClientReferralsPublic:
    rows = client_referrals(conn, tenant_id, client_id, include_refused=True)
    return ClientReferralsPublic.from_rows(client_link_code(conn, tenant_id, client_id), rows)


@router.get("/summary", summary="Referrals, credits and welcome codes across every client")
def read_summary(tenant_id: TenantDep, conn: ReadConnDep) -> ReferralSummaryPublic:
    return ReferralSummaryPublic.from_summary(referral_summary(conn, tenant_id))
