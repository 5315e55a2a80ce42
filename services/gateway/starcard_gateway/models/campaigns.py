"""The campaigns router's models: each campaign's settings (birthday, anniversary,
re-engagement), what the campaigns share (the booking link, the hold-out share, the attribution
window), a client's offers, and the results per campaign and cohort against the hold-out group.

A change names only the settings it changes; null is refused ("leave it out to keep it"), but
for the booking link, where null removes it. The campaigns domain checks every rule and names
each problem (422); the bounds it exports are documented here too.

Results revenue is what the visits of the rebooked clients brought in, as money per currency
they paid in (a list of `Money`, as the referral summary and the package liability write
amounts kept by currency): a tenant has no one currency across its programmes, and money of two
currencies is never added up. The CSV writes each amount as the page does ("£190.00").
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from starcard_campaigns.api import (
    MAX_DAYS_BEFORE,
    MAX_VALID_DAYS,
    Campaign,
    CohortResults,
    Group,
    Offer,
    OfferSettings,
    Period,
    ProgrammeSettings,
    Reward,
)
from starcard_events.limits import (
    MAX_ADD_ON_LENGTH,
    MAX_MESSAGE_LENGTH,
    MAX_PERCENT,
    MIN_PERCENT,
    TEXT_PATTERN,
)
from starcard_events.money import Money
from starcard_events.money_format import format_money

from starcard_gateway.models.common import money_by_currency, never_null


def _text_never_null(schema: dict[str, Any]) -> None:
    """Document the message as written text (not blank, no control characters), never null;
    the campaigns domain checks it and names the problem (422)."""
    never_null(schema)
    schema["pattern"] = TEXT_PATTERN


def _refuse_null(model: BaseModel, nullable: frozenset[str] = frozenset()) -> None:
    for name in sorted(model.model_fields_set - nullable):
        if getattr(model, name) is None:
            msg = f"{name} cannot be null: leave it out to keep it as it is."
            raise ValueError(msg)


# -- each campaign's settings ------------------------------------------------------------------


class OfferSettingsChange(BaseModel):
    """What every campaign's change may set. Only the fields sent change; the rest stay as they
    are. None can be unset: null is refused."""

    model_config = ConfigDict(extra="forbid")

    campaign: ClassVar[Campaign]
    nullable: ClassVar[frozenset[str]] = frozenset()
    """The settings null removes (refused for every other)."""

    enabled: bool | None = Field(
        default=None,
        json_schema_extra=never_null,
        description="Whether the campaign runs: off (the default) until the tenant opts in. "
        "Offers already sent stay valid.",
    )
    discount_percent: int | None = Field(
        default=None,
        ge=MIN_PERCENT,
        le=MAX_PERCENT,
        json_schema_extra=never_null,
        description=f"What the offer's single-use code takes off a booking, in percent "
        f"({MIN_PERCENT} to {MAX_PERCENT}).",
        examples=[10],
    )
    valid_days: int | None = Field(
        default=None,
        ge=1,
        le=MAX_VALID_DAYS,
        json_schema_extra=never_null,
        description=f"How many days the code works after it is sent (1 to {MAX_VALID_DAYS}).",
        examples=[30],
    )
    message: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_MESSAGE_LENGTH,
        json_schema_extra=_text_never_null,
        description=f"The note that comes with the offer: up to {MAX_MESSAGE_LENGTH} "
        "characters, not blank, no control characters (line breaks are fine).",
    )

    @model_validator(mode="after")
    def _no_null(self) -> Self:
        _refuse_null(self, self.nullable)
        return self

    def changes(self) -> dict[str, Any]:
        """The fields sent, as the campaign's settings values (the domain refuses what breaks a
        rule with `InvalidSettings`)."""
        return {name: getattr(self, name) for name in self.model_fields_set}


def _days_before(day: str, example: int) -> Any:
    """How early a celebration's offer goes: a field of the change, never null."""
    return Field(
        default=None,
        ge=0,
        le=MAX_DAYS_BEFORE,
        json_schema_extra=never_null,
        description=f"How many days before {day} the offer is sent (0 to {MAX_DAYS_BEFORE}; "
        "0: on the day).",
        examples=[example],
    )


