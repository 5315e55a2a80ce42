"""What the demo feed should make of the loyalty list, the clients' points, tiers and packages,
and their birthday rewards.

The oracle of the demo tests: it replays ``starcard demo``'s feed through ``ClientLoyalty`` in
memory, validating each record against the event contract first as the service does, so the
pipeline's list can be compared with what the domain's own rules say. The points, tiers and
package balances are computed apart from ``PointsAccount``, ``Membership`` and
``PackageHoldings``, and the birthday rewards apart from the campaigns' birthday rules, from the
programme's rules as a clinic reads them, so that the pipeline's figures are checked against
arithmetic the domain code does not share.
"""

from __future__ import annotations

import calendar
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import partial

from starcard_campaigns.api import BirthdaySettings
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
    PackagePurchased,
    ProductPurchased,
    parse_booking_event,
)
from starcard_loyalty.api import PackageSettings, PointsSettings, TierSettings
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


def expected_points(
    feed: DemoFeed, settings: PointsSettings, packages: PackageSettings
) -> dict[str, int]:
    """Each client's points balance once the feed is processed (clients with no points left
    out), from the rules as the clinic sets them, for a feed in pounds:

    - a treatment paid by an earning method earns its price at its category's rate (the
      treatment rate for any other), and a retail line its amount at the retail rate, each
      rounded down to whole points;
    - a catalogue package (of `packages`) bought by an earning method earns its price at the
      rate of the first category it covers, and the package bonus;
    - a completion that earned points, within ``rebook_within_days`` after another visit of the
      client (not a back-to-back part of its own visit), earns the rebooking bonus on the same
      booking, once per visit (its first part that earned);
    - a refund takes back what its booking or line earned, bonus included, in proportion to the
      amount refunded (rounded down), or all of it for a whole refund.

    Nothing expires within the feed: it is shorter than the programme's expiry.
    """
    ledger = _Ledger(settings, packages)
    for _, value in feed.records():
        ledger.apply(parse_booking_event(value))
    return ledger.balances()


class _Ledger:
    def __init__(self, settings: PointsSettings, packages: PackageSettings) -> None:
        self.settings = settings
        self.packages = packages
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
            case PackagePurchased():
                self.buy(event)
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

    def buy(self, event: PackagePurchased) -> None:
        data = event.data
        package = self.packages.package(str(data.package_id))
        assert package is not None, "the demo sells catalogue packages only"
        category = package.terms.categories[0] if package.terms.categories else ""
        source = f"package:{data.purchase_id}"
        method = data.payment_method.value
        rate = self.settings.category_rates.get(category, self.settings.treatment_rate)
        self.earn(source, data.client_id, data.price_paid.amount_minor, method, rate)
        if self.lines[source].earned:
            bonus = package.terms.bonus_points
            self.lines[source].earned += (
                self.settings.package_bonus_points if bonus is None else bonus
            )

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
    (not from a package, points or referral credit), retail and packages, less what was
    refunded; a purchase leaves the window on the same day a year on."""
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
            case PackagePurchased():
                source = f"package:{event.data.purchase_id}"
                paid[source] = (client, event.data.price_paid.amount_minor, event.occurred_at)
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


@dataclass(frozen=True)
class ExpectedPackage:
    """One package of a client as the clinic should see it."""

    name: str
    used: int
    left: int
    closed: int
    """Sessions that expired unused."""
    status: str
    deferred_minor: int
    """The price received for the sessions not delivered: price x left / sessions, half up."""


@dataclass
class ExpectedHoldings:
    """A client's packages, the package-paid visits none paid for, the expiry reminders."""

    packages: list[ExpectedPackage] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    """Booking ids."""
    reminded: set[tuple[str, str]] = field(default_factory=set)
    """``(purchase id, expiry day)``."""


@dataclass
class _Held:
    purchase_id: str
    name: str
    covers: frozenset[str]
    sessions: int
    price_minor: int
    bought_on: date
    expires_on: date | None
    used: list[str] = field(default_factory=list)


