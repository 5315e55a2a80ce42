"""A tenant's membership tiers: names, thresholds on rolling spend, benefits, and how drops go.

Spend is money in minor units of the programme's one currency; a tier is reached when the spend
in the rolling window (12 months by default) reaches its entry threshold, and kept while the
spend stays at or above its "stay" threshold (the entry threshold unless a lower one is set).
The first tier is everyone's from the start: its entry threshold is 0.

Like the points settings, the tier settings are versions on the tenant's `LoyaltyProgramme`,
each in force from the moment it was made: a moment of a client's history is judged under the
settings of that moment, whenever its events arrive.
"""

from __future__ import annotations

import calendar
from dataclasses import asdict, dataclass
from datetime import date
from enum import StrEnum
from itertools import pairwise
from typing import Any

from starcard_events.limits import MAX_AMOUNT_MINOR, MAX_DAYS, MAX_LABEL_LENGTH, MAX_PERCENT

from starcard_loyalty.domain.errors import InvalidTierSettings

__all__ = ["DropMode", "SpendKind", "Tier", "TierSettings", "months_after"]

MAX_WINDOW_MONTHS = 36
MAX_TIERS = 10
MAX_MULTIPLIER_HUNDREDTHS = 1000


class DropMode(StrEnum):
    """Where a client goes when their spend no longer keeps their tier."""

    ONE_TIER = "one_tier"
    """One tier down at each moment the spend falls short (a purchase leaving the window, a
    refund): a client has time to win the lower tier's place again before the next drop."""
    TO_SPEND = "to_spend"
    """Straight to the tier the spend in the window matches."""


class SpendKind(StrEnum):
    TREATMENT = "treatment"
    RETAIL = "retail"
    PACKAGE = "package"


@dataclass(frozen=True)
class Tier:
    """One tier: its id (stable when the name changes), its name, thresholds and benefits."""

    tier_id: str
    name: str
    entry_minor: int
    stay_minor: int | None = None
    """The least spend that keeps the tier once reached; None: the entry threshold."""
    treatment_discount_percent: int = 0
    product_discount_percent: int = 0
    priority_booking: bool = False
    complimentary_service_id: str | None = None
    """A service the tier's members get free with a treatment (the platform adds it)."""
    points_multiplier_hundredths: int = 100

    @property
    def keeps_at(self) -> int:
        return self.entry_minor if self.stay_minor is None else self.stay_minor


DEFAULT_TIERS = (
    Tier("regular", "Regular", 0),
    Tier(
        "vip",
        "VIP",
        100_000,
        treatment_discount_percent=5,
        product_discount_percent=5,
        priority_booking=True,
    ),
    Tier(
        "elite",
        "Elite",
        250_000,
        treatment_discount_percent=10,
        product_discount_percent=10,
        priority_booking=True,
    ),
)
"""Regular from the first visit, VIP from £1,000 in 12 months, Elite from £2,500."""


@dataclass(frozen=True)
class TierSettings:
    """Everything the tiers of one tenant are set to; `enabled` False counts no spend."""

    enabled: bool = False
    currency: str = "GBP"
    tiers: tuple[Tier, ...] = DEFAULT_TIERS
    window_months: int = 12
    counts: frozenset[SpendKind] = frozenset(SpendKind)
    """What spend counts toward a tier: treatments, retail, package purchases."""
    keep_days: int = 0
    """A tier reached is kept at least this many days, whatever the spend does."""
    drop: DropMode = DropMode.ONE_TIER
    warn_days: int | None = 14
    """Days before a drop the client is told what would keep the tier; None: no warning."""
    stack_with_codes: bool = False
    """Whether a tier discount and a discount code both apply to a booking (else the better)."""

    def tier_for(self, spend_minor: int) -> int:
        """The index of the highest tier whose entry threshold `spend_minor` reaches."""
        reached = 0
        for index, tier in enumerate(self.tiers):
            if spend_minor >= tier.entry_minor:
                reached = index
        return reached

    def kept_tier(self, spend_minor: int, at_most: int) -> int:
        """The highest tier up to `at_most` that `spend_minor` keeps (by its stay threshold):
        where a drop straight to the spend's tier lands."""
        return max(
            n for n, tier in enumerate(self.tiers[: at_most + 1]) if spend_minor >= tier.keeps_at
        )

    def index_of(self, tier_id: str) -> int:
        """The tier's index; 0 (the first tier) for a tier since removed."""
        for index, tier in enumerate(self.tiers):
            if tier.tier_id == tier_id:
                return index
        return 0

    def counts_kind(self, kind: SpendKind) -> bool:
        return kind in self.counts

    def tier(self, tier_id: str | None) -> Tier:
        """The tier of this id; the first tier for None or an id since removed."""
        return self.tiers[self.index_of(tier_id) if tier_id is not None else 0]

    def to_next(self, tier_id: str | None, spend_minor: int) -> tuple[Tier, int] | None:
        """The tier above `tier_id` and what more spend reaches it ("£120 more to reach VIP");
        None at the top."""
        index = self.index_of(tier_id) if tier_id is not None else 0
        if index + 1 >= len(self.tiers):
            return None
        above = self.tiers[index + 1]
        return above, max(0, above.entry_minor - spend_minor)

    # -- checks and storage --------------------------------------------------------------------

    def check(self) -> TierSettings:
        """Refuse settings a clinic could not mean, every problem named."""
        problems = _tier_problems(self.tiers)
        if not (len(self.currency) == 3 and self.currency.isascii() and self.currency.isupper()):
            problems.append(
                f"currency must be an ISO 4217 code such as GBP (got {self.currency!r})."
            )
        if not 1 <= self.window_months <= MAX_WINDOW_MONTHS:
            problems.append(f"window_months must be 1 to {MAX_WINDOW_MONTHS}.")
        if not 0 <= self.keep_days <= MAX_DAYS:
            problems.append(f"keep_days must be 0 to {MAX_DAYS}.")
        if self.warn_days is not None and not 1 <= self.warn_days <= MAX_DAYS:
            problems.append(f"warn_days must be 1 to {MAX_DAYS}, or empty for no warning.")
        if problems:
            raise InvalidTierSettings(problems)
        return self

    def to_record(self) -> dict[str, Any]:
        """What the settings event stores: plain JSON values."""
        record = asdict(self)
        record["tiers"] = [asdict(tier) for tier in self.tiers]
        record["counts"] = sorted(kind.value for kind in self.counts)
        record["drop"] = self.drop.value
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> TierSettings:
        values = dict(record)
        values["tiers"] = tuple(Tier(**tier) for tier in values["tiers"])
        values["counts"] = frozenset(SpendKind(kind) for kind in values["counts"])
        values["drop"] = DropMode(values["drop"])
        return cls(**values)


