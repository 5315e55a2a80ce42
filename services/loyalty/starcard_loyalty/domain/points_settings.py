"""A tenant's points programme: earning rates, bonuses, expiry and redemption, and their arithmetic.

Rates are kept in hundredths of a point per currency unit (150 = 1.5 points per £1), so every
computation is integer arithmetic on minor units and nothing is ever a float. Points are whole:
what a line earns is rounded down, so a client never sees a fraction and never earns on money not
paid.

The settings are recorded on the tenant's `LoyaltyProgramme` as versions with the moment they
took effect; a movement is computed with the version in force at its own ``occurred_at``. So a
change "applies from when it is made" and never rewrites past earnings, whenever the events of
before the change arrive.
"""

from __future__ import annotations

import calendar
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from starcard_events.limits import (
    MAX_DAYS,
    MAX_LABEL_LENGTH,
    MAX_PERCENT,
    MAX_POINTS,
    MAX_RATE_HUNDREDTHS,
    MIN_PERCENT,
)
from starcard_events.money_format import minor_unit_exponent

from starcard_loyalty.domain.errors import InvalidPointsSettings

__all__ = [
    "Expiry",
    "PointsSettings",
    "ServiceBonus",
    "points_for",
    "points_to_pay",
    "points_worth",
]

EARNING_PAYMENT_METHODS = frozenset({"card", "cash", "other"})
"""By default the money a client pays earns; a package, a membership credit, a gift card, a
referral credit or points already earned (or will earn) elsewhere."""

PAYMENT_METHODS = frozenset(
    {"card", "cash", "membership_credit", "package", "gift_card", "credit", "points", "other"}
)


class Expiry(StrEnum):
    """When earned points expire."""

    NEVER = "never"
    AFTER_DAYS = "after_days"
    END_OF_MONTH = "end_of_month"
    END_OF_YEAR = "end_of_year"


@dataclass(frozen=True)
class ServiceBonus:
    """Extra points for a service or a category the clinic promotes: a multiplier of what the
    line earns (``multiplier_hundredths`` 200 = double) or a fixed number of points, or both."""

    bonus_id: str
    service_id: str | None = None
    category: str | None = None
    multiplier_hundredths: int | None = None
    points: int | None = None

    def applies_to(self, service_id: str | None, category: str | None) -> bool:
        if self.service_id is not None:
            return self.service_id == service_id
        return category is not None and self.category == category.strip().casefold()

    def points_added(self, base: int) -> int:
        """The points this bonus adds to a line that earned `base`."""
        added = 0
        if self.multiplier_hundredths is not None:
            added += base * (self.multiplier_hundredths - 100) // 100
        return added + (self.points or 0)


