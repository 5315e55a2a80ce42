"""The points routers' models: the programme's settings (Settings → Points), a client's balance,
lots and history, the clients by points, a manual adjustment, and points at checkout.

Rates and multipliers are decimals written as JSON strings (``"1.5"`` points per currency unit),
at most two decimal places, so a rate is never a float on the way in or out; the loyalty service
keeps them in hundredths (``150``). Points are whole numbers; money is `Money` in minor units.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from starcard_events.bookings import PaymentMethod
from starcard_events.day_format import format_day
from starcard_events.envelope import EXTERNAL_ID_PATTERN, BookingId, ClientId, ExternalId
from starcard_events.limits import (
    MAX_DAYS,
    MAX_LABEL_LENGTH,
    MAX_MESSAGE_LENGTH,
    MAX_PERCENT,
    MAX_POINTS,
    MAX_RATE_HUNDREDTHS,
    MIN_PERCENT,
    TEXT_PATTERN,
    has_control_characters,
)
from starcard_events.money import Money
from starcard_loyalty.api import (
    Expiry,
    PointsQuote,
    PointsRedemption,
    PointsSettings,
    ServiceBonus,
)
from starcard_projections.points import PointsMovementRow, PointsSummary

from starcard_gateway.models.common import money, never_null

MAX_RATE = MAX_RATE_HUNDREDTHS // 100
"""The highest rate or multiplier, in points per currency unit (1,000)."""

RATE_PATTERN = rf"^(?:{MAX_RATE}(?:\.0{{1,2}})?|(?:0|[1-9][0-9]{{0,2}})(?:\.[0-9]{{1,2}})?)$"
"""0 to `MAX_RATE` with at most two decimals: "0", "1", "1.5", "0.25", "1000"."""

MULTIPLIER_PATTERN = (
    rf"^(?:{MAX_RATE}(?:\.0{{1,2}})?|[1-9][0-9]{{1,2}}(?:\.[0-9]{{1,2}})?"
    r"|[2-9](?:\.[0-9]{1,2})?|1\.(?:0[1-9]|[1-9][0-9]?))$"
)
"""Above 1, up to `MAX_RATE`, with at most two decimals: "1.25", "2" (double), "3.5"."""

MAX_POINTS_RULES = 100
"""The most category rates, or service bonuses, one programme has: a clinic's whole menu."""

Count = Annotated[int, Field(ge=0, le=MAX_POINTS)]


def decimal_text(pattern: str, what: str) -> Any:
    """A `Decimal` read only from text matching `pattern` (or a `Decimal` already made)."""
    matcher = re.compile(pattern)

    def read(value: object) -> Decimal:
        if isinstance(value, Decimal):
            return value
        if isinstance(value, str) and matcher.fullmatch(value):
            return Decimal(value)
        msg = f'{what}, with at most 2 decimals, given as a string such as "1.5"'
        raise ValueError(msg)

    return read


Rate = Annotated[
    Decimal,
    BeforeValidator(decimal_text(RATE_PATTERN, f"Points per currency unit, 0 to {MAX_RATE}")),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": RATE_PATTERN,
            "description": f"Points per currency unit, 0 to {MAX_RATE}, at most 2 decimals.",
            "examples": ["1.5"],
        }
    ),
]
"""Points earned per currency unit paid ("1.5": £45.99 earns 68 points, rounded down)."""

Multiplier = Annotated[
    Decimal,
    BeforeValidator(decimal_text(MULTIPLIER_PATTERN, f"A multiplier above 1, up to {MAX_RATE}")),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": MULTIPLIER_PATTERN,
            "description": f"Above 1, up to {MAX_RATE}, at most 2 decimals (2 for double).",
            "examples": ["2"],
        }
    ),
]

CategoryName = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_LABEL_LENGTH, pattern=TEXT_PATTERN)
]


def hundredths(value: Decimal) -> int:
    """A rate as the loyalty service keeps it: "1.5" -> 150."""
    return int(value.scaleb(2))


def decimal(hundredths: int) -> Decimal:
    """A rate as the API writes it: 150 -> "1.5", 100 -> "1", 5 -> "0.05"."""
    return Decimal(hundredths) / 100


