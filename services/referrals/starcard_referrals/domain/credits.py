"""A client's credit account: referral credits, applied at their next booking.

"The referring client sees their credit in the portal and can apply it at checkout." Credits are
used oldest first: a percentage credit is used whole on one booking (its percentage of the price,
rounded half up to the cent); fixed credits of the booking's currency then cover what is left of
the price, and what a credit does not use stays for the next booking. Applying is idempotent by
booking id: a checkout retried, or the booking event that reports the same discount, uses the
credit once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from starcard_kernel.money import check_money

from starcard_referrals.domain.ids import credit_account_id
from starcard_referrals.domain.values import RewardValue


@dataclass
class Credit:
    credit_id: str
    value: RewardValue
    issued_at: datetime
    remaining_minor: int | None
    """What is left of a fixed credit; None for a percentage credit."""
    used: bool = False


@dataclass(frozen=True)
class CreditUse:
    """What credit takes off one booking's price, and from which credits."""

    booking_id: str
    amount_minor: int
    currency: str
    parts: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Available:
    """Unused credit, for the portal's banner."""

    amounts: dict[str, int]
    """Currency -> minor units left on fixed credits."""
    percents: tuple[int, ...]
    """Unused percentage credits, oldest first."""

    @property
    def any(self) -> bool:
        return bool(self.percents) or any(self.amounts.values())


class CreditAccount(Aggregate):
    """Created with `CreditAccount(tenant_id=..., client_id=...)`."""

    @staticmethod
    def create_id(tenant_id: str, client_id: str) -> UUID:
        return credit_account_id(tenant_id, client_id)

    @event("Opened")
    def __init__(self, *, tenant_id: str, client_id: str) -> None:
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.credits: dict[str, Credit] = {}
        self.uses: dict[str, CreditUse] = {}

    def issue(self, credit_id: str, value: RewardValue, at: datetime) -> bool:
        """Add a credit, once per `credit_id`. Returns whether it was new."""
        if credit_id in self.credits:
            return False
        self._issue(credit_id=credit_id, value=value.as_event(), issued_at=at)
        return True

    def available(self) -> Available:
        amounts: dict[str, int] = {}
        percents: list[int] = []
        for credit in self.credits.values():
            if credit.used:
                continue
            if credit.value.percent is not None:
                percents.append(credit.value.percent)
            elif credit.remaining_minor and credit.value.currency:
                currency = credit.value.currency
                amounts[currency] = amounts.get(currency, 0) + credit.remaining_minor
        return Available(amounts, tuple(percents))

    def plan(
        self, booking_id: str, amount_minor: int, currency: str, cap_minor: int | None = None
    ) -> CreditUse:
        """What credit would take off `amount_minor` now (the booking's earlier use, if any),
        never more than `cap_minor` when given. Changes nothing."""
        if booking_id in self.uses:
            return self.uses[booking_id]
        check_money(amount_minor, currency)
        left = amount_minor if cap_minor is None else min(amount_minor, cap_minor)
        parts: list[tuple[str, int]] = []
        for credit in self.credits.values():
            if credit.used or credit.value.percent is None:
                continue
            take = min(left, credit.value.off(amount_minor, currency))
            parts.append((credit.credit_id, take))
            left -= take
            break
        for credit in self.credits.values():
            if left == 0:
                break
            if credit.used or credit.value.currency != currency or not credit.remaining_minor:
                continue
            take = min(left, credit.remaining_minor)
            parts.append((credit.credit_id, take))
            left -= take
        parts = [part for part in parts if part[1] > 0]
        return CreditUse(booking_id, sum(take for _, take in parts), currency, tuple(parts))

    def apply(
        self,
        booking_id: str,
        amount_minor: int,
        currency: str,
        at: datetime,
        cap_minor: int | None = None,
    ) -> CreditUse:
        """Use credit on a booking; the same booking again answers the same, using nothing."""
        use = self.plan(booking_id, amount_minor, currency, cap_minor)
        if booking_id not in self.uses and use.parts:
            self._apply(
                booking_id=booking_id,
                amount_minor=use.amount_minor,
                currency=currency,
                parts=[list(part) for part in use.parts],
                applied_at=at,
            )
        return use

    @event("Issued")
    def _issue(self, *, credit_id: str, value: dict[str, Any], issued_at: datetime) -> None:
        reward = RewardValue.from_event(value)
        self.credits[credit_id] = Credit(credit_id, reward, issued_at, reward.amount_minor)

    @event("Applied")
    def _apply(
        self,
        *,
        booking_id: str,
        amount_minor: int,
        currency: str,
        parts: list[list[Any]],
        applied_at: datetime,
    ) -> None:
        for credit_id, take in parts:
            credit = self.credits[credit_id]
            if credit.remaining_minor is None:
                credit.used = True
            else:
                credit.remaining_minor -= take
                credit.used = credit.remaining_minor == 0
        self.uses[booking_id] = CreditUse(
            booking_id, amount_minor, currency, tuple((c, t) for c, t in parts)
        )
