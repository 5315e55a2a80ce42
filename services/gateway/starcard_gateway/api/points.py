"""Points: the tenant's points programme and each client's points, under ``/v1/loyalty``, and
points spent at checkout, under ``/v1/checkout/points``.

A client's balance, lots and history come from the points read model; settings, adjustments and
checkout run through the loyalty service, which refuses what its rules do not allow with the
figures to correct it (`PointsRefused`: 409, the account or the programme as it stands does not
allow it).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi import HTTPException, status
from starcard_projections.points import clients_by_points, points_history, points_summary

from starcard_gateway.api.loyalty import ClientIdPath, PageOffset, PageSize
from starcard_gateway.deps import LoyaltyDep, ReadConnDep, TenantDep, tenant_router
from starcard_gateway.errors import Responses, refusal
from starcard_gateway.models.points import (
    ClientPointsPublic,
    ClientsByPointsPublic,
    PointsAdjustment,
    PointsAdjustmentPublic,
    PointsHistoryPublic,
    PointsQuotePublic,
    PointsQuoteRequest,
    PointsRedeemRequest,
    PointsRedemptionPublic,
    PointsSettingsChange,
    PointsSettingsPublic,
)

INVALID_SETTINGS = refusal(
    422,
    "A field out of bounds, or settings that would not hold together (a rebooking bonus "
    "without its window, expiry after N days without expiry_days, a service bonus with neither "
    "a service nor a category...): the detail names every problem.",
)
POINTS_REFUSAL = (
    "The points cannot be used or moved so: below the programme's minimum, above what the "
    "client can spend now (or holds, for an adjustment), above the share of the bill points "
    "may pay, worth less than one minor unit, or no points programme switched on. The detail "
    "gives the figures to correct it."
)
REFUSED_POINTS: Responses = refusal(409, POINTS_REFUSAL)
REFUSED_REDEMPTION: Responses = refusal(
    409,
    f"{POINTS_REFUSAL} Or points were already used on this booking, in another currency or for "
    "more than this amount.",
)

router = tenant_router("/v1/loyalty", "points")
checkout_router = tenant_router("/v1/checkout/points", "checkout")


@router.get(
    "/points/settings", summary="The points programme: earning, bonuses, expiry, redemption"
)
def read_points_settings(tenant_id: TenantDep, loyalty: LoyaltyDep) -> PointsSettingsPublic:
    return PointsSettingsPublic.from_settings(loyalty.programme(tenant_id).points)


@router.patch(
    "/points/settings",
    summary="Change some points settings; they apply from now, points already earned keep theirs",
    responses=INVALID_SETTINGS,
)
def change_points_settings(
    body: PointsSettingsChange, tenant_id: TenantDep, loyalty: LoyaltyDep
) -> PointsSettingsPublic:
    changed = loyalty.change_points_settings(tenant_id, body.applied_to, datetime.now(UTC))
    return PointsSettingsPublic.from_settings(changed)


@router.get("/points/clients", summary="Clients by points balance, most first")
def list_clients_by_points(
    tenant_id: TenantDep, conn: ReadConnDep, limit: PageSize = 50, offset: PageOffset = 0
) -> ClientsByPointsPublic:
    return ClientsByPointsPublic.from_page(
        *clients_by_points(conn, tenant_id, limit=limit, offset=offset)
    )


@router.get(
    "/clients/{client_id}/points",
    summary="One client's points: balance, the lots it is made of with their expiry, the next "
    "expiry",
)
def read_client_points(
    client_id: ClientIdPath, tenant_id: TenantDep, conn: ReadConnDep
) -> ClientPointsPublic:
    return ClientPointsPublic.from_summary(points_summary(conn, tenant_id, client_id))


@router.get(
    "/clients/{client_id}/points/history",
    summary="One client's points movements, newest first, each with its reason and the balance "
    "after it",
)
def list_client_points_history(
    client_id: ClientIdPath,
    tenant_id: TenantDep,
    conn: ReadConnDep,
    limit: PageSize = 50,
    offset: PageOffset = 0,
) -> PointsHistoryPublic:
    rows, count = points_history(conn, tenant_id, client_id, limit=limit, offset=offset)
    return PointsHistoryPublic.from_page(rows, count)


@router.post(
    "/clients/{client_id}/points/adjustments",
    status_code=status.HTTP_201_CREATED,
    summary="Add or take points by hand, with a note; the same adjustment_id again changes "
    "nothing more",
    responses=REFUSED_POINTS,
)
def adjust_client_points(
    client_id: ClientIdPath, body: PointsAdjustment, tenant_id: TenantDep, loyalty: LoyaltyDep
) -> PointsAdjustmentPublic:
    adjustment_id = body.adjustment_id or str(uuid.uuid4())
    balance = loyalty.adjust_points(
        tenant_id,
        client_id,
        adjustment_id=adjustment_id,
        points=body.points,
        note=body.note,
        at=datetime.now(UTC),
    )
    return PointsAdjustmentPublic(
        client_id=client_id, adjustment_id=adjustment_id, points=body.points, balance=balance
    )


@checkout_router.post(
    "/quote", summary="What the client's points can take off this bill; nothing is spent"
)
def quote_points(
    body: PointsQuoteRequest, tenant_id: TenantDep, loyalty: LoyaltyDep
) -> PointsQuotePublic:
    quote = loyalty.quote_points(tenant_id, body.client_id, body.amount, datetime.now(UTC))
    return PointsQuotePublic.from_quote(quote)


@checkout_router.post(
    "/redeem",
    summary="Spend points on a booking's bill; the same booking again answers the same",
    responses=REFUSED_REDEMPTION,
)
def redeem_points(
    body: PointsRedeemRequest, tenant_id: TenantDep, loyalty: LoyaltyDep
) -> PointsRedemptionPublic:
    redemption = loyalty.redeem_points(
        tenant_id,
        body.client_id,
        booking_id=body.booking_id,
        points=body.points,
        bill=body.amount,
        at=datetime.now(UTC),
    )
    if (
        redemption.currency != body.amount.currency
        or redemption.discount_minor > body.amount.amount_minor
    ):
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"Points were already used on booking {body.booking_id!r} for another bill: repeat "
            "the booking's first redemption, same amount and currency.",
        )
    return PointsRedemptionPublic.from_redemption(redemption, body.amount)
