"""Money: integer minor units and an ISO 4217 currency, never a float.

"Money is a value type (integer minor units and a currency), with arithmetic that refuses to mix
currencies." Amounts are never negative and never beyond what a JSON number carries exactly
(``starcard_events.limits.MAX_AMOUNT_MINOR``); a percentage of an amount is rounded half up to the
minor unit, in integer arithmetic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starcard_events.limits import MAX_AMOUNT_MINOR

from starcard_kernel.refusals import CurrencyMismatch, InvalidAmount

ISO_4217 = re.compile(r"[A-Z]{3}")


def check_money(amount_minor: int, currency: str) -> None:
    """Whole minor units, not negative, at most `MAX_AMOUNT_MINOR`, of an ISO 4217 currency."""
    if not 0 <= amount_minor <= MAX_AMOUNT_MINOR:
        msg = (
            f"The amount must be 0 to {MAX_AMOUNT_MINOR} minor units (got {amount_minor}): "
            "send it as whole minor units, e.g. 4500 for 45.00."
        )
        raise InvalidAmount(msg)
    if not ISO_4217.fullmatch(currency):
        msg = f"The currency must be an ISO 4217 code such as GBP or EUR (got {currency!r})."
        raise InvalidAmount(msg)


def percent_of(amount_minor: int, percent: int) -> int:
    """`percent` of `amount_minor`, rounded half up to the minor unit, never above the amount.

    Integer arithmetic only: 10% of 4,995 pence is 500 (499.5 rounded up), never 499.49999….
    """
    if amount_minor < 0:
        msg = f"The amount must not be negative (got {amount_minor} minor units)."
        raise InvalidAmount(msg)
    return min(amount_minor, (amount_minor * percent + 50) // 100)


def share_of(amount_minor: int, part: int, whole: int) -> int:
    """`part` / `whole` of `amount_minor`, rounded half up to the minor unit (2 of 3 sessions of
    a 10,000 package is 6,667): the whole of it when `part` is `whole`, nothing when 0."""
    if amount_minor < 0 or whole <= 0 or not 0 <= part <= whole:
        msg = f"A share needs 0 <= part <= whole and a positive whole (got {part}/{whole})."
        raise InvalidAmount(msg)
    return (2 * amount_minor * part + whole) // (2 * whole)


@dataclass(frozen=True)
class Money:
    """An amount of one currency; adding, subtracting or comparing two currencies is refused."""

    amount_minor: int
    currency: str

    def __post_init__(self) -> None:
        check_money(self.amount_minor, self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(self.currency, other.currency)

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount_minor + other.amount_minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        """The difference; refused below zero (an amount is never negative)."""
        self._same_currency(other)
        return Money(self.amount_minor - other.amount_minor, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount_minor < other.amount_minor

    def __le__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount_minor <= other.amount_minor

    def percent(self, percent: int) -> Money:
        """`percent` of this amount, rounded half up to the minor unit (`percent_of`)."""
        return Money(percent_of(self.amount_minor, percent), self.currency)

    def at_most(self, other: Money) -> Money:
        """This amount, or `other` if that is less: what a credit or a fixed reward can take off
        a price."""
        return other if other < self else self

    def __bool__(self) -> bool:
        return self.amount_minor != 0