@dataclass(frozen=True)
class PointsSettings:
    """Everything the points programme of one tenant is set to; `enabled` False earns nothing."""

    enabled: bool = False
    treatment_rate: int = 100
    category_rates: dict[str, int] = field(default_factory=dict)
    retail_rate: int = 50
    earning_payment_methods: frozenset[str] = EARNING_PAYMENT_METHODS
    service_bonuses: tuple[ServiceBonus, ...] = ()
    rebook_within_days: int | None = None
    rebook_bonus_points: int = 0
    package_bonus_points: int = 0
    granted_bonus_points: int = 0
    expiry: Expiry = Expiry.NEVER
    expiry_days: int | None = None
    expiry_notice_days: int | None = 14
    points_per_currency_unit: int = 100
    min_redeem_points: int = 0
    max_bill_percent: int = 100

    # -- earning -------------------------------------------------------------------------------

    def treatment_rate_for(self, category: str | None) -> int:
        """The rate of a treatment: its category's, else the default treatment rate."""
        if category is not None:
            return self.category_rates.get(category.strip().casefold(), self.treatment_rate)
        return self.treatment_rate

    def earns(self, payment_method: str) -> bool:
        return payment_method in self.earning_payment_methods

    def service_bonus_points(
        self, base: int, service_id: str | None, category: str | None
    ) -> list[tuple[str, int]]:
        """``(bonus id, extra points)`` of every service bonus that applies to the line."""
        return [
            (bonus.bonus_id, bonus.points_added(base))
            for bonus in self.service_bonuses
            if bonus.applies_to(service_id, category) and bonus.points_added(base) > 0
        ]

    def expires_on(self, earned_at: datetime) -> date | None:
        """The day at whose clock tick points earned at `earned_at` expire (None: never).

        "After N days" expires on the Nth day after the day earned; "end of month" / "end of
        year" keep them through the last day and expire them on the first of the next.
        """
        day = earned_at.date()
        match self.expiry:
            case Expiry.NEVER:
                return None
            case Expiry.AFTER_DAYS:
                return day + timedelta(days=self.expiry_days or 0)
            case Expiry.END_OF_MONTH:
                last = calendar.monthrange(day.year, day.month)[1]
                return day.replace(day=last) + timedelta(days=1)
            case Expiry.END_OF_YEAR:
                return date(day.year + 1, 1, 1)

    # -- checks and storage --------------------------------------------------------------------

    def check(self) -> PointsSettings:
        """Refuse settings a clinic could not mean, every problem named; returns them normalised
        (categories compared case-insensitively)."""
        problems = self._earning_problems() + _bonus_problems(self.service_bonuses)
        problems += self._time_and_redemption_problems()
        if problems:
            raise InvalidPointsSettings(problems)
        return replace(
            self,
            category_rates={name.strip().casefold(): r for name, r in self.category_rates.items()},
            service_bonuses=tuple(
                replace(b, category=b.category.strip().casefold() if b.category else None)
                for b in self.service_bonuses
            ),
        )

    def _earning_problems(self) -> list[str]:
        problems: list[str] = []
        rates = {"treatment_rate": self.treatment_rate, "retail_rate": self.retail_rate}
        rates |= {f"category_rates[{name!r}]": rate for name, rate in self.category_rates.items()}
        for name, rate in rates.items():
            if not 0 <= rate <= MAX_RATE_HUNDREDTHS:
                problems.append(
                    f"{name} must be 0 to {MAX_RATE_HUNDREDTHS / 100:g} points per currency unit."
                )
        folded = [name.strip().casefold() for name in self.category_rates]
        if len(set(folded)) != len(folded):
            problems.append(
                "Two category rates name the same category (categories compare ignoring case "
                "and spaces): keep one."
            )
        for name in self.category_rates:
            if not name.strip() or len(name) > MAX_LABEL_LENGTH:
                problems.append(
                    f"A category name must be 1 to {MAX_LABEL_LENGTH} characters (got {name!r})."
                )
        unknown = self.earning_payment_methods - PAYMENT_METHODS
        if unknown:
            problems.append(
                f"Unknown payment methods {sorted(unknown)}: choose from {sorted(PAYMENT_METHODS)}."
            )
        for name, value in {
            "rebook_bonus_points": self.rebook_bonus_points,
            "package_bonus_points": self.package_bonus_points,
            "granted_bonus_points": self.granted_bonus_points,
            "min_redeem_points": self.min_redeem_points,
        }.items():
            if not 0 <= value <= MAX_POINTS:
                problems.append(f"{name} must be 0 to {MAX_POINTS} points.")
        return problems

    def _time_and_redemption_problems(self) -> list[str]:
        problems: list[str] = []
        for name, days in {
            "rebook_within_days": self.rebook_within_days,
            "expiry_notice_days": self.expiry_notice_days,
        }.items():
            if days is not None and not 1 <= days <= MAX_DAYS:
                problems.append(f"{name} must be 1 to {MAX_DAYS} days, or empty for none.")
        if self.rebook_bonus_points and self.rebook_within_days is None:
            problems.append("A rebooking bonus needs rebook_within_days: the window it rewards.")
        if self.expiry is Expiry.AFTER_DAYS and not 1 <= (self.expiry_days or 0) <= MAX_DAYS:
            problems.append(
                f"Expiry after N days needs expiry_days from 1 to {MAX_DAYS} (got "
                f"{self.expiry_days})."
            )
        if self.expiry is not Expiry.AFTER_DAYS and self.expiry_days is not None:
            problems.append("expiry_days is only for expiry 'after_days': leave it empty.")
        if not 1 <= self.points_per_currency_unit <= MAX_POINTS:
            problems.append(
                f"points_per_currency_unit must be 1 to {MAX_POINTS}: the points that take one "
                "currency unit off a bill."
            )
        if not MIN_PERCENT <= self.max_bill_percent <= MAX_PERCENT:
            problems.append(
                f"max_bill_percent must be {MIN_PERCENT} to {MAX_PERCENT}: the most of a bill "
                "points may pay."
            )
        return problems

    def to_record(self) -> dict[str, Any]:
        """What the settings event stores: plain JSON values."""
        record = asdict(self)
        record["earning_payment_methods"] = sorted(self.earning_payment_methods)
        record["expiry"] = self.expiry.value
        record["service_bonuses"] = [asdict(bonus) for bonus in self.service_bonuses]
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> PointsSettings:
        values = dict(record)
        values["earning_payment_methods"] = frozenset(values["earning_payment_methods"])
        values["expiry"] = Expiry(values["expiry"])
        values["service_bonuses"] = tuple(ServiceBonus(**b) for b in values["service_bonuses"])
        return cls(**values)


