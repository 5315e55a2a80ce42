"""The tiers routers' models: the programme's tier settings (Settings → Tiers), a client's tier
with its benefits and what keeps or lifts it, their tier history, and the members by tier.

Amounts are in minor units of the programme's one currency (`currency`): thresholds as integers
(``entry_minor``), a client's figures as `Money`. A tier's points multiplier is a decimal written
as a JSON string (``"1.5"``), as the points API writes its rates; the loyalty service keeps it in
hundredths (``150``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from starcard_events.day_format import format_day
from starcard_events.envelope import EXTERNAL_ID_PATTERN
from starcard_events.limits import (
    MAX_AMOUNT_MINOR,
    MAX_DAYS,
    MAX_LABEL_LENGTH,
    MAX_PERCENT,
    TEXT_PATTERN,
)
from starcard_events.money import CurrencyCode, Money
from starcard_events.money_format import format_money
from starcard_loyalty.api import (
    MAX_MULTIPLIER_HUNDREDTHS,
    MAX_TIERS,
    MAX_WINDOW_MONTHS,
    DropMode,
    SpendKind,
    Tier,
    TierSettings,
)
from starcard_projections.tiers import TierHistoryRow, TierMember

from starcard_gateway.models.common import money, never_null
from starcard_gateway.models.points import decimal, decimal_text, hundredths

MAX_MULTIPLIER = MAX_MULTIPLIER_HUNDREDTHS // 100
"""The highest points multiplier a tier gives (10)."""

MULTIPLIER_PATTERN = rf"^(?:{MAX_MULTIPLIER}(?:\.0{{1,2}})?|[1-9](?:\.[0-9]{{1,2}})?)$"
"""1 to `MAX_MULTIPLIER` (a one-digit whole part below it) with at most two decimals: "1" (the
points a visit earns anyway), "1.25", "2" (double points)."""

TierMultiplier = Annotated[
    Decimal,
    BeforeValidator(decimal_text(MULTIPLIER_PATTERN, f"A multiplier from 1 to {MAX_MULTIPLIER}")),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": MULTIPLIER_PATTERN,
            "description": f"1 to {MAX_MULTIPLIER}, at most 2 decimals (1: no extra points, "
            "2: double points).",
            "examples": ["1.5"],
        }
    ),
]
"""What the points a member earns are multiplied by."""

REASONS = {
    "spend_reached": "Spend reached the tier",
    "spend_left_window": "Purchases left the window",
    "refunded": "A refund",
    "keep_period_ended": "The keep period ended",
    "settings_changed": "The tier settings changed",
    "corrected": "Corrected by a late purchase or refund",
}
"""Why a tier changed, as a person reads it."""


# -- settings ----------------------------------------------------------------------------------


class TierFields(BaseModel):
    """One tier, from the lowest: its id, name, thresholds and benefits."""

    model_config = ConfigDict(extra="forbid")

    tier_id: str = Field(
        max_length=MAX_LABEL_LENGTH,
        pattern=EXTERNAL_ID_PATTERN,
        description="The tier's own id, unique in the programme (letters, digits, '_', '.', "
        "'-'); it stays when the name changes, and names the tier to the booking platform.",
        examples=["vip"],
    )
    name: str = Field(
        min_length=1,
        max_length=MAX_LABEL_LENGTH,
        pattern=TEXT_PATTERN,
        description="What clients see, unique in the programme (case does not matter).",
        examples=["VIP"],
    )
    entry_minor: int = Field(
        ge=0,
        le=MAX_AMOUNT_MINOR,
        description="The spend in the window that reaches the tier, in minor units of the "
        "programme's currency; 0 for the first tier (everyone's), more for each tier above.",
        examples=[100_000],
    )
    stay_minor: int | None = Field(
        default=None,
        ge=0,
        le=MAX_AMOUNT_MINOR,
        description="The least spend in the window that keeps the tier once reached, at most "
        "entry_minor; null: entry_minor.",
        examples=[80_000],
    )
    treatment_discount_percent: int = Field(
        default=0, ge=0, le=MAX_PERCENT, description="Percent off treatments; 0 for none."
    )
    product_discount_percent: int = Field(
        default=0, ge=0, le=MAX_PERCENT, description="Percent off retail products; 0 for none."
    )
    priority_booking: bool = Field(
        default=False, description="Whether members may book before other clients."
    )
    complimentary_service_id: str | None = Field(
        default=None,
        max_length=MAX_LABEL_LENGTH,
        pattern=EXTERNAL_ID_PATTERN,
        description="A service members get free with a treatment (the platform's id; it adds "
        "it); null for none.",
    )
    points_multiplier: TierMultiplier = Field(
        default=Decimal(1),
        description='What members\' points are multiplied by ("1": no extra points).',
    )

    @field_validator("name")
    @classmethod
    def _trimmed(cls, name: str) -> str:
        return name.strip()

    def to_domain(self) -> Tier:
        return Tier(
            tier_id=self.tier_id,
            name=self.name,
            entry_minor=self.entry_minor,
            stay_minor=self.stay_minor,
            treatment_discount_percent=self.treatment_discount_percent,
            product_discount_percent=self.product_discount_percent,
            priority_booking=self.priority_booking,
            complimentary_service_id=self.complimentary_service_id,
            points_multiplier_hundredths=hundredths(self.points_multiplier),
        )


class TierPublic(BaseModel):
    tier_id: str = Field(description="The tier's own id.")
    name: str = Field(description="What clients see.")
    entry_minor: int = Field(description="The spend in the window that reaches it.")
    stay_minor: int | None = Field(
        description="The least spend that keeps it once reached; null: entry_minor."
    )
    treatment_discount_percent: int = Field(description="Percent off treatments.")
    product_discount_percent: int = Field(description="Percent off retail products.")
    priority_booking: bool = Field(description="Whether members may book first.")
    complimentary_service_id: str | None = Field(
        description="A service members get free with a treatment, or null."
    )
    points_multiplier: TierMultiplier = Field(description="What members' points are multiplied by.")

    @classmethod
    def from_domain(cls, tier: Tier) -> TierPublic:
        return cls(
            tier_id=tier.tier_id,
            name=tier.name,
            entry_minor=tier.entry_minor,
            stay_minor=tier.stay_minor,
            treatment_discount_percent=tier.treatment_discount_percent,
            product_discount_percent=tier.product_discount_percent,
            priority_booking=tier.priority_booking,
            complimentary_service_id=tier.complimentary_service_id,
            points_multiplier=decimal(tier.points_multiplier_hundredths),
        )


NULLABLE_SETTINGS = frozenset({"warn_days"})
SETTINGS_AS_SENT = frozenset(
    {
        "enabled",
        "currency",
        "window_months",
        "keep_days",
        "drop",
        "warn_days",
        "stack_with_codes",
    }
)
"""The fields a change sets as they are sent (the tiers and the counts are converted)."""


class TierSettingsChange(BaseModel):
    """Only the fields sent change; the rest stay as they are (the settings as stored when the
    change is saved). `tiers` is replaced whole when sent. A field that cannot be unset (all but
    `warn_days`) refuses null."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool | None = Field(
        default=None,
        json_schema_extra=never_null,
        description="Whether spend counts toward tiers: off, nothing more is counted and no tier "
        "changes (tiers reached stay as they are).",
    )
    currency: CurrencyCode | None = Field(
        default=None,
        json_schema_extra=never_null,
        description="The programme's currency (ISO 4217): thresholds are in its minor units, and "
        "only spend paid in it counts.",
        examples=["GBP"],
    )
    tiers: list[TierFields] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_TIERS,
        json_schema_extra=never_null,
        description="Every tier, from the lowest: the first is everyone's (entry_minor 0), each "
        "next needs more spend. Ids and names are each the tier's own.",
    )
    window_months: int | None = Field(
        default=None,
        ge=1,
        le=MAX_WINDOW_MONTHS,
        json_schema_extra=never_null,
        description="The rolling window spend is counted over, in months.",
        examples=[12],
    )
    counts: list[SpendKind] | None = Field(
        default=None,
        max_length=len(SpendKind),
        json_schema_extra=never_null,
        description="What spend counts toward a tier: treatment, retail, package purchases.",
        examples=[["package", "retail", "treatment"]],
    )
    keep_days: int | None = Field(
        default=None,
        ge=0,
        le=MAX_DAYS,
        json_schema_extra=never_null,
        description="A tier reached is kept at least this many days, whatever the spend does; 0 "
        "for none.",
        examples=[90],
    )
    drop: DropMode | None = Field(
        default=None,
        json_schema_extra=never_null,
        description="When the spend no longer keeps the tier: one_tier (one tier down each time) "
        "or to_spend (straight to the tier the spend matches).",
    )
    warn_days: int | None = Field(
        default=None,
        ge=1,
        le=MAX_DAYS,
        description="Clients are told this many days before a drop what would keep their tier; "
        "null for no warning.",
        examples=[14],
    )
    stack_with_codes: bool | None = Field(
        default=None,
        json_schema_extra=never_null,
        description="Whether a tier discount and a discount code both apply to a booking (else "
        "the better of the two).",
    )

    @model_validator(mode="after")
    def _no_null_for_what_cannot_be_unset(self) -> Self:
        for name in sorted(self.model_fields_set - NULLABLE_SETTINGS):
            if getattr(self, name) is None:
                msg = f"{name} cannot be null: leave it out to keep it as it is."
                raise ValueError(msg)
        return self

    def applied_to(self, current: TierSettings) -> TierSettings:
        """The settings with the fields sent changed (checked by the loyalty service)."""
        sent = self.model_fields_set
        changes: dict[str, Any] = {name: getattr(self, name) for name in sent & SETTINGS_AS_SENT}
        if self.tiers is not None:
            changes["tiers"] = tuple(tier.to_domain() for tier in self.tiers)
        if self.counts is not None:
            changes["counts"] = frozenset(self.counts)
        return replace(current, **changes)


