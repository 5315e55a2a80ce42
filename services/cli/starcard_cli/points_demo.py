"""The demo's points: the clinic's points programme, its treatments besides massage, its retail
and its refunds.

Serenity is a clinic as well as a massage studio: some visits are facials, injectables or laser
sessions (at their own list prices), clients now and then buy a product on the way out, one
product comes back and one treatment is partly refunded. The points programme is switched on from
before the feed begins, so every paid treatment and retail line of the feed earns.

All of it is drawn from a random stream of its own (seeded from the feed's seed), so the massage
feed, and the stars it earns, stay what they were without points.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from rich.table import Table
from starcard_events import examples
from starcard_events.money_format import format_money
from starcard_loyalty.api import Expiry, LoyaltyService, PointsSettings

DEMO_POINTS = PointsSettings(
    enabled=True,
    treatment_rate=100,
    category_rates={"facials": 150, "injectables": 300, "laser": 250},
    retail_rate=50,
    rebook_within_days=28,
    rebook_bonus_points=50,
    expiry=Expiry.AFTER_DAYS,
    expiry_days=365,
    points_per_currency_unit=100,
    min_redeem_points=500,
    max_bill_percent=50,
)
"""1 point per £1 on massages, 1.5 on facials, 2.5 on laser, 3 on injectables, 0.5 on retail;
50 points for coming back within four weeks; points last a year; 100 points take £1 off, from 500
points, for up to half a bill."""

MASSAGE = "massage"


@dataclass(frozen=True)
class Treatment:
    """A clinic treatment: booked, priced and counted like a massage of the same length."""

    name: str
    category: str
    list_price_minor: int


CLINIC_TREATMENTS: dict[int, tuple[Treatment, ...]] = {
    30: (
        Treatment("Anti-wrinkle injections", "injectables", 18000),
        Treatment("Laser hair removal", "laser", 9000),
    ),
    60: (
        Treatment("Hydrafacial", "facials", 9500),
        Treatment("Laser skin rejuvenation", "laser", 15000),
        Treatment("Dermal fillers", "injectables", 25000),
    ),
    90: (Treatment("Signature facial", "facials", 11000),),
}
CLINIC_SHARE = 0.3
"""Of the visits paid as booked (not from a membership or package), the share that are clinic
treatments rather than massages."""


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    category: str
    price_minor: int


PRODUCTS = (
    Product("spf50-50ml", "Daily SPF 50 moisturiser", "skincare", 3200),
    Product("ha-serum-30ml", "Hyaluronic serum", "skincare", 4500),
    Product("lavender-oil-100ml", "Lavender massage oil", "wellbeing", 1800),
    Product("calm-candle", "Aromatherapy candle", "home", 2400),
)
ORDER_CHANCE = 0.12
"""The chance a client buys something on the way out of a visit."""
GOODWILL_MINOR = 2000
"""The treatment refunded in part gets £20 back."""


@dataclass
class ClinicSummary:
    """What the clinic's part of the feed holds, for the demo's output."""

    treatments: Counter[str] = field(default_factory=Counter)
    """Completed visits per category (massages included)."""
    orders: int = 0
    order_lines: int = 0
    refunds: list[str] = field(default_factory=list)
    """One sentence per refund in the feed."""


@dataclass(frozen=True)
class _Paid:
    at: datetime
    client_id: str
    source_id: str
    name: str
    amount_minor: int
    sku: str = ""


Timed = tuple[datetime, dict[str, Any], str]
"""``(occurred_at, event, what it is about)``: what the feed builder adds (the event id derives
from what it is about)."""


class ClinicFeed:
    """The clinic's part of one demo feed, drawn from its own random stream."""

    def __init__(self, tenant_id: str, seed: int, currency: str) -> None:
        self.tenant_id = tenant_id
        self.currency = currency
        self.rng = random.Random(f"{seed}:clinic")  # noqa: S311 - demo data, not secrets
        self.summary = ClinicSummary()
        self._orders: list[_Paid] = []
        self._treatments: list[_Paid] = []

    def treatment(self, minutes: int) -> Treatment | None:
        """A clinic treatment instead of a massage for this visit, now and then."""
        if self.rng.random() >= CLINIC_SHARE:
            return None
        return self.rng.choice(CLINIC_TREATMENTS[minutes])

    def completed(
        self,
        client_id: str,
        booking_id: str,
        at: datetime,
        *,
        treatment: Treatment | None,
        price_minor: int,
    ) -> list[Timed]:
        """A visit is over: note it, and now and then the client buys something on the way out."""
        self.summary.treatments[treatment.category if treatment else MASSAGE] += 1
        if treatment is not None and price_minor == treatment.list_price_minor:
            self._treatments.append(_Paid(at, client_id, booking_id, treatment.name, price_minor))
        if self.rng.random() >= ORDER_CHANCE:
            return []
        products = self.rng.sample(PRODUCTS, k=self.rng.choice((1, 1, 2)))
        order_id = f"{booking_id}-order"
        bought_at = at + timedelta(minutes=10)
        lines = [
            examples.order_line(
                p.sku, p.price_minor, name=p.name, category=p.category, currency=self.currency
            )
            for p in products
        ]
        self.summary.orders += 1
        self.summary.order_lines += len(lines)
        self._orders += [
            _Paid(bought_at, client_id, order_id, p.name, p.price_minor, p.sku) for p in products
        ]
        event = examples.product_purchased(
            self.tenant_id, bought_at, order_id=order_id, client_id=client_id, lines=lines
        )
        return [(bought_at, event, order_id)]

    def refunds(self, ends: datetime) -> list[Timed]:
        """A product returned a week after it was bought (the whole line), and £20 of a treatment
        refunded two days after it, both before the feed `ends`."""
        timed: list[Timed] = []
        orders = [line for line in self._orders if line.at + timedelta(days=7) < ends]
        if orders:
            line = self.rng.choice(orders)
            at = line.at + timedelta(days=7)
            refund_id = f"{line.source_id}-return"
            event = examples.order_refunded(
                self.tenant_id,
                at,
                refund_id=refund_id,
                order_id=line.source_id,
                client_id=line.client_id,
                lines={line.sku: None},
                currency=self.currency,
            )
            timed.append((at, event, refund_id))
            self.summary.refunds.append(f"{line.client_id} returned a {line.name} (the whole line)")
        treatments = [paid for paid in self._treatments if paid.at + timedelta(days=2) < ends]
        if treatments:
            paid = self.rng.choice(treatments)
            at = paid.at + timedelta(days=2)
            amount = min(GOODWILL_MINOR, paid.amount_minor)
            refund_id = f"{paid.source_id}-goodwill"
            event = examples.appointment_refunded(
                self.tenant_id,
                at,
                refund_id=refund_id,
                booking_id=paid.source_id,
                client_id=paid.client_id,
                amount_minor=amount,
                currency=self.currency,
            )
            timed.append((at, event, refund_id))
            self.summary.refunds.append(
                f"{paid.client_id} was refunded {format_money(amount, self.currency)} of a"
                f" {format_money(paid.amount_minor, self.currency)} treatment ({paid.name})"
            )
        return timed


