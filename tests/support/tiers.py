"""Clients' tiers, driven through the loyalty service's own use cases on a real event store.

Purchases, refunds and ticks go in one unit of work each, as a consumer's batch does. Days count
from ``T0``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from starcard_loyalty.application import LoyaltyService
from starcard_loyalty.domain.membership import Membership, Spend
from starcard_loyalty.domain.points import booking_source
from starcard_loyalty.domain.tier_settings import SpendKind, TierSettings, months_after
from starcard_runtime.batching import UnitOfWork

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)

CLINIC_TIERS = TierSettings(enabled=True)
"""Regular from the first visit, VIP from £1,000 spent in 12 months, Elite from £2,500; one tier
down at a time; warned 14 days before a drop."""


def at(day: int) -> datetime:
    return T0 + timedelta(days=day)


def leaves(day: int) -> date:
    """The day a purchase of `day` leaves the 12-month window of ``CLINIC_TIERS``."""
    return months_after(at(day).date(), 12)


def start_of(day: date) -> datetime:
    """The first instant of `day`: the moment of what happens at the day's boundary."""
    return datetime.combine(day, time.min, UTC)


class TiersDesk:
    """The loyalty service's tier use cases, with a clinic's vocabulary."""

    def __init__(self, service: LoyaltyService) -> None:
        self.service = service

    def _in_one_batch(self, work: Callable[[UnitOfWork], None]) -> None:
        unit = UnitOfWork(self.service)
        work(unit)
        self.service.save(*unit.aggregates.values())

    def open(self, tenant: str, settings: TierSettings = CLINIC_TIERS) -> None:
        """Open the tenant's programme with tiers on from the day before ``T0``."""
        self.service.open_programme(tenant, tenant.title())
        self.service.set_tier_settings(tenant, settings, at(-1))

    def treatment(self, tenant: str, client: str, booking: str, pounds: int, day: int) -> None:
        """A treatment paid in pounds, completed on `day`."""
        spend = Spend(booking_source(booking), pounds * 100, at(day), SpendKind.TREATMENT)
        self._in_one_batch(
            lambda unit: self.service.count_tier_spend(unit, tenant, client, "GBP", [spend])
        )

    def refund(
        self,
        tenant: str,
        client: str,
        refund_id: str,
        booking: str,
        day: int,
        *,
        pounds: int | None = None,
    ) -> None:
        """A refund of the booking: of `pounds`, or of the whole booking when None."""
        amount = None if pounds is None else pounds * 100
        self._in_one_batch(
            lambda unit: self.service.refund_tier_spend(
                unit,
                tenant,
                client,
                refund_id=refund_id,
                lines=[(booking_source(booking), amount)],
                at=at(day),
            )
        )

    def tick(self, tenant: str, day: date) -> None:
        """The clock tick of `day` (at its first instant, as the scheduler publishes it)."""
        self._in_one_batch(lambda unit: self.service.tiers_tick(unit, tenant, day, start_of(day)))

    def membership(self, tenant: str, client: str) -> Membership:
        """The client's account as stored."""
        return self.service.membership(tenant, client)