class TierSettingsPublic(BaseModel):
    enabled: bool = Field(description="Whether spend counts toward tiers.")
    currency: str = Field(description="The programme's currency; amounts are in its minor units.")
    tiers: list[TierPublic] = Field(description="Every tier, from the lowest (everyone's).")
    window_months: int = Field(description="The rolling window spend is counted over, in months.")
    counts: list[SpendKind] = Field(description="What spend counts, alphabetically.")
    keep_days: int = Field(description="Days a tier reached is kept at least; 0 for none.")
    drop: DropMode = Field(description="How a tier drops: one_tier or to_spend.")
    warn_days: int | None = Field(description="Days of warning before a drop, or null.")
    stack_with_codes: bool = Field(description="Whether a tier discount stacks with a code.")

    @classmethod
    def from_settings(cls, settings: TierSettings) -> TierSettingsPublic:
        return cls(
            enabled=settings.enabled,
            currency=settings.currency,
            tiers=[TierPublic.from_domain(tier) for tier in settings.tiers],
            window_months=settings.window_months,
            counts=sorted(settings.counts),
            keep_days=settings.keep_days,
            drop=settings.drop,
            warn_days=settings.warn_days,
            stack_with_codes=settings.stack_with_codes,
        )


# -- a client's tier ---------------------------------------------------------------------------