def add_demo_points(loyalty: LoyaltyService, tenant_id: str, since: datetime) -> bool:
    """Switch the demo's points programme on, in force from `since`, unless the tenant has set
    its points already (a re-run keeps what the clinic chose); True if switched on."""
    if loyalty.programme(tenant_id).points_versions.history:
        return False
    loyalty.set_points_settings(tenant_id, DEMO_POINTS, since)
    return True


def _rate(hundredths: int) -> str:
    return f"{hundredths / 100:g}"


def points_table(summary: ClinicSummary, settings: PointsSettings) -> Table:
    """What earns points in the feed, at which rate."""
    table = Table("what earns", "in the feed", "points per £1", title="Points")
    for category in sorted(summary.treatments):
        rate = settings.treatment_rate_for(category)
        table.add_row(
            category.capitalize(), f"{summary.treatments[category]} treatments", _rate(rate)
        )
    table.add_row(
        "Retail",
        f"{summary.order_lines} lines in {summary.orders} orders",
        _rate(settings.retail_rate),
    )
    return table


def points_lines(settings: PointsSettings) -> list[str]:
    """The programme's other rules, a line each."""
    lines = []
    if settings.rebook_bonus_points and settings.rebook_within_days:
        lines.append(
            f"+{settings.rebook_bonus_points} points for a visit within"
            f" {settings.rebook_within_days} days of the one before"
        )
    *others, last = sorted(settings.earning_payment_methods)
    methods = f"{', '.join(others)} or {last}" if others else last
    lines.append(f"Only what is paid by {methods} earns: not a membership credit or a package")
    if settings.expiry is Expiry.AFTER_DAYS:
        lines.append(f"Points expire {settings.expiry_days} days after they are earned")
    lines.append(
        f"{settings.points_per_currency_unit} points take £1 off a bill, from"
        f" {settings.min_redeem_points} points, for up to {settings.max_bill_percent}% of it"
    )
    return lines
