"""What a referral reward is worth: a fixed amount off, or a percentage off.

"Reward type — a fixed amount off (e.g. £10) or a percentage off (e.g. 10%)." Money is integer
minor units and a currency; percentages are whole numbers. Aggregate events store a value as a
plain dict (``as_event``) so the event store's JSON transcoder needs nothing of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starcard_events.limits import MAX_PERCENT, MIN_PERCENT
from starcard_kernel.money import Money, check_money

from starcard_referrals.domain.errors import InvalidSettings


@dataclass(frozen=True)
class RewardValue:
    """Exactly one of `amount_minor` (with `currency`) or `percent`."""

    amount_minor: int | None = None
    currency: str | None = None
    percent: int | None = None

    def __post_init__(self) -> None:
        if self.percent is not None:
            if self.amount_minor is not None or self.currency is not None:
                raise InvalidSettings("A reward is an amount or a percentage, not both.")
            if not MIN_PERCENT <= self.percent <= MAX_PERCENT:
                msg = (
                    f"A percentage reward must be {MIN_PERCENT} to {MAX_PERCENT} "
                    f"(got {self.percent})."
                )
                raise InvalidSettings(msg)
            return
        if self.amount_minor is None or self.currency is None:
            raise InvalidSettings("A reward needs an amount and its currency, or a percentage.")
        check_money(self.amount_minor, self.currency)
        if self.amount_minor == 0:
            raise InvalidSettings("A fixed reward must be more than zero.")

    @classmethod
    def of_amount(cls, amount_minor: int, currency: str) -> RewardValue:
        return cls(amount_minor=amount_minor, currency=currency)

    @classmethod
    def of_percent(cls, percent: int) -> RewardValue:
        return cls(percent=percent)

    @classmethod
    def from_event(cls, data: dict[str, Any]) -> RewardValue:
        return cls(
            amount_minor=data.get("amount_minor"),
            currency=data.get("currency"),
            percent=data.get("percent"),
        )

    def as_event(self) -> dict[str, Any]:
        return {
            "amount_minor": self.amount_minor,
            "currency": self.currency,
            "percent": self.percent,
        }

    def off(self, amount_minor: int, currency: str) -> int:
        """What this value takes off a price: the percentage rounded half up to the minor
        unit, or the fixed amount up to the whole price. Never more than the price."""
        price = Money(amount_minor, currency)
        if self.percent is not None:
            return price.percent(self.percent).amount_minor
        reward = Money(int(self.amount_minor or 0), str(self.currency))
        return reward.at_most(price).amount_minor  # another currency: CurrencyMismatch