class TierRefPublic(BaseModel):
    tier_id: str = Field(description="The tier's id.")
    name: str = Field(description="Its name in the settings now (its id, if since removed).")


def tier_ref(settings: TierSettings, tier_id: str) -> TierRefPublic:
    """A tier as the settings now name it; a tier since removed by its id."""
    for tier in settings.tiers:
        if tier.tier_id == tier_id:
            return TierRefPublic(tier_id=tier_id, name=tier.name)
    return TierRefPublic(tier_id=tier_id, name=tier_id)


class TierBenefitsPublic(BaseModel):
    treatment_discount_percent: int = Field(description="Percent off treatments; 0 for none.")
    product_discount_percent: int = Field(description="Percent off retail products; 0 for none.")
    priority_booking: bool = Field(description="Whether the client may book first.")
    complimentary_service_id: str | None = Field(
        description="A service the client gets free with a treatment (the platform adds it), or "
        "null."
    )
    points_multiplier: TierMultiplier = Field(
        description="What the client's points are multiplied by."
    )

    @classmethod
    def from_tier(cls, tier: Tier) -> TierBenefitsPublic:
        return cls(
            treatment_discount_percent=tier.treatment_discount_percent,
            product_discount_percent=tier.product_discount_percent,
            priority_booking=tier.priority_booking,
            complimentary_service_id=tier.complimentary_service_id,
            points_multiplier=decimal(tier.points_multiplier_hundredths),
        )