def _rates_never_null(schema: dict[str, Any]) -> None:
    """Document the map as it is read, never null: any category name (not blank, no control
    characters), each to a rate."""
    never_null(schema)
    (rate,) = schema.pop("patternProperties").values()
    schema["additionalProperties"] = rate
    schema["propertyNames"] = {**schema["propertyNames"], "pattern": TEXT_PATTERN}


# -- settings ----------------------------------------------------------------------------------


class ServiceBonusFields(BaseModel):
    """Extra points for one service or one category: a multiplier of what the line earns, a
    fixed number of points, or both."""

    model_config = ConfigDict(extra="forbid")

    bonus_id: str = Field(
        max_length=MAX_LABEL_LENGTH,
        pattern=EXTERNAL_ID_PATTERN,
        description="The bonus's own id, unique within the programme (letters, digits, '_', "
        "'.', '-').",
        examples=["botox-double"],
    )
    service_id: ExternalId | None = Field(
        default=None, description="The platform's id of the service it applies to; or null."
    )
    category: CategoryName | None = Field(
        default=None,
        description="The service category it applies to (case does not matter); or null. Give "
        "a service_id or a category, one of them.",
        examples=["injectables"],
    )
    multiplier: Multiplier | None = Field(
        default=None,
        description='What the line earns is multiplied by it ("2" for double points); or null.',
    )
    points: int | None = Field(
        default=None, ge=1, le=MAX_POINTS, description="Fixed points added; or null."
    )

    def to_domain(self) -> ServiceBonus:
        return ServiceBonus(
            bonus_id=self.bonus_id,
            service_id=self.service_id,
            category=self.category,
            multiplier_hundredths=None if self.multiplier is None else hundredths(self.multiplier),
            points=self.points,
        )


class ServiceBonusPublic(BaseModel):
    bonus_id: str = Field(description="The bonus's own id.")
    service_id: str | None = Field(description="The service it applies to, or null.")
    category: str | None = Field(description="The category it applies to (lower case), or null.")
    multiplier: Multiplier | None = Field(description="What the line earns is multiplied by.")
    points: int | None = Field(description="Fixed points added, or null.")

    @classmethod
    def from_domain(cls, bonus: ServiceBonus) -> ServiceBonusPublic:
        multiplier = bonus.multiplier_hundredths
        return cls(
            bonus_id=bonus.bonus_id,
            service_id=bonus.service_id,
            category=bonus.category,
            multiplier=None if multiplier is None else decimal(multiplier),
            points=bonus.points,
        )


NULLABLE_SETTINGS = frozenset({"rebook_within_days", "expiry_days", "expiry_notice_days"})