class CelebrationSettingsChange(OfferSettingsChange):
    """A birthday's or an anniversary's change may also set what the offer gives."""

    nullable: ClassVar[frozenset[str]] = frozenset({"add_on"})

    reward: Reward | None = Field(
        default=None,
        json_schema_extra=never_null,
        description="What the offer gives: `discount` (a single-use code for `discount_percent` "
        "off, the default), `add_on` (a single-use code for the complimentary `add_on`; it "
        "takes nothing off the bill) or `points` (no code: the points programme's bonus for "
        "other programmes, added to the client's account by the loyalty service).",
        examples=["add_on"],
    )
    add_on: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_ADD_ON_LENGTH,
        description=f"The complimentary add-on's name as the client and the till read it, one "
        f"line of up to {MAX_ADD_ON_LENGTH} characters; needed when `reward` is `add_on`. Kept "
        "whatever the reward; null removes it.",
        examples=["Scalp massage, 15 min"],
    )


class BirthdaySettingsChange(CelebrationSettingsChange):
    campaign: ClassVar[Campaign] = "birthday"

    days_before: int | None = _days_before("the birthday", 7)


class AnniversarySettingsChange(CelebrationSettingsChange):
    campaign: ClassVar[Campaign] = "anniversary"

    days_before: int | None = _days_before("the anniversary of the client's first visit", 0)


class ReengagementSettingsChange(OfferSettingsChange):
    campaign: ClassVar[Campaign] = "reengagement"

    steps_days: list[int] | None = Field(
        default=None,
        json_schema_extra=never_null,
        description="The days after a client's last visit at which each message goes, rising "
        "(a few steps, each at most two years).",
        examples=[[60, 90, 120]],
    )
    category_steps: dict[str, list[int]] | None = Field(
        default=None,
        json_schema_extra=never_null,
        description="Steps of their own for the treatment categories that rebook on another "
        "cycle, by category (as the booking platform names it); every other category follows "
        "`steps_days`. Sent whole: `{}` removes every category's own steps.",
        examples=[{"Injectables": [100, 130, 160]}],
    )


class OfferSettingsPublic(BaseModel):
    """What every campaign's settings say."""

    enabled: bool = Field(description="Whether the campaign runs.")
    discount_percent: int = Field(description="What the offer's code takes off, in percent.")
    valid_days: int = Field(description="How many days the code works after it is sent.")
    message: str = Field(description="The note that comes with the offer.")

    @classmethod
    def from_settings(cls, settings: OfferSettings) -> Self:
        return cls(**settings.to_record())


class CelebrationSettingsPublic(OfferSettingsPublic):
    reward: Reward = Field(
        description="What the offer gives: a `discount` code, a code for a complimentary "
        "`add_on`, or bonus `points`."
    )
    add_on: str | None = Field(description="The complimentary add-on's name; null: none set.")


class BirthdaySettingsPublic(CelebrationSettingsPublic):
    days_before: int = Field(description="How many days before the birthday it is sent.")


class AnniversarySettingsPublic(CelebrationSettingsPublic):
    days_before: int = Field(
        description="How many days before the anniversary of the first visit it is sent."
    )


class ReengagementSettingsPublic(OfferSettingsPublic):
    steps_days: list[int] = Field(description="The days after the last visit each message goes.")
    category_steps: dict[str, list[int]] = Field(
        description="The steps of the categories that have their own, by category."
    )


PUBLIC_SETTINGS: dict[Campaign, type[OfferSettingsPublic]] = {
    "birthday": BirthdaySettingsPublic,
    "anniversary": AnniversarySettingsPublic,
    "reengagement": ReengagementSettingsPublic,
}
"""Each campaign's settings as the API shows them."""

SETTINGS_CHANGES: dict[Campaign, type[OfferSettingsChange]] = {
    each.campaign: each
    for each in (BirthdaySettingsChange, AnniversarySettingsChange, ReengagementSettingsChange)
}
"""Each campaign's change, as the API reads it."""


# -- what the campaigns share ------------------------------------------------------------------


