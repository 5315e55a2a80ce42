"""The checkout router's models: quoting and redeeming a code (a loyalty reward code, a
referral welcome code or a campaign's code), a client's referral credit, a bill under the client's
tier, and a service paid from a client's pre-paid package."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from starcard_campaigns.api import CampaignQuote, CampaignRedemption
from starcard_events.bookings import CatalogueName, Category
from starcard_events.envelope import BookingId, ClientId, ExternalId, Moment
from starcard_events.limits import MAX_CODE_LENGTH, MAX_ORDER_LINES
from starcard_events.money import Money
from starcard_loyalty.api import (
    Balance,
    IssuedReward,
    PackageRedemption,
    Quote,
    Redemption,
    TierCheckout,
)
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
        description="Percent off; null for a referral welcome code worth a fixed amount, and for "
        "a campaign code worth a complimentary add-on."
    )
    discount_amount: Money | None = Field(
        default=None,
        exclude_if=lambda amount: amount is None,
        description="What a referral welcome code (`REF-...`) worth a fixed amount is worth; "
        "present on such a code only.",
    )
    add_on: str | None = Field(
        default=None,
        exclude_if=lambda add_on: add_on is None,
        description="The complimentary add-on a campaign code (`BDAY-...`, `ANNV-...`) is worth "
        "instead of a discount: the code takes nothing off, and the add-on is added to the "
        "booking free. Present on such a code only.",
        examples=["Scalp massage, 15 min"],
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

    @classmethod
    def from_campaign(cls, quote: CampaignQuote) -> CodeQuotePublic:
        return cls(**_campaign_priced(quote))


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

    @classmethod
    def from_campaign_redemption(cls, redemption: CampaignRedemption) -> CodeRedemptionPublic:
        return cls(
            **_campaign_priced(redemption),
            booking_id=redemption.booking_id,
            redeemed_at=redemption.redeemed_at,
            next_reward=None,
        )


def _priced(quote: Quote | Redemption) -> dict[str, Any]:
    return {"discount_percent": quote.discount_percent, **_discounted(quote)}


def _welcome_priced(quote: CodeQuote) -> dict[str, Any]:
    worth = None if quote.amount_minor is None else money(quote.amount_minor, quote.currency)
    return {"discount_percent": quote.percent, "discount_amount": worth, **_discounted(quote)}


def _campaign_priced(quote: CampaignQuote) -> dict[str, Any]:
    return {
        "discount_percent": quote.discount_percent,
        "add_on": quote.add_on,
        **_discounted(quote),
    }


def _discounted(quote: Quote | CodeQuote | CampaignQuote) -> dict[str, Any]:
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


# -- packages ------------------------------------------------------------------------------------


class PackageServiceAsked(BaseModel):
    """The service to pay for, as the booking platform's catalogue names it."""

    model_config = ConfigDict(extra="forbid")

    id: ExternalId = Field(description="The platform's id of the service.")
    category: Category | None = Field(
        default=None, description="The service's category, if it has one (packages may cover it)."
    )


class PackageServiceBooked(PackageServiceAsked):
    name: CatalogueName = Field(
        description="The service's name, shown on the client's packages (e.g. 'Hydrafacial')."
    )


AT_DESCRIPTION = (
    "When the session is taken (with its offset; the rules read it as UTC); left out: now. A "
    "package bought after that day (UTC), refunded before it, or expired by that day, does not "
    "pay."
)


class PackageQuoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: ClientId = Field(description="The client paying.")
    service: PackageServiceAsked = Field(description="The service to pay for.")
    at: Moment | None = Field(default=None, description=AT_DESCRIPTION)


class PackageRedeemRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: ClientId = Field(description="The client paying.")
    booking_id: BookingId = Field(
        description="The booking the session pays for; redeeming again for it uses nothing more "
        "and answers the same."
    )
    service: PackageServiceBooked = Field(description="The service booked.")
    at: Moment | None = Field(default=None, description=AT_DESCRIPTION)


class PackageBalancePublic(BaseModel):
    purchase_id: str = Field(description="The platform's id of the package's purchase.")
    package_id: str | None = Field(
        description="The catalogue package it was bought as; null for an ad-hoc package."
    )
    name: str = Field(description="The package's name.")
    sessions: int = Field(description="The sessions it holds.")
    sessions_used: int = Field(description="Sessions used so far.")
    sessions_left: int = Field(description="Sessions still usable.")
    expires_on: date | None = Field(
        description="The day its unused sessions expire (they are usable the day before); null: "
        "no expiry, or a package valid from its first use that has none yet."
    )

    @classmethod
    def from_balance(cls, balance: Balance) -> PackageBalancePublic:
        return cls(
            purchase_id=balance.purchase_id,
            package_id=balance.bought.package_id,
            name=balance.bought.terms.name,
            sessions=balance.bought.terms.sessions,
            sessions_used=len(balance.used),
            sessions_left=balance.left,
            expires_on=balance.expires_on,
        )


class PackageQuotePublic(BaseModel):
    payable: bool = Field(description="Whether a package of the client's pays for the service.")
    package: PackageBalancePublic | None = Field(
        description="The package whose session it would use (of those that can, the one "
        "expiring soonest) as it stands now; null when none can."
    )

    @classmethod
    def of(cls, balance: Balance | None) -> PackageQuotePublic:
        return cls(
            payable=balance is not None,
            package=None if balance is None else PackageBalancePublic.from_balance(balance),
        )


class PackageRedemptionPublic(BaseModel):
    booking_id: str = Field(description="The booking the session paid for.")
    package: PackageBalancePublic = Field(
        description="The package whose session it used, with that session counted."
    )

    @classmethod
    def of(cls, redemption: PackageRedemption) -> PackageRedemptionPublic:
        return cls(
            booking_id=redemption.booking_id,
            package=PackageBalancePublic.from_balance(redemption.balance),
        )