class PointsSettingsChange(BaseModel):
    """Only the fields sent change; the rest stay as they are. `category_rates` and
    `service_bonuses` are replaced whole when sent. A field that cannot be unset (all but the
    three `..._days`) refuses null."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool | None = Field(
        default=None,
        json_schema_extra=never_null,
        description="Whether clients earn points: off, nothing is earned (what was earned stays).",
    )
    treatment_rate: Rate | None = Field(
        default=None,
        json_schema_extra=never_null,
        description="Points per currency unit paid for a treatment, unless its category has "
        "its own rate.",
    )
    category_rates: dict[CategoryName, Rate] | None = Field(
        default=None,
        max_length=MAX_POINTS_RULES,
        json_schema_extra=_rates_never_null,
        description="A treatment category's own rate, by category name (case does not matter).",
        examples=[{"injectables": "2", "facials": "1.5"}],
    )
    retail_rate: Rate | None = Field(
        default=None,
        json_schema_extra=never_null,
        description="Points per currency unit paid for retail products.",
    )
    earning_payment_methods: list[PaymentMethod] | None = Field(
        default=None,
        max_length=len(PaymentMethod),
        json_schema_extra=never_null,
        description="What a client may pay with and earn: money paid otherwise (a package, a "
        "membership credit, points...) earns nothing.",
        examples=[["card", "cash", "other"]],
    )
    service_bonuses: list[ServiceBonusFields] | None = Field(
        default=None,
        max_length=MAX_POINTS_RULES,
        json_schema_extra=never_null,
        description="Extra points for services or categories the clinic promotes.",
    )
    rebook_within_days: int | None = Field(
        default=None,
        ge=1,
        le=MAX_DAYS,
        description="A visit within this many days after another earns the rebooking bonus; "
        "null for no rebooking bonus.",
        examples=[42],
    )
    rebook_bonus_points: Count | None = Field(
        default=None,
        json_schema_extra=never_null,
        description="The rebooking bonus (needs rebook_within_days); 0 for none.",
    )
    package_bonus_points: Count | None = Field(
        default=None,
        json_schema_extra=never_null,
        description="Points for buying a package; 0 for none.",
    )
    granted_bonus_points: Count | None = Field(
        default=None,
        json_schema_extra=never_null,
        description="Points another programme grants (a referral, a birthday); 0 for none.",
    )
    expiry: Expiry | None = Field(
        default=None,
        json_schema_extra=never_null,
        description="When earned points expire: never, after_days (expiry_days after the day "
        "earned), end_of_month or end_of_year (of the day earned). Changing away from "
        "after_days clears expiry_days.",
    )
    expiry_days: int | None = Field(
        default=None,
        ge=1,
        le=MAX_DAYS,
        description="The days points last, for expiry after_days; null otherwise.",
        examples=[365],
    )
    expiry_notice_days: int | None = Field(
        default=None,
        ge=1,
        le=MAX_DAYS,
        description="Clients are emailed this many days before their points expire; null for "
        "no notice.",
        examples=[14],
    )
    points_per_currency_unit: int | None = Field(
        default=None,
        ge=1,
        le=MAX_POINTS,
        json_schema_extra=never_null,
        description="The points that take one currency unit off a bill (100: 100 points are "
        "worth £1).",
        examples=[100],
    )
    min_redeem_points: Count | None = Field(
        default=None,
        json_schema_extra=never_null,
        description="The fewest points a client may use at once; 0 for no minimum.",
    )
    max_bill_percent: int | None = Field(
        default=None,
        ge=MIN_PERCENT,
        le=MAX_PERCENT,
        json_schema_extra=never_null,
        description="The most of a bill points may pay, in percent.",
        examples=[50],
    )

    @model_validator(mode="after")
    def _no_null_for_what_cannot_be_unset(self) -> Self:
        for name in sorted(self.model_fields_set - NULLABLE_SETTINGS):
            if getattr(self, name) is None:
                msg = f"{name} cannot be null: leave it out to keep it as it is."
                raise ValueError(msg)
        return self

    def applied_to(self, current: PointsSettings) -> PointsSettings:
        """The current settings with the fields sent changed (checked by the loyalty service)."""
        sent = self.model_fields_set
        changes: dict[str, Any] = {
            name: getattr(self, name)
            for name in sent
            & {
                "enabled",
                "rebook_within_days",
                "rebook_bonus_points",
                "package_bonus_points",
                "granted_bonus_points",
                "expiry",
                "expiry_days",
                "expiry_notice_days",
                "points_per_currency_unit",
                "min_redeem_points",
                "max_bill_percent",
            }
        }
        for name in sent & {"treatment_rate", "retail_rate"}:
            changes[name] = hundredths(getattr(self, name))
        if self.category_rates is not None:
            changes["category_rates"] = {
                name: hundredths(rate) for name, rate in self.category_rates.items()
            }
        if self.earning_payment_methods is not None:
            changes["earning_payment_methods"] = frozenset(
                method.value for method in self.earning_payment_methods
            )
        if self.service_bonuses is not None:
            changes["service_bonuses"] = tuple(b.to_domain() for b in self.service_bonuses)
        if self.expiry not in {None, Expiry.AFTER_DAYS} and "expiry_days" not in sent:
            changes["expiry_days"] = None
        return replace(current, **changes)


class PointsSettingsPublic(BaseModel):
    enabled: bool = Field(description="Whether clients earn points.")
    treatment_rate: Rate = Field(description="Points per currency unit paid for a treatment.")
    category_rates: dict[str, Rate] = Field(
        description="Categories with their own treatment rate (names in lower case)."
    )
    retail_rate: Rate = Field(description="Points per currency unit paid for retail products.")
    earning_payment_methods: list[PaymentMethod] = Field(
        description="Payment methods that earn, alphabetically."
    )
    service_bonuses: list[ServiceBonusPublic] = Field(description="Extra points by service.")
    rebook_within_days: int | None = Field(description="The rebooking window, or null.")
    rebook_bonus_points: int = Field(description="The rebooking bonus.")
    package_bonus_points: int = Field(description="Points for buying a package.")
    granted_bonus_points: int = Field(description="Points another programme grants.")
    expiry: Expiry = Field(description="When earned points expire.")
    expiry_days: int | None = Field(description="The days points last (after_days), or null.")
    expiry_notice_days: int | None = Field(
        description="Days of notice before points expire, or null."
    )
    points_per_currency_unit: int = Field(description="Points that take one unit off a bill.")
    min_redeem_points: int = Field(description="The fewest points usable at once.")
    max_bill_percent: int = Field(description="The most of a bill points may pay, in percent.")

    @classmethod
    def from_settings(cls, settings: PointsSettings) -> PointsSettingsPublic:
        return cls(
            enabled=settings.enabled,
            treatment_rate=decimal(settings.treatment_rate),
            category_rates={
                name: decimal(rate) for name, rate in sorted(settings.category_rates.items())
            },
            retail_rate=decimal(settings.retail_rate),
            earning_payment_methods=[
                PaymentMethod(method) for method in sorted(settings.earning_payment_methods)
            ],
            service_bonuses=[ServiceBonusPublic.from_domain(b) for b in settings.service_bonuses],
            rebook_within_days=settings.rebook_within_days,
            rebook_bonus_points=settings.rebook_bonus_points,
            package_bonus_points=settings.package_bonus_points,
            granted_bonus_points=settings.granted_bonus_points,
            expiry=settings.expiry,
            expiry_days=settings.expiry_days,
            expiry_notice_days=settings.expiry_notice_days,
            points_per_currency_unit=settings.points_per_currency_unit,
            min_redeem_points=settings.min_redeem_points,
            max_bill_percent=settings.max_bill_percent,
        )


# -- a client's points -------------------------------------------------------------------------


def expiry_text(expires_on: date, points: int) -> str:
    """ "120 points expire on 1 March 2027"."""
    noun = "point expires" if points == 1 else "points expire"
    return f"{points:,} {noun} on {format_day(expires_on)}"


class NextExpiryPublic(BaseModel):
    expires_on: date = Field(
        description="The day the points expire (they can be spent until the day before)."
    )
    points: int = Field(description="How many points expire that day.")
    text: str = Field(
        description="As the client reads it.", examples=["120 points expire on 1 March 2027"]
    )

    @classmethod
    def from_pair(cls, next_expiry: tuple[date, int] | None) -> NextExpiryPublic | None:
        if next_expiry is None:
            return None
        expires_on, points = next_expiry
        return cls(expires_on=expires_on, points=points, text=expiry_text(expires_on, points))


class PointsLotPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    lot_id: str = Field(
        description="The lot: points credited together, spent and expired together."
    )
    source: str = Field(
        description="What earned it: 'booking:<id>', 'order:<id>:<sku>', 'grant:<id>' or "
        "'adjustment:<id>'."
    )
    points: int = Field(description="Points credited.")
    remaining: int = Field(description="Points of it not yet spent.")
    earned_at: datetime = Field(description="When they were earned.")
    expires_on: date | None = Field(description="The day they expire; null: never.")


class ClientPointsPublic(BaseModel):
    client_id: str = Field(description="The tenant's id for the client.")
    balance: int = Field(
        description="Points held; below zero when a refund took back points already spent."
    )
    lots: list[PointsLotPublic] = Field(
        description="Lots with points left, in the order they are spent: soonest-expiring first."
    )
    next_expiry: NextExpiryPublic | None = Field(
        description="The next day some of the client's points expire, or null."
    )

    @classmethod
    def from_summary(cls, summary: PointsSummary) -> ClientPointsPublic:
        return cls(
            client_id=summary.client_id,
            balance=summary.balance,
            lots=[PointsLotPublic.model_validate(lot) for lot in summary.lots],
            next_expiry=NextExpiryPublic.from_pair(summary.next_expiry),
        )


class PointsMovementPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime = Field(description="When the points moved.")
    reason: str = Field(
        description="Why: earned, bonus, redeemed, expired, reversed (a refund) or adjusted "
        "(by hand)."
    )
    points: int = Field(description="Points added (positive) or taken (negative).")
    balance: int = Field(description="The balance after it.")
    source: str = Field(description="What caused it (a booking, an order line, a rule...).")
    rule: str | None = Field(description="The bonus rule, for a bonus; else null.")
    detail: str | None = Field(description="What was bought, or why nothing was earned.")
    note: str | None = Field(description="The note of a manual adjustment; else null.")
    expires_on: date | None = Field(description="When points it credited expire; else null.")


class PointsHistoryPublic(BaseModel):
    data: list[PointsMovementPublic] = Field(description="One page of movements, newest first.")
    count: int = Field(description="How many movements the client has in all.")

    @classmethod
    def from_page(cls, rows: list[PointsMovementRow], count: int) -> PointsHistoryPublic:
        return cls(data=[PointsMovementPublic.model_validate(row) for row in rows], count=count)


class ClientBalancePublic(BaseModel):
    client_id: str = Field(description="The tenant's id for the client.")
    balance: int = Field(description="Points held.")


class ClientsByPointsPublic(BaseModel):
    data: list[ClientBalancePublic] = Field(description="One page of clients, most points first.")
    count: int = Field(description="How many clients have a points account.")

    @classmethod
    def from_page(cls, rows: list[tuple[str, int]], count: int) -> ClientsByPointsPublic:
        data = [ClientBalancePublic(client_id=client, balance=points) for client, points in rows]
        return cls(data=data, count=count)


class PointsAdjustment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    points: int = Field(
        ge=-MAX_POINTS,
        le=MAX_POINTS,
        json_schema_extra={"not": {"const": 0}},
        description="Points to add (positive) or take (negative, at most the balance); not 0.",
        examples=[50],
    )
    note: str = Field(
        min_length=1,
        max_length=MAX_MESSAGE_LENGTH,
        json_schema_extra={"pattern": TEXT_PATTERN},
        description="Why the points change, kept with the movement (required).",
        examples=["Goodwill: the appointment started late"],
    )
    adjustment_id: ExternalId | None = Field(
        default=None,
        description="An idempotency key: the same id again changes nothing more. Made up when "
        "left out.",
    )

    @field_validator("points")
    @classmethod
    def _moves_points(cls, points: int) -> int:
        if points == 0:
            msg = "An adjustment moves at least 1 point, up (positive) or down (negative)"
            raise ValueError(msg)
        return points

    @field_validator("note")
    @classmethod
    def _says_why(cls, note: str) -> str:
        if not note.strip() or has_control_characters(note):
            msg = "Say why the points change, in plain text (not blank, no control characters)"
            raise ValueError(msg)
        return note.strip()


class PointsAdjustmentPublic(BaseModel):
    client_id: str = Field(description="The tenant's id for the client.")
    adjustment_id: str = Field(description="The adjustment's id (the key to retry it with).")
    points: int = Field(description="Points added or taken.")
    balance: int = Field(description="The client's balance now.")


# -- checkout ----------------------------------------------------------------------------------


class PointsQuoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: ClientId = Field(description="The client paying, whose points they are.")
    amount: Money = Field(description="The bill before points.")


class PointsRedeemRequest(PointsQuoteRequest):
    booking_id: BookingId = Field(
        description="The booking the points pay toward; redeeming again for it spends nothing "
        "more and answers the same."
    )
    points: int = Field(ge=1, le=MAX_POINTS, description="Points to spend.", examples=[500])


class PointsQuotePublic(BaseModel):
    balance: int = Field(description="The client's points balance.")
    usable: int = Field(description="Points the client can spend now.")
    max_points: int = Field(
        description="The most points they can put toward this bill (0 below the minimum)."
    )
    max_discount: Money = Field(description="What `max_points` take off the bill.")
    min_points: int = Field(description="The fewest points the programme lets a client use.")

    @classmethod
    def from_quote(cls, quote: PointsQuote) -> PointsQuotePublic:
        return cls(
            balance=quote.balance,
            usable=quote.usable,
            max_points=quote.max_points,
            max_discount=money(quote.max_discount_minor, quote.currency),
            min_points=quote.min_points,
        )


class PointsRedemptionPublic(BaseModel):
    booking_id: str = Field(description="The booking the points were used on.")
    points: int = Field(
        description="Points spent: only those that buy whole minor units, so at most those asked."
    )
    discount: Money = Field(description="What they take off the bill.")
    total: Money = Field(description="What the client pays.")

    @classmethod
    def from_redemption(cls, redemption: PointsRedemption, amount: Money) -> PointsRedemptionPublic:
        return cls(
            booking_id=redemption.booking_id,
            points=redemption.points,
            discount=money(redemption.discount_minor, redemption.currency),
            total=money(amount.amount_minor - redemption.discount_minor, redemption.currency),
        )