class SharedSettingsChange(BaseModel):
    """Only the fields sent change. Null is refused, but for `booking_url`, where it removes
    the link."""

    model_config = ConfigDict(extra="forbid")

    booking_url: str | None = Field(
        default=None,
        max_length=500,
        description="The https address of the page where clients book: every campaign message "
        "carries it, and re-engagement needs it. Null removes it (refused while re-engagement "
        "is on).",
        examples=["https://book.example.com/serenity"],
    )
    holdout_percent: int | None = Field(
        default=None,
        ge=0,
        json_schema_extra=never_null,
        description="The share of eligible clients who get nothing, chosen by a stable hash, to "
        "measure the campaigns against (at most half; 0: no hold-out group).",
        examples=[10],
    )
    attribution_days: int | None = Field(
        default=None,
        ge=1,
        json_schema_extra=never_null,
        description="How many days after a message (or its hold-out) a booking counts as its "
        "result (up to about three months).",
        examples=[14],
    )

    @model_validator(mode="after")
    def _no_null(self) -> Self:
        _refuse_null(self, frozenset({"booking_url"}))
        return self

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class SharedSettingsPublic(BaseModel):
    booking_url: str | None = Field(description="Where clients book; null: not set yet.")
    holdout_percent: int = Field(description="The share of eligible clients held out, in percent.")
    attribution_days: int = Field(
        description="How many days after a message a booking counts as its result."
    )

    @classmethod
    def from_settings(cls, settings: ProgrammeSettings) -> SharedSettingsPublic:
        return cls(**settings.to_record())


# -- a client's offers -------------------------------------------------------------------------


class OfferPublic(BaseModel):
    campaign: Campaign = Field(description="The campaign that made the offer.")
    occasion: str = Field(
        description="What it was for: the year of a birthday or an anniversary, or the step of "
        "a re-engagement sequence (the last visit's booking and the step's number).",
        examples=["2026"],
    )
    day: date = Field(description="The tenant's day whose tick decided it.")
    held_out: bool = Field(
        description="The client was eligible and, in the hold-out group, got nothing: the "
        "campaign is measured against them. A held-out offer has no code."
    )
    reward: Reward | None = Field(
        description="What the offer gave: a `discount` code, a code for a complimentary "
        "`add_on`, or bonus `points` (no code); null when held out."
    )
    code: str | None = Field(
        description="The single-use code sent; null when held out or for a points reward."
    )
    discount_percent: int | None = Field(
        description="What the code takes off, in percent; null when held out or for an add-on "
        "or points reward."
    )
    add_on: str | None = Field(
        description="The complimentary add-on the code is worth; null unless the reward is one."
    )
    expires_at: datetime | None = Field(
        description="When the code lapses unused; null when held out or for a points reward."
    )

    @classmethod
    def from_offer(cls, offer: Offer) -> OfferPublic:
        terms = offer.terms
        return cls(
            campaign=offer.campaign,
            occasion=offer.occasion,
            day=offer.day,
            held_out=offer.held_out,
            reward=None if terms is None else terms.reward,
            code=None if terms is None else terms.code,
            discount_percent=None if terms is None else terms.discount_percent,
            add_on=None if terms is None else terms.add_on,
            expires_at=None if terms is None else terms.expires_at,
        )


class OffersPublic(BaseModel):
    data: list[OfferPublic] = Field(description="The client's offers, oldest first.")
    count: int


# -- results -----------------------------------------------------------------------------------


class GroupPublic(BaseModel):
    """One side of a cohort: the offers sent, or those held out."""

    offers: int = Field(description="Offers decided (one per client and occasion).")
    delivered: int = Field(
        description="Of those, the offers whose email the SMTP server accepted (0 when held "
        "out: nothing is sent)."
    )
    sms_delivered: int = Field(
        description="Of those, the offers whose SMS the SMS provider accepted."
    )
    opened: int | None = Field(
        description="Always null: not known. Starcard tracks no opens (no tracking pixel: it "
        "would tell the business when a client reads their mail, and mail clients that block "
        "or prefetch images make the count wrong)."
    )
    rebooked: int = Field(
        description="Of those, the clients who booked (not cancelled since), or came in, within "
        "the attribution window."
    )
    rebooking_rate: float | None = Field(
        description="rebooked / offers, 0 to 1; null with no offers."
    )
    revenue: list[Money] = Field(
        description="What the visits of those bookings brought in, less refunds: one amount per "
        "currency they were paid in, in currency order; empty when none of them came in yet."
    )
    revenue_per_rebooked: list[Money] | None = Field(
        description="Each currency's revenue per rebooked client (rounded down to the minor "
        "unit); null with none rebooked."
    )

    @classmethod
    def from_group(cls, group: Group) -> GroupPublic:
        per_rebooked = group.revenue_per_rebooked
        return cls(
            offers=group.offers,
            delivered=group.delivered,
            sms_delivered=group.sms_delivered,
            opened=group.opened,
            rebooked=group.rebooked,
            rebooking_rate=group.rebooking_rate,
            revenue=money_by_currency(group.revenue),
            revenue_per_rebooked=None if per_rebooked is None else money_by_currency(per_rebooked),
        )


