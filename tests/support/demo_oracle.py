"""What the demo feed should make of the loyalty list and of the clients' points.

The oracle of the demo tests: it replays ``starcard demo``'s feed through ``ClientLoyalty`` in
memory, validating each record against the event contract first as the service does, so the
pipeline's list can be compared with what the domain's own rules say. The points are computed
apart from ``PointsAccount``, from the programme's rules as a clinic reads them, so that the
pipeline's balances are checked against arithmetic the points code does not share.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from starcard_cli.demo import DemoFeed
from starcard_events import (
    AppointmentCompleted,
    AppointmentRefunded,
    BookingCancelled,
    BookingTopicEvent,
    ClientRegistered,
    ClientUpdated,
    Money,
    OrderRefunded,
    ProductPurchased,
    parse_booking_event,
)
from starcard_loyalty.api import PointsSettings, TierSettings
from starcard_loyalty.domain import ClientLoyalty, CountingRules
from starcard_loyalty.domain.codes import loyalty_code
from starcard_loyalty.domain.tier_settings import months_after
from starcard_loyalty.handlers import appointment_from


@dataclass(frozen=True)
class ExpectedClient:
    """One row of the most-loyal list as the loyalty domain computes it from the feed."""

    client_id: str
    stars: int
    sessions: int
    milestones_reached: int


def expected_loyalty(feed: DemoFeed, rules: CountingRules) -> list[ExpectedClient]:
    """The most-loyal list the feed should produce, most loyal first, computed by replaying it
    through the loyalty domain (``ClientLoyalty``) under ``rules``, in memory.

    Every record is first validated against the event contract, as the service does.
    """
    records: dict[str, ClientLoyalty] = {}
    # Codes only matter to the service; any generator will do for counting.
    new_code = partial(loyalty_code, random.Random(0).choice)

    def record_of(client_id: str) -> ClientLoyalty:
        if client_id not in records:
            records[client_id] = ClientLoyalty(tenant_id=feed.tenant_id, client_id=client_id)
        return records[client_id]

    for _, value in feed.records():
        event = parse_booking_event(value)
        match event:
            case AppointmentCompleted():
                record_of(event.data.client_id).record_appointment(
                    appointment_from(event), rules, new_code
                )
            case BookingCancelled():
                record_of(event.data.client_id).record_cancellation(
                    event.data.booking_id, event.occurred_at
                )
            case ClientRegistered() | ClientUpdated():
                record_of(event.data.client_id).update_labels(
                    any(label.is_discount for label in event.data.labels), event.occurred_at
                )
            case _:  # BookingCreated, ClientCheckedIn: nothing to count
                pass
    expected = [
        ExpectedClient(client_id, record.stars(rules), record.sessions(), len(record.reached))
        for client_id, record in records.items()
    ]
    expected.sort(key=lambda row: (-row.stars, -row.sessions, row.client_id))
    return expected


@dataclass
class _Line:
    """What one booking or order line paid and earned, and what refunds gave back of it."""

    client_id: str
    paid_minor: int
    earned: int = 0
    refunded_minor: int = 0
    refunded_whole: bool = False

    def balance(self) -> int:
        """What it earned less what its refunds took back: all of it for a whole refund, else
        the share refunded of what it earned, rounded down."""
        if self.refunded_whole:
            return 0
        if not self.paid_minor:
            return self.earned
        refunded = min(self.refunded_minor, self.paid_minor)
        return self.earned - self.earned * refunded // self.paid_minor


def expected_points(feed: DemoFeed, settings: PointsSettings) -> dict[str, int]:
    """Each client's points balance once the feed is processed (clients with no points left
    out), from the rules as the clinic sets them, for a feed in pounds:

    - a treatment paid by an earning method earns its price at its category's rate (the
      treatment rate for any other), and a retail line its amount at the retail rate, each
      rounded down to whole points;
    - a completion that earned points, within ``rebook_within_days`` after another visit of the
      client (not a back-to-back part of its own visit), earns the rebooking bonus on the same
      booking, once per visit (its first part that earned);
    - a refund takes back what its booking or line earned, bonus included, in proportion to the
      amount refunded (rounded down), or all of it for a whole refund.

    Nothing expires within the feed: it is shorter than the programme's expiry.
    """
    ledger = _Ledger(settings)
    for _, value in feed.records():
        ledger.apply(parse_booking_event(value))
    return ledger.balances()


class _Ledger:
    def __init__(self, settings: PointsSettings) -> None:
        self.settings = settings
        self.lines: dict[str, _Line] = {}
        self.visits: dict[str, list[tuple[datetime, str, str]]] = defaultdict(list)

    def apply(self, event: BookingTopicEvent) -> None:
        match event:
            case AppointmentCompleted():
                data = event.data
                category = (data.service.category or "").casefold()
                rate = self.settings.category_rates.get(category, self.settings.treatment_rate)
                self.earn(
                    f"booking:{data.booking_id}",
                    data.client_id,
                    data.price.amount_minor,
                    data.payment_method.value,
                    rate,
                )
                group = data.back_to_back_group
                visit = f"b2b:{group}" if group else data.booking_id
                self.visits[data.client_id].append((event.occurred_at, data.booking_id, visit))
            case ProductPurchased():
                for line in event.data.lines:
                    self.earn(
                        f"order:{event.data.order_id}:{line.sku}",
                        event.data.client_id,
                        line.amount_paid.amount_minor,
                        event.data.payment_method.value,
                        self.settings.retail_rate,
                    )
            case AppointmentRefunded():
                self.refund(f"booking:{event.data.booking_id}", event.data.amount)
            case OrderRefunded():
                order = f"order:{event.data.order_id}"
                if event.data.lines is None:
                    for source in [each for each in self.lines if each.startswith(f"{order}:")]:
                        self.refund(source, None)
                for refunded in event.data.lines or []:
                    self.refund(f"{order}:{refunded.sku}", refunded.amount)
            case _:
                pass

    def earn(
        self, source: str, client_id: str, amount_minor: int, payment_method: str, rate: int
    ) -> None:
        paid = amount_minor if payment_method in self.settings.earning_payment_methods else 0
        self.lines[source] = _Line(client_id, amount_minor, paid * rate // (100 * 100))

    def refund(self, source: str, amount: Money | None) -> None:
        line = self.lines[source]
        if amount is None:
            line.refunded_whole = True
        else:
            line.refunded_minor += amount.amount_minor

    def balances(self) -> dict[str, int]:
        window = timedelta(days=self.settings.rebook_within_days or 0)
        for client_visits in self.visits.values():
            rewarded: set[str] = set()
            for at, booking_id, visit in client_visits:
                line = self.lines[f"booking:{booking_id}"]
                if (
                    window
                    and visit not in rewarded
                    and line.earned
                    and any(
                        at - window <= other < at and other_visit != visit
                        for other, _, other_visit in client_visits
                    )
                ):
                    line.earned += self.settings.rebook_bonus_points
                    rewarded.add(visit)
        balances: dict[str, int] = defaultdict(int)
        for line in self.lines.values():
            balances[line.client_id] += line.balance()
        return {client_id: points for client_id, points in balances.items() if points}


def expected_tiers(feed: DemoFeed, settings: TierSettings) -> dict[str, str]:
    """Each client's tier once the feed is processed (clients in the first tier left out), for
    tiers that drop straight to the tier the spend matches, keep no tier longer than the spend
    does and need their entry threshold to stay: the tier whose threshold the client's spend in
    the 12 months before their last event reaches. Spend is what the client paid for treatments
    (not from a package, points or referral credit) and retail, less what was refunded; a
    purchase leaves the window on the same day a year on."""
    paid: dict[str, tuple[str, int, datetime]] = {}
    refunded: dict[str, int] = defaultdict(int)
    last: dict[str, datetime] = {}
    for _, value in feed.records():
        event = parse_booking_event(value)
        client = event.data.client_id
        last[client] = max(last.get(client, event.occurred_at), event.occurred_at)
        match event:
            case AppointmentCompleted() if event.data.payment_method.value not in {
                "package",
                "points",
                "credit",
            }:
                source = f"booking:{event.data.booking_id}"
                paid[source] = (client, event.data.price.amount_minor, event.occurred_at)
            case ProductPurchased():
                for line in event.data.lines:
                    source = f"order:{event.data.order_id}:{line.sku}"
                    paid[source] = (client, line.amount_paid.amount_minor, event.occurred_at)
            case AppointmentRefunded():
                source = f"booking:{event.data.booking_id}"
                amount = event.data.amount
                refunded[source] += paid[source][1] if amount is None else amount.amount_minor
            case OrderRefunded():
                order = f"order:{event.data.order_id}:"
                named = {each.sku: each.amount for each in event.data.lines or []}
                for source in [each for each in paid if each.startswith(order)]:
                    sku = source.removeprefix(order)
                    if event.data.lines is not None and sku not in named:
                        continue
                    given = named.get(sku)
                    refunded[source] += paid[source][1] if given is None else given.amount_minor
            case _:
                pass
    spend: dict[str, int] = defaultdict(int)
    for source, (client, paid_minor, at) in paid.items():
        if last[client].date() < months_after(at.date(), settings.window_months):
            spend[client] += paid_minor - min(paid_minor, refunded[source])
    tiers = {
        client: settings.tiers[settings.tier_for(total)].tier_id for client, total in spend.items()
    }
    return {client: tier for client, tier in tiers.items() if tier != settings.tiers[0].tier_id}
