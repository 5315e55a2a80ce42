"""The checkout router's models: quoting and redeeming a code (a loyalty reward code or a
referral welcome code), a client's referral credit, and a bill under the client's tier."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from starcard_events.envelope import BookingId, ClientId
from starcard_events.limits import MAX_CODE_LENGTH, MAX_ORDER_LINES
from starcard_events.money import Money
from starcard_loyalty.api import IssuedReward, Quote, Redemption, TierCheckout
from starcard_referrals.api import CodeQuote, CreditUse, WelcomeRedemption

from starcard_gateway.models.common import money

CODE_PATTERN = r"^ *[A-Za-z0-9][A-Za-z0-9-]* *$"
"""A discount code as typed at a till (normalised by `normalize_code`)."""


class CodeQuoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: ClientId = Field(description="The client paying.")
    code: str = Field(
        min_length=1,
        max_length=MAX_CODE_LENGTH,
        pattern=CODE_PATTERN,
        description="The code as given: letters, digits and '-' (case and surrounding spaces do "
        "not matter).",
        examples=["LOYAL-7KQ2M9XD"],
    )
    amount: Money = Field(description="The booking's price before the code.")


class CodeRedeemRequest(CodeQuoteRequest):
    booking_id: BookingId = Field(
        description="The booking the code pays toward; redeeming again for it is a no-op that "
        "answers the same.",
    )


class IssuedRewardPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    milestone_id: str = Field(description="The milestone it rewards.")
    message: str = Field(description="The tenant's personal note.")
    discount_percent: int | None = Field(description="Percent off, or null for a message only.")
    code: str | None = Field(description="The new single-use code, or null for a message only.")
    issued_at: datetime = Field(description="When it fired.")
    expires_at: datetime | None = Field(description="When the code lapses unused.")


class CodeQuotePublic(BaseModel):
    code: str = Field(description="The code quoted.")
    discount_percent: int | None = Field(
        description="Percent off; null for a referral welcome code worth a fixed amount."
    )
    discount_amount: Money | None = Field(
        default=None,
        exclude_if=lambda amount: amount is None,
        description="What a referral welcome code (`REF-...`) worth a fixed amount is worth; "
        "present on such a code only.",
    )
    discount: Money = Field(description="What the code takes off the amount.")
    total: Money = Field(description="What the client pays.")
    expires_at: datetime = Field(description="When the code lapses unused.")

    @classmethod
    def from_quote(cls, quote: Quote) -> CodeQuotePublic:
        return cls(**_priced(quote))

    @classmethod
    def from_welcome(cls, quote: CodeQuote) -> CodeQuotePublic:
        return cls(**_welcome_priced(quote))


class CodeRedemptionPublic(CodeQuotePublic):
    booking_id: str = Field(description="The booking the code was used on.")
    redeemed_at: datetime = Field(description="When it was redeemed (the first time).")
    next_reward: IssuedRewardPublic | None = Field(
        description="A loyalty reward that was waiting for this code to be used and has now "
        "fired (its code is on the client's card and in their email), or null."
    )

    @classmethod
    def from_redemption(cls, redemption: Redemption) -> CodeRedemptionPublic:
        next_reward: IssuedReward | None = redemption.next_reward
        return cls(
            **_priced(redemption),
            booking_id=redemption.booking_id,
            redeemed_at=redemption.redeemed_at,
            next_reward=None
            if next_reward is None
            else IssuedRewardPublic.model_validate(next_reward),
        )

    @classmethod
    def from_welcome_redemption(cls, redemption: WelcomeRedemption) -> CodeRedemptionPublic:
        return cls(
            **_welcome_priced(redemption),
            booking_id=redemption.booking_id,
            redeemed_at=redemption.redeemed_at,
            next_reward=None,
        )


def _priced(quote: Quote | Redemption) -> dict[str, Any]:
    return {"discount_percent": quote.discount_percent, **_discounted(quote)}


def _welcome_priced(quote: CodeQuote) -> dict[str, Any]:
    worth = None if quote.amount_minor is None else money(quote.amount_minor, quote.currency)
    return {"discount_percent": quote.percent, "discount_amount": worth, **_discounted(quote)}


def _discounted(quote: Quote | CodeQuote) -> dict[str, Any]:
    return {
        "code": quote.code,
        "discount": money(quote.discount_minor, quote.currency),
        "total": money(quote.total_minor, quote.currency),
        "expires_at": quote.expires_at,
    }


class CreditQuoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: ClientId = Field(description="The client paying, whose credit it is.")
    amount: Money = Field(description="The booking's price before credit.")


class CreditRedeemRequest(CreditQuoteRequest):
    booking_id: BookingId = Field(
        description="The booking the credit pays toward; redeeming again for it uses nothing "
        "more and answers the same.",
    )


class CreditPartPublic(BaseModel):
    credit_id: str = Field(description="The credit drawn on: one per referral that earned it.")
    amount: Money = Field(description="What it takes off this booking.")


class CreditQuotePublic(BaseModel):
    discount: Money = Field(
        description="What the client's referral credit takes off the amount: one percentage "
        "credit (rounded half up to the minor unit), then fixed credits of this currency, never "
        "more than the amount; zero when they have none."
    )
    total: Money = Field(description="What the client pays.")
    credits_used: list[CreditPartPublic] = Field(
        description="The credits it comes from, oldest first. What a fixed credit does not use "
        "stays for the next booking."
    )

    @classmethod
    def from_use(cls, use: CreditUse, amount: Money) -> CreditQuotePublic:
        return cls(**_credited(use, amount))


class CreditRedemptionPublic(CreditQuotePublic):
    booking_id: str = Field(description="The booking the credit was used on.")

    @classmethod
    def from_use(cls, use: CreditUse, amount: Money) -> CreditRedemptionPublic:
        return cls(**_credited(use, amount), booking_id=use.booking_id)


def _credited(use: CreditUse, amount: Money) -> dict[str, Any]:
    return {
        "discount": money(use.amount_minor, use.currency),
        "total": money(amount.amount_minor - use.amount_minor, use.currency),
        "credits_used": [
            CreditPartPublic(credit_id=credit_id, amount=money(taken, use.currency))
            for credit_id, taken in use.parts
        ],
    }


class TierLineRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["treatment", "product"] = Field(
        description="A treatment line takes the tier's treatment discount, a product line its "
        "product discount."
    )
    amount: Money = Field(description="The line's price before discounts.")


class TierQuoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: ClientId = Field(description="The client paying.")
    lines: list[TierLineRequest] = Field(
        min_length=1, max_length=MAX_ORDER_LINES, description="The bill's lines, in one currency."
    )
    code: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_CODE_LENGTH,
        pattern=CODE_PATTERN,
        description="A code the client offers too: the quote says whether it or the tier "
        "applies (or both, when the tenant lets them stack).",
        examples=["LOYAL-7KQ2M9XD"],
    )


class TierLinePublic(BaseModel):
    kind: Literal["treatment", "product"] = Field(description="The line's kind.")
    amount: Money = Field(description="The line's price before discounts.")
    tier_discount: Money = Field(description="What the tier takes off the line.")


class TierQuotePublic(BaseModel):
    tier_id: str = Field(description="The client's tier now.")
    tier_name: str = Field(description="Its name, as the tenant calls it.")
    lines: list[TierLinePublic] = Field(description="Each line with the tier's discount on it.")
    tier_discount: Money = Field(description="What the tier takes off the bill.")
    code: str | None = Field(description="The code quoted with it, if one was given.")
    code_discount: Money | None = Field(
        description="What the code would take off (after the tier's discount when they stack)."
    )
    applied: Literal["none", "tier", "code", "both"] = Field(
        description="What applies: the better of the tier and the code, or both when the "
        "tenant lets them stack; a tie goes to the tier, so the code stays for another visit."
    )
    discount: Money = Field(description="What comes off the bill.")
    total: Money = Field(description="What the client pays.")

    @classmethod
    def of(cls, quote: TierCheckout, body: TierQuoteRequest, currency: str) -> TierQuotePublic:
        return cls(
            tier_id=quote.tier.tier_id,
            tier_name=quote.tier.name,
            lines=[
                TierLinePublic(
                    kind=line.kind, amount=line.amount, tier_discount=money(off, currency)
                )
                for line, off in zip(body.lines, quote.line_discounts, strict=True)
            ],
            tier_discount=money(quote.tier_discount_minor, currency),
            code=body.code.strip().upper() if body.code else None,
            code_discount=money(quote.code_discount_minor, currency) if body.code else None,
            applied=quote.applied,
            discount=money(quote.discount_minor, currency),
            total=money(quote.total_minor, currency),
        )