class CohortResultsPublic(BaseModel):
    campaign: Campaign = Field(description="The campaign.")
    cohort: date = Field(
        description="The first day of the cohort: the Monday of its week, or the first of its "
        "month (offers count for the tenant's day they were decided on)."
    )
    sent: GroupPublic = Field(description="The clients who were sent the offer.")
    held_out: GroupPublic = Field(description="The eligible clients held out.")
    uplift_points: float | None = Field(
        description="The sent group's rebooking rate less the hold-out's, in percentage points "
        "(12.5: 12.5 points more of those sent rebooked); null when either group is empty.",
        examples=[12.5],
    )

    @classmethod
    def from_results(cls, results: CohortResults) -> CohortResultsPublic:
        uplift = results.uplift
        return cls(
            campaign=results.campaign,
            cohort=results.cohort.starts_on,
            sent=GroupPublic.from_group(results.sent),
            held_out=GroupPublic.from_group(results.held_out),
            uplift_points=None if uplift is None else round(uplift * 100, 2),
        )


class CampaignResultsPublic(BaseModel):
    period: Period = Field(description="What a cohort is: the week or the month.")
    since: date | None = Field(description="Offers decided before this day are left out.")
    attribution_days: int = Field(description="The attribution window the results are under.")
    data: list[CohortResultsPublic] = Field(
        description="Per cohort (oldest first) and campaign, the offers sent against those held "
        "out."
    )
    count: int

    @classmethod
    def from_results(
        cls,
        results: list[CohortResults],
        *,
        period: Period,
        since: date | None,
        attribution_days: int,
    ) -> CampaignResultsPublic:
        data = [CohortResultsPublic.from_results(each) for each in results]
        return cls(
            period=period,
            since=since,
            attribution_days=attribution_days,
            data=data,
            count=len(data),
        )

    CSV_COLUMNS: ClassVar[tuple[str, ...]] = (
        "campaign",
        "cohort",
        *(
            f"{side}_{name}"
            for side in ("sent", "held_out")
            for name in (
                "offers",
                "delivered",
                "sms_delivered",
                "opened",
                "rebooked",
                "rebooking_rate",
                "revenue",
                "revenue_per_rebooked",
            )
        ),
        "uplift_points",
    )

    def csv_rows(self) -> list[list[str]]:
        """The table as CSV rows, the header first: the JSON's fields, flattened, with an empty
        cell for null; money as the page writes it ("£190.00"; two currencies' amounts in one
        cell, "£150.00; €80.00"), and an empty cell for no amount."""
        rows = [list(self.CSV_COLUMNS)]
        for each in self.data:
            row: list[object] = [each.campaign, each.cohort.isoformat()]
            for group in (each.sent, each.held_out):
                row += [
                    group.offers,
                    group.delivered,
                    group.sms_delivered,
                    group.opened,
                    group.rebooked,
                    group.rebooking_rate,
                    _amounts(group.revenue),
                    _amounts(group.revenue_per_rebooked or []),
                ]
            row.append(each.uplift_points)
            rows.append(["" if cell is None else str(cell) for cell in row])
        return rows


def _amounts(amounts: list[Money]) -> str:
    """ "£150.00; €80.00": amounts of several currencies in one cell, never added up."""
    return "; ".join(format_money(each.amount_minor, each.currency) for each in amounts)
