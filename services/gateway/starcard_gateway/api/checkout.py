"""Loyalty codes at checkout, under ``/v1/checkout``: what a code takes off, and using it.

Only the tenant's own codes are ever found: another tenant's code is answered exactly like a code
that was never issued.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter

from starcard_gateway.deps import LoyaltyDep, TenantDep
from starcard_gateway.models import (
    CodeQuotePublic,
    CodeQuoteRequest,
    CodeRedeemRequest,
    CodeRedemptionPublic,
    ErrorPublic,
)

REFUSED_CODE: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorPublic, "description": "No such code for this tenant."},
    409: {
        "model": ErrorPublic,
        "description": "The code was already used on another booking, or belongs to another "
        "client of the tenant.",
    },
    410: {"model": ErrorPublic, "description": "The code expired; the detail says when."},
}

router = APIRouter(
    prefix="/v1/checkout",
    tags=["checkout"],
    responses={401: {"model": ErrorPublic, "description": "Missing or invalid API key."}},
)


@router.post(
    "/quote",
    summary="What a code takes off this client's amount; nothing is used up",
    responses=REFUSED_CODE,
)
def quote_code(
    body: CodeQuoteRequest, tenant_id: TenantDep, loyalty: LoyaltyDep
) -> CodeQuotePublic:
    quote = loyalty.quote(
        tenant_id, body.client_id, body.code, body.amount.amount_minor, body.amount.currency
    )
    return CodeQuotePublic.from_quote(quote)


@router.post(
    "/redeem",
    summary="Use a code on a booking; the same booking again answers the same",
    responses=REFUSED_CODE,
)
def redeem_code(
    body: CodeRedeemRequest, tenant_id: TenantDep, loyalty: LoyaltyDep
) -> CodeRedemptionPublic:
    redemption = loyalty.redeem(
        tenant_id,
        body.client_id,
        body.code,
        body.booking_id,
        body.amount.amount_minor,
        body.amount.currency,
        datetime.now(UTC),
    )
    return CodeRedemptionPublic.from_redemption(redemption)