def benefit_texts(benefits: TierBenefitsPublic | TierPublic) -> list[str]:
    """What a tier gives, as a person reads it: "5% off treatments", "Priority booking"..."""
    texts = []
    if benefits.treatment_discount_percent:
        texts.append(f"{benefits.treatment_discount_percent}% off treatments")
    if benefits.product_discount_percent:
        texts.append(f"{benefits.product_discount_percent}% off products")
    if benefits.priority_booking:
        texts.append("Priority booking")
    if benefits.complimentary_service_id:
        texts.append(f"A complimentary {benefits.complimentary_service_id} with a treatment")
    if benefits.points_multiplier != 1:
        texts.append(f"{benefits.points_multiplier.normalize():f}\N{MULTIPLICATION SIGN} points")
    return texts


def progress_text(name: str, needed_minor: int, currency: str) -> str:
    """ "£120.00 more to reach VIP"."""
    if needed_minor <= 0:
        return f"{name} is reached with the next purchase"
    return f"{format_money(needed_minor, currency)} more to reach {name}"


def keep_text(name: str, drops_on: date, shortfall_minor: int, currency: str) -> str:
    """ "VIP is secure until 1 March 2027; it drops on 2 March 2027 unless £150.00 is spent
    before then"."""
    secure_until = drops_on - timedelta(days=1)
    return (
        f"{name} is secure until {format_day(secure_until)}; it drops on {format_day(drops_on)} "
        f"unless {format_money(shortfall_minor, currency)} is spent before then"
    )


class NextTierPublic(BaseModel):
    tier_id: str = Field(description="The tier above the client's.")
    name: str = Field(description="Its name.")
    entry: Money = Field(description="The spend in the window that reaches it.")
    needed: Money = Field(description="What more spend reaches it.")
    text: str = Field(description="As the client reads it.", examples=["£120.00 more to reach VIP"])


class ClientTierPublic(BaseModel):
    client_id: str = Field(description="The tenant's id for the client.")
    enabled: bool = Field(
        description="Whether the business's tiers are on: off, apply no tier benefit."
    )
    tier: TierRefPublic = Field(
        description="The client's tier: the first tier (everyone's) until their spend lifts them."
    )
    benefits: TierBenefitsPublic = Field(description="What the tier gives at a booking.")
    spend: Money = Field(description="The client's spend in the rolling window.")
    window_months: int = Field(description="The window, in months.")
    next_tier: NextTierPublic | None = Field(
        description="The tier above and what reaches it; null at the top tier."
    )
    drops_on: date | None = Field(
        description="The day the tier drops unless more is spent before it; null when it cannot "
        "drop (the first tier)."
    )
    secure_until: date | None = Field(
        description="The last day the tier is secure, whatever happens: the day before "
        "drops_on; null with it."
    )
    shortfall: Money | None = Field(
        description="What spending before drops_on keeps the tier; null with drops_on."
    )
    keep_text: str | None = Field(
        description="What keeps the tier, as the client reads it; null with drops_on.",
        examples=[
            "VIP is secure until 1 March 2027; it drops on 2 March 2027 unless £150.00 is "
            "spent before then"
        ],
    )

    @classmethod
    def from_member(
        cls, client_id: str, settings: TierSettings, member: TierMember | None
    ) -> ClientTierPublic:
        """The client's tier from their read-model row; no row: the first tier, no spend."""
        tier_id = member.tier_id if member is not None else None
        spend = member.spend_minor if member is not None else 0
        # While tiers are off nothing drops: no drop day to show, whatever was recorded before.
        drops_on = member.drops_on if member is not None and settings.enabled else None
        shortfall = member.shortfall_minor if member is not None else 0
        tier = settings.tier(tier_id)
        currency = settings.currency
        above = settings.to_next(tier_id, spend)
        next_tier = None
        if above is not None:
            next_one, needed = above
            next_tier = NextTierPublic(
                tier_id=next_one.tier_id,
                name=next_one.name,
                entry=money(next_one.entry_minor, currency),
                needed=money(needed, currency),
                text=progress_text(next_one.name, needed, currency),
            )
        return cls(
            client_id=client_id,
            enabled=settings.enabled,
            tier=TierRefPublic(tier_id=tier.tier_id, name=tier.name),
            benefits=TierBenefitsPublic.from_tier(tier),
            spend=money(spend, currency),
            window_months=settings.window_months,
            next_tier=next_tier,
            drops_on=drops_on,
            secure_until=None if drops_on is None else drops_on - timedelta(days=1),
            shortfall=None if drops_on is None else money(shortfall, currency),
            keep_text=None
            if drops_on is None
            else keep_text(tier.name, drops_on, shortfall, currency),
        )