def _bonus_problems(bonuses: tuple[ServiceBonus, ...]) -> list[str]:
    problems = []
    ids = [bonus.bonus_id for bonus in bonuses]
    if len(set(ids)) != len(ids):
        problems.append("Each service bonus needs its own bonus_id.")
    for bonus in bonuses:
        name = f"Bonus {bonus.bonus_id!r}"
        if not bonus.bonus_id.strip() or len(bonus.bonus_id) > MAX_LABEL_LENGTH:
            problems.append(f"A bonus_id must be 1 to {MAX_LABEL_LENGTH} characters.")
        if (bonus.service_id is None) == (bonus.category is None):
            problems.append(f"{name} needs a service_id or a category (one of them).")
        if bonus.multiplier_hundredths is None and bonus.points is None:
            problems.append(f"{name} needs a multiplier, a number of points, or both.")
        if bonus.multiplier_hundredths is not None and not (
            100 < bonus.multiplier_hundredths <= MAX_RATE_HUNDREDTHS
        ):
            problems.append(f"{name}: the multiplier must be above 1 (e.g. 2 for double points).")
        if bonus.points is not None and not 1 <= bonus.points <= MAX_POINTS:
            problems.append(f"{name}: the fixed bonus must be 1 to {MAX_POINTS} points.")
    return problems


def minor_units_per_unit(currency: str) -> int:
    """100 for GBP (pence in a pound), 1 for JPY, 1,000 for KWD."""
    scale: int = 10 ** minor_unit_exponent(currency)
    return scale


def points_for(amount_minor: int, currency: str, rate_hundredths: int) -> int:
    """Whole points earned by `amount_minor` at `rate_hundredths` per currency unit, rounded down.

    £45.99 at 1.5 points per £1 is 68 points (68.985 rounded down); ¥4,599 at 1 per ¥1 is 4,599.
    """
    return amount_minor * rate_hundredths // (100 * minor_units_per_unit(currency))


def points_worth(points: int, currency: str, points_per_unit: int) -> int:
    """The minor units `points` take off a bill, rounded down to the minor unit."""
    return points * minor_units_per_unit(currency) // points_per_unit


def points_to_pay(amount_minor: int, currency: str, points_per_unit: int) -> int:
    """The fewest points worth `amount_minor` (rounded up): what a discount of that size costs."""
    return -(-amount_minor * points_per_unit // minor_units_per_unit(currency))
