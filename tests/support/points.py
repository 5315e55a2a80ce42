"""Clients' points, driven through the loyalty service's own use cases on a real event store.

Earnings, refunds and ticks go in one unit of work each, as a consumer's batch does; redemptions
and adjustments through the use cases the gateway calls. Days count from ``T0``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from starcard_events import Money
from starcard_loyalty.application import LoyaltyService
from starcard_loyalty.domain.points import Purchase, booking_source
from starcard_loyalty.domain.points_settings import Expiry, PointsSettings, ServiceBonus
from starcard_runtime.batching import UnitOfWork

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)

CLINIC_POINTS = PointsSettings(
    enabled=True,
    treatment_rate=100,
    service_bonuses=(ServiceBonus("laser-boost", category="laser", points=10),),
    expiry=Expiry.AFTER_DAYS,
    expiry_days=30,
    points_per_currency_unit=100,
)
"""A point per £1, 10 more for a laser treatment, points expire 30 days after the day earned;
100 points take £1 off a bill."""


def at(day: int) -> datetime:
    return T0 + timedelta(days=day)


def expires(day: int) -> date:
    """The day points earned on `day` expire under ``CLINIC_POINTS``."""
    return at(day).date() + timedelta(days=30)


class PointsDesk:
    """The loyalty service's points use cases, with a clinic's vocabulary."""

    def __init__(self, service: LoyaltyService) -> None:
        self.service = service

    def _in_one_batch(self, work: Callable[[UnitOfWork], None]) -> None:
        unit = UnitOfWork(self.service)
        work(unit)
        self.service.save(*unit.aggregates.values())

    def open(self, tenant: str, settings: PointsSettings = CLINIC_POINTS) -> None:
        """Open the tenant's programme with points on from the day before ``T0``."""
        self.service.open_programme(tenant, tenant.title())
        self.service.set_points_settings(tenant, settings, at(-1))

    def treatment(
        self,
        tenant: str,
        client: str,
        booking: str,
        pounds: int,
        day: int,
        *,
        method: str = "card",
        category: str = "facials",
    ) -> None:
        purchase = Purchase(
            source=booking_source(booking),
            booking_id=booking,
            amount_minor=pounds * 100,
            currency="GBP",
            payment_method=method,
            occurred_at=at(day),
            retail=False,
            service_id=f"svc-{category}",
            category=category,
            detail=category.title(),
        )
        self._in_one_batch(lambda unit: self.service.earn_points(unit, tenant, client, [purchase]))

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
        amount = None if pounds is None else Money(amount_minor=pounds * 100, currency="GBP")
        self._in_one_batch(
            lambda unit: self.service.refund_appointment_points(
                unit,
                tenant,
                client,
                refund_id=refund_id,
                booking_id=booking,
                amount=amount,
                at=at(day),
            )
        )

    def redeem(
        self, tenant: str, client: str, booking: str, *, points: int, day: int, bill: int = 100
    ) -> None:
        self.service.redeem_points(
            tenant,
            client,
            booking_id=booking,
            points=points,
            bill=Money(amount_minor=bill * 100, currency="GBP"),
            at=at(day),
        )

    def adjust(
        self, tenant: str, client: str, adjustment_id: str, *, points: int, note: str, day: int
    ) -> None:
        self.service.adjust_points(
            tenant, client, adjustment_id=adjustment_id, points=points, note=note, at=at(day)
        )

    def tick(self, tenant: str, day: date) -> None:
        """The clock tick of `day` (at its first instant, as the scheduler publishes it)."""
        moment = datetime.combine(day, time.min, UTC)
        self._in_one_batch(lambda unit: self.service.points_tick(unit, tenant, day, moment))

    def balances(self) -> dict[tuple[str, str], int]:
        """Every account's balance as the account itself holds it."""
        return {
            (tenant, client): self.service.points_account(tenant, client).balance()
            for tenant, client in self.service.points_account_owners()
        }
