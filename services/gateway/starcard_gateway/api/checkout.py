"""Discounts at checkout, under ``/v1/checkout``: codes and referral credit, quoted and used;
a bill quoted under the client's membership tier; a service paid from a pre-paid package.

A code is a loyalty reward (``LOYAL-...``), a referred client's welcome code (``REF-...``) or a
campaign's reward (``BDAY-...``); the prefix says which service answers, and all answer alike. A
campaign's code may be worth a complimentary add-on rather than a discount: it takes nothing off,
and its quote names the add-on for the till to add free.
Only the tenant's own codes are ever found: another tenant's code is answered exactly like a code
that was never issued.

A package pays for a service with one session of the client's package that covers it and expires
soonest, once per booking: the same booking redeemed again uses nothing more and answers the
same, and the booking platform's later report of the visit uses nothing more either.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypedDict

from fastapi import HTTPException, status
from starcard_campaigns.api import is_campaign_code
from starcard_loyalty.api import CheckoutLine, LineKind
from starcard_referrals.api import is_welcome_code

from starcard_gateway.api.referrals import NO_PROGRAMME
from starcard_gateway.api.tiers import NO_PROGRAMME as NO_LOYALTY_PROGRAMME
from starcard_gateway.deps import CampaignsDep, LoyaltyDep, ReferralsDep, TenantDep, tenant_router
from starcard_gateway.errors import Responses, refusal
from starcard_gateway.models.checkout import (
    CodeQuotePublic,
    CodeQuoteRequest,
    CodeRedeemRequest,
    CodeRedemptionPublic,
    CreditQuotePublic,
    CreditQuoteRequest,
    CreditRedeemRequest,
    CreditRedemptionPublic,
    PackageQuotePublic,
    PackageQuoteRequest,
    PackageRedeemRequest,
    PackageRedemptionPublic,
    TierQuotePublic,
    TierQuoteRequest,
)
from starcard_gateway.models.common import ErrorPublic

REFUSED_CODE: Responses = {
    **refusal(404, "No such code for this tenant."),
    **refusal(
        409,
        "The code was already used on another booking, or belongs to another client of the tenant.",
    ),
    **refusal(410, "The code expired; the detail says when."),
    **refusal(422, "A bad amount, or a welcome code worth an amount in another currency."),
}

NO_PACKAGE: Responses = refusal(
    409,
    "No package of the client's covers the service at that moment (none bought, all used up, "
    "expired or refunded), or the booking was cancelled; nothing is used.",
)

router = tenant_router("/v1/checkout", "checkout")


class CodeTerms(TypedDict):
    """What the referrals and campaigns services take of a code at checkout (they answer alike)."""

    code: str
    amount_minor: int
    currency: str


def _code_terms(body: CodeQuoteRequest) -> CodeTerms:
    return {
        "code": body.code,
        "amount_minor": body.amount.amount_minor,
        "currency": body.amount.currency,
    }


@router.post(
    "/quote",
    summary="What a code takes off this client's amount; nothing is used up",
    responses=REFUSED_CODE,
)
def quote_code(
    body: CodeQuoteRequest,
    tenant_id: TenantDep,
    loyalty: LoyaltyDep,
    referrals: ReferralsDep,
    campaigns: CampaignsDep,
) -> CodeQuotePublic:
    terms = _code_terms(body)
    if is_campaign_code(body.code):
        campaign = campaigns.quote_code(tenant_id, body.client_id, booking_id=None, **terms)
        return CodeQuotePublic.from_campaign(campaign)
    if is_welcome_code(body.code):
        welcome = referrals.quote_code(tenant_id, body.client_id, booking_id=None, **terms)
        return CodeQuotePublic.from_welcome(welcome)
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
    body: CodeRedeemRequest,
    tenant_id: TenantDep,
    loyalty: LoyaltyDep,
    referrals: ReferralsDep,
    campaigns: CampaignsDep,
) -> CodeRedemptionPublic:
    now = datetime.now(UTC)
    terms = _code_terms(body)
    if is_campaign_code(body.code):
        campaign = campaigns.redeem_code(
            tenant_id, body.client_id, booking_id=body.booking_id, at=now, **terms
        )
        return CodeRedemptionPublic.from_campaign_redemption(campaign)
    if is_welcome_code(body.code):
        welcome = referrals.redeem_code(
            tenant_id, body.client_id, booking_id=body.booking_id, at=now, **terms
        )
        return CodeRedemptionPublic.from_welcome_redemption(welcome)
    redemption = loyalty.redeem(
        tenant_id,
        body.client_id,
        body.code,
        body.booking_id,
        body.amount.amount_minor,
        body.amount.currency,
        now,
    )
    return CodeRedemptionPublic.from_redemption(redemption)


@router.post(
    "/credit/quote",
    summary="What the client's referral credit takes off this amount; nothing is used up",
    responses=NO_PROGRAMME,
)
def quote_credit(
    body: CreditQuoteRequest, tenant_id: TenantDep, referrals: ReferralsDep
) -> CreditQuotePublic:
    use = referrals.quote_credit(
        tenant_id, body.client_id, body.amount.amount_minor, body.amount.currency
    )
    return CreditQuotePublic.from_use(use, body.amount)


@router.post(
    "/credit/redeem",
    summary="Use the client's referral credit on a booking; the same booking again answers "
    "the same",
    responses={
        **NO_PROGRAMME,
        409: {
            "model": ErrorPublic,
            "description": "Credit was already used on this booking, in another currency or "
            "for more than this amount.",
        },
    },
)
def redeem_credit(
    body: CreditRedeemRequest, tenant_id: TenantDep, referrals: ReferralsDep
) -> CreditRedemptionPublic:
    use = referrals.apply_credit(
        tenant_id,
        body.client_id,
        booking_id=body.booking_id,
        amount_minor=body.amount.amount_minor,
        currency=body.amount.currency,
        at=datetime.now(UTC),
    )
    if use.currency != body.amount.currency or use.amount_minor > body.amount.amount_minor:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"Credit was already used on booking {body.booking_id!r} for another amount: "
            "repeat the booking's first redemption, same amount and currency.",
        )
    return CreditRedemptionPublic.from_use(use, body.amount)


@router.post(
    "/tier/quote",
    summary="What the client's tier takes off each line of a bill, met with a code if given; "
    "nothing is used up",
    responses=REFUSED_CODE,
)
def quote_tier(
    body: TierQuoteRequest, tenant_id: TenantDep, loyalty: LoyaltyDep, referrals: ReferralsDep
) -> TierQuotePublic:
    currency = body.lines[0].amount.currency
    for n, line in enumerate(body.lines):
        if line.amount.currency != currency:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                f"lines[{n}].amount.currency: every line in one currency ({currency}).",
            )
    code = body.code

    def code_discount(amount_minor: int) -> int:
        """What the offered code takes off `amount_minor`, as /quote answers it."""
        if code is None:  # pragma: no cover - only passed with a code
            return 0
        if is_welcome_code(code):
            return referrals.quote_code(
                tenant_id,
                body.client_id,
                code=code,
                booking_id=None,
                amount_minor=amount_minor,
                currency=currency,
            ).discount_minor
        return loyalty.quote(tenant_id, body.client_id, code, amount_minor, currency).discount_minor

    quote = loyalty.quote_tier_checkout(
        tenant_id,
        body.client_id,
        [CheckoutLine(LineKind(line.kind), line.amount.amount_minor) for line in body.lines],
        currency,
        code_discount=code_discount if code is not None else None,
        at=datetime.now(UTC),
    )
    return TierQuotePublic.of(quote, body, currency)


@router.post(
    "/package/quote",
    summary="Whether a package of the client's can pay for this service now, which, and what it "
    "has left; nothing is used",
    responses=NO_LOYALTY_PROGRAMME,
)
def quote_package(
    body: PackageQuoteRequest, tenant_id: TenantDep, loyalty: LoyaltyDep
) -> PackageQuotePublic:
    balance = loyalty.quote_package(
        tenant_id,
        body.client_id,
        service_id=body.service.id,
        category=body.service.category,
        at=body.at or datetime.now(UTC),
    )
    return PackageQuotePublic.of(balance)


@router.post(
    "/package/redeem",
    summary="Pay for a booking with one session of the client's package that covers it and "
    "expires soonest; the same booking again answers the same",
    responses={**NO_LOYALTY_PROGRAMME, **NO_PACKAGE},
)
def redeem_package(
    body: PackageRedeemRequest, tenant_id: TenantDep, loyalty: LoyaltyDep
) -> PackageRedemptionPublic:
    redemption = loyalty.redeem_package(
        tenant_id,
        body.client_id,
        booking_id=body.booking_id,
        service_id=body.service.id,
        category=body.service.category,
        service_name=body.service.name,
        at=body.at or datetime.now(UTC),
    )
    return PackageRedemptionPublic.of(redemption)
