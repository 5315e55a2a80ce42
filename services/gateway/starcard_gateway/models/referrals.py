"""The referrals router's models: the referral settings a tenant changes, a client's
referrals, and the tenant's referral summary."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator
from starcard_events.limits import MAX_AMOUNT_MINOR, MAX_EMAIL_LENGTH, MAX_URL_LENGTH
from starcard_events.money import Money
from starcard_events.referral_facts import RefusalReason, Value
from starcard_projections.referrals import ReferralRow, ReferralSummary
from starcard_referrals.api import EMAIL, URL, Delivery, ReferralSettings, RewardValue, Trigger

from starcard_gateway.models.common import money, money_by_currency, never_null

NULLABLE_SETTINGS = frozenset({"alert_email", "booking_page_url"})


class RewardAmount(Money):
    """A fixed reward: more than nothing."""

    amount_minor: StrictInt = Field(
        ge=0,
        le=MAX_AMOUNT_MINOR,
        json_schema_extra={"minimum": 1},
        description="Amount in the currency's minor unit, as a JSON integer, more than zero (e.g. "
        "1000 for GBP 10.00).",
    )


class RewardChange(Value):
    """What a referral earns: a fixed amount (more than zero) or a percentage off."""

    amount: RewardAmount | None = Field(default=None, description="A fixed amount off.")


class ReferralSettingsChange(BaseModel):
    """Only the fields sent change; the rest stay as they are. A field that cannot be unset
    (all but `alert_email` and `booking_page_url`) refuses null."""

    model_config = ConfigDict(extra="forbid")

    reward: RewardChange | None = Field(
        default=None,
        json_schema_extra=never_null,
        description='What a referral earns: `{"amount": Money}` for a fixed amount off or '
        '`{"percent": 10}` for a percentage off.',
        examples=[{"amount": {"amount_minor": 1000, "currency": "GBP"}}, {"percent": 10}],
    )
    trigger: Trigger | None = Field(
        default=None,
        json_schema_extra=never_null,
        description="When the referrer is rewarded: at the referred client's first booking, or "
        "once their first paid appointment is completed.",
    )
    reward_referred: bool | None = Field(
        default=None,
        json_schema_extra=never_null,
        description="Whether the referred client also gets a single-use `REF-` code worth the "
        "same, as soon as they book.",
    )
    delivery: Delivery | None = Field(
        default=None,
        json_schema_extra=never_null,
        description="`credit`: the reward is credited to the referrer automatically. `alert`: "
        "the business is emailed to reward them by hand (needs `alert_email`).",
    )
    alert_email: str | None = Field(
        default=None,
        max_length=MAX_EMAIL_LENGTH,
        pattern=EMAIL.pattern,
        description="Where alerts go; null to clear it (not while delivery is `alert`).",
        examples=["owner@example.com"],
    )
    booking_page_url: str | None = Field(
        default=None,
        max_length=MAX_URL_LENGTH,
        pattern=URL.pattern,
        description="The business's booking page: clients' referral links point to it with "
        "`?ref=<code>`. Null until set, and clients' links have no URL meanwhile.",
        examples=["https://book.example.com/anna-massage"],
    )

    @model_validator(mode="after")
    def _no_null_for_what_cannot_be_unset(self) -> Self:
        for name in sorted(self.model_fields_set - NULLABLE_SETTINGS):
            if getattr(self, name) is None:
                msg = f"{name} cannot be null: leave it out to keep it as it is."
                raise ValueError(msg)
        return self

    def changes(self) -> dict[str, Any]:
        """The fields sent, as `ReferralSettings` values; raises `InvalidSettings`."""
        changes = {name: getattr(self, name) for name in self.model_fields_set}
        if self.reward is not None:
            changes["reward"] = _reward_value(self.reward)
        return changes


def _reward_value(value: Value) -> RewardValue:
    amount = value.amount
    return RewardValue(
        amount_minor=None if amount is None else amount.amount_minor,
        currency=None if amount is None else amount.currency,
        percent=value.percent,
    )


def _reward_public(reward: RewardValue) -> Value:
    amount = None
    if reward.amount_minor is not None and reward.currency is not None:
        amount = money(reward.amount_minor, reward.currency)
    return Value(amount=amount, percent=reward.percent)


class ReferralSettingsPublic(BaseModel):
    reward: Value = Field(description="What a referral earns: an amount off or a percentage off.")
    trigger: Trigger = Field(description="When the referrer is rewarded.")
    reward_referred: bool = Field(
        description="Whether the referred client also gets a single-use `REF-` code."
    )
    delivery: Delivery = Field(description="Credit to the referrer, or an alert to the business.")
    alert_email: str | None = Field(description="Where alerts go, or null.")
    booking_page_url: str | None = Field(
        description="The booking page clients' links point to; null until set."
    )

    @classmethod
    def from_settings(cls, settings: ReferralSettings) -> ReferralSettingsPublic:
        return cls(
            reward=_reward_public(settings.reward),
            trigger=settings.trigger,
            reward_referred=settings.reward_referred,
            delivery=settings.delivery,
            alert_email=settings.alert_email,
            booking_page_url=settings.booking_page_url,
        )


# -- referral queries ------------------------------------------------------------------------

Stage = Literal["invited", "booked", "completed", "refused"]
Colour = Literal["red", "amber", "green", "grey"]


class ReferralPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    referred_client_id: str | None = Field(
        description="The referred client, once they booked; null while only invited."
    )
    visitor_id: str | None = Field(description="The booking page's visitor, while only invited.")
    stage: Stage = Field(description="Where the referral stands; `refused` made no referral.")
    colour: Colour = Field(
        description="The dashboard's dot: red invited, amber booked, green completed, grey refused."
    )
    invited_at: datetime | None = Field(description="When they followed the link.")
    booked_at: datetime | None = Field(description="When they booked through it.")
    completed_at: datetime | None = Field(description="When their first paid visit was done.")
    refusal_reason: RefusalReason | None = Field(
        description="Why no referral was made (own link, already a client, already referred); "
        "null unless refused."
    )


class ClientReferralsPublic(BaseModel):
    link_code: str | None = Field(
        description="The client's referral code; null until they first open their portal."
    )
    data: list[ReferralPublic] = Field(
        description="Everyone who came through the client's link, most recent first."
    )
    count: int = Field(description="How many there are.")

    @classmethod
    def from_rows(cls, link_code: str | None, rows: list[ReferralRow]) -> ClientReferralsPublic:
        data = [ReferralPublic.model_validate(row) for row in rows]
        return cls(link_code=link_code, data=data, count=len(data))


class ReferralSummaryPublic(BaseModel):
    invited: int = Field(description="Visitors through a link who have not booked (yet).")
    booked: int = Field(description="Referrals at the booked stage.")
    completed: int = Field(description="Referrals completed.")
    refused: int = Field(description="Bookings through a link that made no referral.")
    referrers: int = Field(
        description="Clients whose link brought anyone: an invitation, a referral or a refused "
        "booking (their own visits aside)."
    )
    credits_issued: int = Field(description="Credits given to referrers.")
    credit_amounts_issued: list[Money] = Field(
        description="Fixed-amount credit given, by currency."
    )
    credit_amounts_used: list[Money] = Field(
        description="Credit taken off bookings, by currency (percentage credits' share included)."
    )
    rewards_alerted: int = Field(description="Rewards the business was alerted to give by hand.")
    welcome_codes_issued: int = Field(description="`REF-` codes given to referred clients.")
    welcome_codes_redeemed: int = Field(description="`REF-` codes used at checkout.")
    booking_rate: float | None = Field(
        description="Share of referrals (invited, booked or completed) that booked, 0 to 1; "
        "null before anyone was referred."
    )
    completion_rate: float | None = Field(
        description="Share of referrals that completed, 0 to 1; null before anyone was referred."
    )

    @classmethod
    def from_summary(cls, summary: ReferralSummary) -> ReferralSummaryPublic:
        return cls(
            **asdict(summary)
            | {
                "credit_amounts_issued": money_by_currency(summary.credit_amounts_issued),
                "credit_amounts_used": money_by_currency(summary.credit_amounts_used),
            }
        )