def expected_packages(
    feed: DemoFeed, packages: PackageSettings, ticks: Sequence[date]
) -> dict[str, ExpectedHoldings]:
    """Each client's packages once the feed is processed and the clock has ticked each day of
    `ticks` after it (clients with no package and no package-paid visit left out), from the
    rules as a clinic reads them, for catalogue packages that cover categories and are valid
    from purchase:

    - a package is on hand from the start of the day it is bought;
    - a completion paid from a package uses a session of the client's package that covers its
      category, is on hand, has not expired and has a session left, the one expiring soonest
      first; with none, it needs attention;
    - sessions left expire on their expiry day (once the clock ticked it): none is left, those
      are closed and nothing is owed for them;
    - a tick from `reminder_days` before the expiry day, and before it, reminds the client of a
      package that has sessions left, once.
    """
    moments: list[tuple[datetime, int, BookingTopicEvent]] = []
    for _, value in feed.records():
        event = parse_booking_event(value)
        match event:
            case PackagePurchased():
                start = datetime.combine(event.occurred_at.date(), time(0), tzinfo=UTC)
                moments.append((start, 0, event))
            case AppointmentCompleted() if event.data.payment_method.value == "package":
                moments.append((event.occurred_at, 1, event))
            case _:
                pass
    moments.sort(key=lambda moment: (moment[0], moment[1]))
    held: dict[str, list[_Held]] = defaultdict(list)
    result: dict[str, ExpectedHoldings] = defaultdict(ExpectedHoldings)
    for at, _, event in moments:
        client = event.data.client_id
        match event:
            case PackagePurchased():
                package = packages.package(str(event.data.package_id))
                assert package is not None, "the demo sells catalogue packages only"
                terms, day = package.terms, at.date()
                days = terms.validity_days
                held[client].append(
                    _Held(
                        event.data.purchase_id,
                        terms.name,
                        frozenset(each.casefold() for each in terms.categories),
                        terms.sessions,
                        event.data.price_paid.amount_minor,
                        day,
                        None if days is None else day + timedelta(days=days),
                    )
                )
            case AppointmentCompleted():
                day = at.date()
                category = (event.data.service.category or "").casefold()
                usable = [
                    each
                    for each in held[client]
                    if category in each.covers
                    and each.bought_on <= day
                    and len(each.used) < each.sessions
                    and (each.expires_on is None or day < each.expires_on)
                ]
                if not usable:
                    result[client].unmatched.append(event.data.booking_id)
                    continue
                chosen = min(usable, key=lambda each: (each.expires_on or date.max, each.bought_on))
                chosen.used.append(event.data.booking_id)
            case _:
                pass
    through = max(ticks)
    for client, packages_held in held.items():
        for each in packages_held:
            left = each.sessions - len(each.used)
            expired = left and each.expires_on is not None and through >= each.expires_on
            status = "expired" if expired else "active" if left else "used_up"
            deferred = 0 if expired else _half_up(each.price_minor * left, each.sessions)
            result[client].packages.append(
                ExpectedPackage(
                    each.name,
                    len(each.used),
                    0 if expired else left,
                    left if expired else 0,
                    status,
                    deferred,
                )
            )
            reminder = packages.reminder_days
            if (
                left
                and each.expires_on is not None
                and reminder is not None
                and any(
                    each.expires_on - timedelta(days=reminder) <= day < each.expires_on
                    for day in ticks
                )
            ):
                result[client].reminded.add((each.purchase_id, each.expires_on.isoformat()))
    return dict(result)


def _half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


@dataclass(frozen=True)
class ExpectedBirthdayReward:
    """A client's birthday reward of one year as the clinic should see it."""

    year: int
    celebrated_on: date
    discount_percent: int
    issued_at: datetime
    expires_at: datetime


def expected_birthday_rewards(
    feed: DemoFeed, settings: BirthdaySettings, ticks: Sequence[date]
) -> dict[str, list[ExpectedBirthdayReward]]:
    """Each client's birthday rewards once the feed is processed and the clock has ticked each
    day of `ticks` after it (clients with none left out), from the campaign as a clinic reads it:

    - a client's birthday is the one of their latest record (registered or updated);
    - a tick rewards a client whose birthday is celebrated on its day or one of the
      `days_before` days after it: on its day of the year, or 28 February for a 29 February
      birthday in a year without one;
    - once per client and year of the celebration, at the tick's midnight (UTC), valid
      `valid_days` from then.
    """
    birthdays: dict[str, tuple[int, int]] = {}
    for _, value in feed.records():
        event = parse_booking_event(value)
        if isinstance(event, ClientRegistered | ClientUpdated):
            birthday = event.data.birthday
            if birthday is None:
                birthdays.pop(event.data.client_id, None)
            else:
                birthdays[event.data.client_id] = (birthday.month, birthday.day)
    if not settings.enabled:
        return {}
    rewards: dict[str, dict[int, ExpectedBirthdayReward]] = defaultdict(dict)
    for tick in ticks:
        issued_at = datetime.combine(tick, time(0), tzinfo=UTC)
        for offset in range(settings.days_before + 1):
            day = tick + timedelta(days=offset)
            for client, born in sorted(birthdays.items()):
                leap_day_on_28th = (
                    born == (2, 29)
                    and (day.month, day.day) == (2, 28)
                    and not calendar.isleap(day.year)
                )
                celebrated = born == (day.month, day.day) or leap_day_on_28th
                if celebrated and day.year not in rewards[client]:
                    rewards[client][day.year] = ExpectedBirthdayReward(
                        day.year,
                        day,
                        settings.discount_percent,
                        issued_at,
                        issued_at + timedelta(days=settings.valid_days),
                    )
    return {
        client: [held[year] for year in sorted(held)] for client, held in rewards.items() if held
    }