class TierChangePublic(BaseModel):
    at: datetime = Field(description="When the tier changed (the moment of its cause).")
    from_tier: TierRefPublic = Field(description="The tier before.")
    to_tier: TierRefPublic = Field(description="The tier after.")
    direction: Literal["up", "down"] = Field(description="Up or down.")
    reason: str = Field(
        description="Why: spend_reached, spend_left_window, refunded, keep_period_ended, "
        "settings_changed, or corrected (a late purchase or refund changed the history)."
    )
    reason_text: str = Field(
        description="Why, as a person reads it.", examples=["Spend reached the tier"]
    )
    spend: Money = Field(description="The spend in the window at that moment.")

    @classmethod
    def from_row(cls, row: TierHistoryRow, settings: TierSettings) -> TierChangePublic:
        return cls(
            at=row.at,
            from_tier=tier_ref(settings, row.from_tier),
            to_tier=tier_ref(settings, row.to_tier),
            direction="up" if row.direction == "up" else "down",
            reason=row.reason,
            reason_text=REASONS.get(row.reason, row.reason.replace("_", " ").capitalize()),
            spend=money(row.spend_minor, settings.currency),
        )


class TierHistoryPublic(BaseModel):
    data: list[TierChangePublic] = Field(description="One page of tier changes, newest first.")
    count: int = Field(description="How many tier changes the client has in all.")

    @classmethod
    def from_page(
        cls, rows: list[TierHistoryRow], count: int, settings: TierSettings
    ) -> TierHistoryPublic:
        return cls(data=[TierChangePublic.from_row(row, settings) for row in rows], count=count)


# -- the members by tier ------------------------------------------------------------------------


class TierCountPublic(BaseModel):
    tier_id: str = Field(description="The tier's id.")
    name: str = Field(description="Its name.")
    entry: Money = Field(description="The spend in the window that reaches it.")
    members: int = Field(description="Members in the tier.")


def members_by_tier(settings: TierSettings, counts: dict[str | None, int]) -> list[int]:
    """Members of each configured tier, lowest first: a member never moved (None) or in a tier
    since removed counts in the first tier, as `TierSettings.tier` places them."""
    members = [0] * len(settings.tiers)
    for tier_id, count in counts.items():
        members[settings.index_of(tier_id) if tier_id is not None else 0] += count
    return members


class TierDistributionPublic(BaseModel):
    """Members only: a client counts once the tiers have counted a purchase of theirs (or a
    refund), since the tenant's tiers were first on. Clients never counted are in the first tier
    too, but are not in these figures."""

    data: list[TierCountPublic] = Field(
        description="Every configured tier, lowest first, with its members."
    )
    members: int = Field(
        description="Members in all: clients whose spend the tiers have counted. Clients never "
        "counted are in the first tier, but not counted here."
    )

    @classmethod
    def from_counts(
        cls, settings: TierSettings, counts: dict[str | None, int]
    ) -> TierDistributionPublic:
        members = members_by_tier(settings, counts)
        data = [
            TierCountPublic(
                tier_id=tier.tier_id,
                name=tier.name,
                entry=money(tier.entry_minor, settings.currency),
                members=count,
            )
            for tier, count in zip(settings.tiers, members, strict=True)
        ]
        return cls(data=data, members=sum(members))