TIERS_OFF = TierSettings()
"""The tier settings of a programme that never set them: off."""


def _tier_problems(tiers: tuple[Tier, ...]) -> list[str]:
    problems: list[str] = []
    if not 1 <= len(tiers) <= MAX_TIERS:
        return [f"Set 1 to {MAX_TIERS} tiers (the first is everyone's)."]
    ids = [tier.tier_id for tier in tiers]
    if len(set(ids)) != len(ids):
        problems.append("Each tier needs its own tier_id.")
    names = [tier.name.strip().casefold() for tier in tiers]
    if len(set(names)) != len(names):
        problems.append("Each tier needs its own name.")
    if tiers[0].entry_minor != 0:
        problems.append("The first tier is everyone's: its entry threshold must be 0.")
    for lower, higher in pairwise(tiers):
        if higher.entry_minor <= lower.entry_minor:
            problems.append(
                f"Tier {higher.name!r} must need more spend than {lower.name!r} before it: list "
                "tiers from the lowest."
            )
    for tier in tiers:
        problems += _one_tier_problems(tier)
    return problems


def _one_tier_problems(tier: Tier) -> list[str]:
    problems: list[str] = []
    name = f"Tier {tier.name!r}"
    for field_name, text in {"tier_id": tier.tier_id, "name": tier.name}.items():
        if not text.strip() or len(text) > MAX_LABEL_LENGTH:
            problems.append(f"A tier's {field_name} must be 1 to {MAX_LABEL_LENGTH} characters.")
    if not 0 <= tier.entry_minor <= MAX_AMOUNT_MINOR:
        problems.append(f"{name}: entry_minor must be 0 or more (minor units).")
    if tier.stay_minor is not None and not 0 <= tier.stay_minor <= tier.entry_minor:
        problems.append(
            f"{name}: stay_minor must be 0 to the entry threshold ({tier.entry_minor}): the "
            "least spend that keeps the tier."
        )
    for field_name, percent in {
        "treatment_discount_percent": tier.treatment_discount_percent,
        "product_discount_percent": tier.product_discount_percent,
    }.items():
        if not 0 <= percent <= MAX_PERCENT:
            problems.append(f"{name}: {field_name} must be 0 to {MAX_PERCENT}.")
    if not 100 <= tier.points_multiplier_hundredths <= MAX_MULTIPLIER_HUNDREDTHS:
        problems.append(
            f"{name}: the points multiplier must be 1 to {MAX_MULTIPLIER_HUNDREDTHS // 100}."
        )
    if tier.complimentary_service_id is not None and not (
        0 < len(tier.complimentary_service_id.strip()) <= MAX_LABEL_LENGTH
    ):
        problems.append(f"{name}: complimentary_service_id must be 1 to {MAX_LABEL_LENGTH} chars.")
    return problems


def months_after(day: date, months: int) -> date:
    """The same day `months` later, or the last day of that month when it is shorter (29
    February 2028 + 12 months is 28 February 2029)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
