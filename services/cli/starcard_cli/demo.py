"""``starcard demo``: a demo tenant, its milestones and points, and a realistic booking feed on
Kafka.

The feed is what a booking platform would publish for a small massage studio and clinic over a
few months: clients registering (a few with a VIP / Friend / Staff label discount), bookings made,
mostly completed at full price, some discounted, paid from a membership or a package, priced down
by hand, booked back to back, or cancelled; some visits are facials, injectables or laser
sessions, some clients buy products on the way out, and a product and a treatment are refunded
(``points_demo``); the clients paying from a package bought one, one package nears its expiry
and one package-paid visit has no package (``packages_demo``); a few clients have a birthday,
two of them rewarded by the demo's clock ticks (``campaigns_demo``). Everything in it follows
from ``--seed``: the booking ids, the event ids and the times, so a second run publishes the very
same records again, and the services count each of them once.

The pieces are separate so that the tests can use them without the command: :func:`build_feed`
makes the records and :func:`publish_feed` sends them; what the loyalty domain's own rules make
of them is the tests' business (``tests/support/demo_oracle.py``).
"""

from __future__ import annotations

import asyncio
import os
import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID, uuid5

import psycopg
import typer
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from rich.console import Console
from rich.table import Table
from starcard_campaigns.api import SCHEMA as CAMPAIGNS_SCHEMA
from starcard_campaigns.api import BirthdaySettings, CampaignsService
from starcard_events import (
    examples,
)
from starcard_events.topics import BOOKING_EVENTS, CLOCK, booking_key
from starcard_gateway.resources import open_resources
from starcard_gateway.settings import GatewaySettings
from starcard_gateway.tenants import TenantError, TenantExists
from starcard_loyalty.api import SCHEMA as LOYALTY_SCHEMA
from starcard_loyalty.api import (
    CountingRules,
    DuplicateMilestone,
    LoyaltyService,
    Milestone,
    PackageSettings,
    PointsSettings,
    TierSettings,
)
from starcard_referrals.api import SCHEMA as REFERRALS_SCHEMA
from starcard_referrals.api import ReferralsService
from starcard_runtime.batching import BatchApplication
from starcard_runtime.clock import tick
from starcard_runtime.service import build_application
from starcard_runtime.settings import RuntimeSettings

from starcard_cli.campaigns_demo import (
    add_demo_birthdays,
    birthday_feed_line,
    birthday_lines,
    birthday_of,
    phone_of,
)
from starcard_cli.packages_demo import (
    FACIAL_EXPIRES_AFTER_END,
    PackageFeed,
    PackageSummary,
    add_demo_packages,
    package_feed_lines,
    package_lines,
)
from starcard_cli.points_demo import (
    ClinicFeed,
    ClinicSummary,
    Treatment,
    add_demo_points,
    points_lines,
    points_table,
)
from starcard_cli.referral_demo import ReferralFeed, build_referral_feed, prepare_referrals
from starcard_cli.tiers_demo import add_demo_tiers, tier_lines

DEMO_TENANT_ID = "serenity-massage"
DEMO_TENANT_NAME = "Serenity Massage"
DEFAULT_CLIENTS = 40
DEFAULT_MONTHS = 6
DEFAULT_SEED = 7
MAX_MONTHS = 36

FEED_ENDS = datetime(2026, 11, 2, tzinfo=UTC)
"""The feed's last day. Fixed, not today, so that a re-run publishes the same times as well."""
POINTS_SINCE = FEED_ENDS - timedelta(days=round(MAX_MONTHS * 365.25 / 12) + 31)
"""When the demo's points programme (and its tiers and packages) take effect: before the longest
feed's first record."""
REMINDER_DAY = FEED_ENDS.date()
"""The feed's last day, whose tick reminds the client whose Facial x3 expires ten days later."""
EXPIRY_DAY = REMINDER_DAY + FACIAL_EXPIRES_AFTER_END
"""The day that Facial x3's unused session expires, whose tick closes it."""
TICK_DAYS = (REMINDER_DAY, EXPIRY_DAY)
"""The days whose clock ticks the demo publishes once the feed is in, in this order. Nothing
else of the default feed falls due on either but the two birthdays meant to (``campaigns_demo``):
its reward codes, points and tier spend all last a year from visits made since May 2026, and its
other packages run out in 2027. Fixed, not today, so the mailbox holds the same emails whatever
today is (the scheduler's own tick of today went out before the demo tenant existed)."""
TICK_WAIT_SECONDS = 180
"""How long the demo waits for the loyalty and campaigns services to take in the feed before it
ticks."""

EVENT_ID_NAMESPACE = UUID("4b0c6f3e-8a52-4d0e-9c3b-5f1e7d2a9c61")
"""Event ids are uuid5 of this and what the event is about: a re-sent event keeps its id."""

CURRENCY = "GBP"
LIST_PRICES = {30: 3500, 60: 6000, 90: 8500}
SERVICES = {
    30: ("Back and shoulders massage",),
    60: ("Swedish massage", "Deep tissue massage"),
    90: ("Hot stone massage", "Deep tissue massage"),
}
THERAPISTS = ("therapist-amara", "therapist-ben", "therapist-chloe")
LABELS: tuple[dict[str, Any], ...] = (
    {"name": "VIP", "percentage": "10", "amount": None},
    {"name": "Friend", "percentage": "15", "amount": None},
    {"name": "Staff", "percentage": "50", "amount": None},
)
FIRST_NAMES = (
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Isabella", "Rosie", "Sophia",
    "Grace", "Freya", "Ella", "Evie", "Poppy", "Noah", "Oliver", "George", "Arthur", "Leo",
    "Harry", "Oscar", "Archie", "Henry", "Theo", "Jack", "Charlie", "Finley", "Alfie", "Freddie",
    "Priya", "Aisha", "Zara", "Hannah", "Chloe", "Maya", "Nia", "Sienna", "Ruby", "Layla",
)  # fmt: skip


@dataclass(frozen=True)
class DemoMilestone:
    session_count: int
    message: str
    discount_percent: int | None
    min_minutes: int


DEMO_MILESTONES = (
    DemoMilestone(5, "Thank you for your 5th visit!", 10, 0),
    DemoMilestone(10, "Ten full hours of looking after yourself", 25, 60),
)


@dataclass(frozen=True)
class Category:
    """One kind of visit in the feed, and whether the default counting rules give it a star."""

    label: str
    counts: bool
    why: str


FULL_PRICE = Category("Full price, 60 or 90 min", True, "a star")
SHORT = Category("Full price, 30 min", True, "a star, not toward 60+ min")
BACK_TO_BACK = Category("Back to back, 2nd discounted", True, "one visit, lengths summed")
ECO = Category("Eco discount", False, "discounted")
PROMO = Category("Promo code", False, "discounted")
MEMBERSHIP = Category("Membership credit", False, "pre-paid membership")
PACKAGE = Category("Treatment package", False, "pre-paid package")
PRICED_DOWN = Category("Priced down by hand", False, "below the list price")
LABELLED = Category("Client with a label discount", False, "VIP, Friend, Staff")
CANCELLED = Category("Cancelled before the day", False, "not a visit")
CATEGORIES = (
    FULL_PRICE,
    SHORT,
    BACK_TO_BACK,
    ECO,
    PROMO,
    MEMBERSHIP,
    PACKAGE,
    PRICED_DOWN,
    LABELLED,
    CANCELLED,
)

CLINIC_KINDS = (FULL_PRICE, ECO, PROMO, PRICED_DOWN, CANCELLED)
"""The visits that may be a clinic treatment instead of a massage (memberships, packages and
back-to-back add-ons are massages)."""

# How an ordinary client's bookings go, and how a member's (who pays mostly with credits) do.
USUAL_KINDS = (FULL_PRICE, BACK_TO_BACK, ECO, PROMO, MEMBERSHIP, PACKAGE, PRICED_DOWN, CANCELLED)
USUAL_WEIGHTS = (76, 4, 5, 5, 1, 3, 3, 3)
MEMBER_WEIGHTS = (22, 0, 1, 1, 70, 0, 2, 4)
CADENCES = (7, 7, 10, 14, 14, 14, 21, 21, 28, 30, 35)
"""Days between a client's visits: weekly regulars to monthly ones."""


@dataclass
class DemoFeed:
    """The records of one demo feed, in the order they are published (by ``occurred_at``)."""

    tenant_id: str
    seed: int
    months: int
    clients: list[str]
    events: list[dict[str, Any]]
    visits: Counter[Category] = field(default_factory=Counter)
    """Visits per category (a back-to-back pair is one visit; a cancellation is a booking)."""
    clinic: ClinicSummary = field(default_factory=ClinicSummary)
    """The treatments by category, the retail orders and the refunds."""
    packages: PackageSummary = field(default_factory=PackageSummary)
    """Who bought which package, the one expiring soon, the visits no package pays for."""

    def records(self) -> list[tuple[bytes, bytes]]:
        """``(key, value)`` of each record, keyed ``tenant_id:client_id`` as the contract asks."""
        return [
            (booking_key(self.tenant_id, event["data"]["client_id"]), examples.encode(event))
            for event in self.events
        ]

    def event_types(self) -> Counter[str]:
        return Counter(event["type"] for event in self.events)

    @property
    def visits_that_count(self) -> int:
        """Stars the feed should earn in all under the default rules, from its own spec."""
        return sum(n for category, n in self.visits.items() if category.counts)


# -- building the feed ---------------------------------------------------------------------


class _FeedBuilder:
    def __init__(self, tenant_id: str, clients: int, months: int, seed: int) -> None:
        self.tenant_id = tenant_id
        self.seed = seed
        self.rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
        self.days = round(months * 365.25 / 12)
        self.starts = FEED_ENDS - timedelta(days=self.days)
        self.width = max(2, len(str(clients)))
        self.count = clients
        self.months = months
        self.timed: list[tuple[datetime, int, dict[str, Any]]] = []
        self.visits: Counter[Category] = Counter()
        self.clinic = ClinicFeed(tenant_id, seed, CURRENCY)
        self.packages = PackageFeed(tenant_id, seed, CURRENCY)

    def add(self, occurred_at: datetime, event: dict[str, Any], about: str) -> None:
        event["event_id"] = str(
            uuid5(EVENT_ID_NAMESPACE, f"{self.tenant_id}:{self.seed}:{event['type']}:{about}")
        )
        self.timed.append((occurred_at, len(self.timed), event))

    def build(self) -> DemoFeed:
        clients = [f"client{n:0{self.width}d}" for n in range(1, self.count + 1)]
        labelled = set(self.rng.sample(range(self.count), k=max(1, self.count // 12)))
        members = set(self.rng.sample(range(self.count), k=self.count // 10)) - labelled
        labels = {index: LABELS[n % len(LABELS)] for n, index in enumerate(sorted(labelled))}
        for index, client_id in enumerate(clients):
            self.client(index, client_id, label=labels.get(index), member=index in members)
        for occurred_at, event, about in self.clinic.refunds(FEED_ENDS):
            self.add(occurred_at, event, about)
        self.add_packages(clients)
        self.timed.sort(key=lambda timed: (timed[0], timed[1]))
        return DemoFeed(
            tenant_id=self.tenant_id,
            seed=self.seed,
            months=self.months,
            clients=clients,
            events=[event for _, _, event in self.timed],
            visits=self.visits,
            clinic=self.clinic.summary,
            packages=self.packages.summary,
        )

    def add_packages(self, clients: list[str]) -> None:
        """The packages the package-paid visits came from, and a Facial x3 nearing its expiry
        (its two visits are package visits of the feed, and facials of the clinic's)."""
        events = [event for _, _, event in self.timed]
        timed = self.packages.purchases(events)
        timed += self.packages.expiring(events, clients, FEED_ENDS)
        for occurred_at, event, about in timed:
            self.add(occurred_at, event, about)
        facials = self.packages.summary.facial_visits
        self.visits[PACKAGE] += facials
        self.clinic.summary.treatments["facials"] += facials

    def client(
        self, index: int, client_id: str, *, label: dict[str, Any] | None, member: bool
    ) -> None:
        rng = self.rng
        # Most clients were there from the start; some joined during the period.
        if rng.random() < 0.7:
            joined = rng.randint(0, self.days // 8)
        else:
            joined = rng.randint(0, self.days * 2 // 3)
        registered_at = self.at(joined - rng.randint(1, 10), rng.randint(8, 20))
        self.add(
            registered_at,
            examples.client_registered(
                self.tenant_id,
                registered_at,
                client_id=client_id,
                email=f"{client_id}@example.test",
                first_name=FIRST_NAMES[index % len(FIRST_NAMES)],
                labels=[label] if label else [],
                birthday=birthday_of(index + 1),
                phone=phone_of(index + 1),
                sms_consent=phone_of(index + 1) is not None,
            ),
            client_id,
        )
        cadence = rng.choice(CADENCES)
        usual_minutes = rng.choices((60, 90, 30), weights=(60, 28, 12))[0]
        weights = MEMBER_WEIGHTS if member else USUAL_WEIGHTS
        day = joined + rng.randint(0, min(cadence, 10))
        number = 0
        while day < self.days:
            number += 1
            minutes = usual_minutes if rng.random() < 0.85 else rng.choice((30, 60, 90))
            kind = rng.choices(USUAL_KINDS, weights=weights)[0]
            starts_at = self.at(day, rng.randint(9, 18), rng.choice((0, 30)))
            booking_id = f"s{self.seed}-{client_id}-v{number:03d}"
            self.visit(
                client_id, booking_id, starts_at, minutes, kind=kind, registered_at=registered_at
            )
            if kind is CANCELLED:
                self.visits[CANCELLED] += 1
            elif label:
                self.visits[LABELLED] += 1
            elif kind is FULL_PRICE and minutes == 30:
                self.visits[SHORT] += 1
            else:
                self.visits[kind] += 1
            # Now and then a client skips a visit (a holiday, a busy month).
            day += max(4, cadence + rng.randint(-2, 3)) + (cadence if rng.random() < 0.08 else 0)

    def at(self, day: int, hour: int, minute: int = 0) -> datetime:
        return self.starts + timedelta(days=day, hours=hour, minutes=minute)

    def visit(
        self,
        client_id: str,
        booking_id: str,
        starts_at: datetime,
        minutes: int,
        *,
        kind: Category,
        registered_at: datetime,
    ) -> None:
        rng = self.rng
        if kind is BACK_TO_BACK:
            # A 60 or 90 min massage at full price, then a 30 min one at the back-to-back price:
            # one visit, whose length is the sum of its parts.
            minutes = 90 if minutes == 90 else 60
            group = f"{booking_id}-pair"
            self.booking(client_id, booking_id, starts_at, minutes, registered_at, group=group)
            second = starts_at + timedelta(minutes=minutes)
            self.booking(
                client_id,
                f"{booking_id}b",
                second,
                30,
                registered_at,
                group=group,
                price_minor=LIST_PRICES[30] - 500,
                discounts=[examples.discount("back_to_back", 500, CURRENCY)],
            )
            return
        treatment = self.clinic.treatment(minutes) if kind in CLINIC_KINDS else None
        list_price = treatment.list_price_minor if treatment else LIST_PRICES[minutes]
        details: dict[str, Any] = {}
        if kind is ECO:
            off = list_price // 10
            details = {
                "price_minor": list_price - off,
                "discounts": [examples.discount("eco", off, CURRENCY)],
            }
        elif kind is PROMO:
            details = {
                "price_minor": list_price - 1000,
                "discounts": [
                    {**examples.discount("promo_code", 1000, CURRENCY), "code": "CALM10"}
                ],
            }
        elif kind in (MEMBERSHIP, PACKAGE):
            method = "membership_credit" if kind is MEMBERSHIP else "package"
            details = {
                "price_minor": 0,
                "payment_method": method,
                "discounts": [examples.discount(method, list_price, CURRENCY)],
            }
        elif kind is PRICED_DOWN:
            details = {"price_minor": list_price - rng.choice((500, 1000, 1500))}
        elif kind is FULL_PRICE:
            details = {"payment_method": rng.choices(("card", "cash"), weights=(9, 1))[0]}
        self.booking(
            client_id,
            booking_id,
            starts_at,
            minutes,
            registered_at,
            cancelled=kind is CANCELLED,
            treatment=treatment,
            **details,
        )

    def booking(
        self,
        client_id: str,
        booking_id: str,
        starts_at: datetime,
        minutes: int,
        registered_at: datetime,
        *,
        cancelled: bool = False,
        group: str | None = None,
        treatment: Treatment | None = None,
        **details: Any,
    ) -> None:
        """A booking made some days ahead, then completed when it ends, or cancelled before."""
        rng = self.rng
        # Drawn for a clinic treatment too, so that the massages' random stream stays the same.
        service_name = rng.choice(SERVICES[minutes])
        list_price = LIST_PRICES[minutes]
        category = "massage"
        if treatment is not None:
            service_name, category = treatment.name, treatment.category
            list_price = treatment.list_price_minor
        booked = dict(
            booking_id=booking_id,
            client_id=client_id,
            starts_at=starts_at,
            minutes=minutes,
            list_price_minor=list_price,
            currency=CURRENCY,
            back_to_back_group=group,
            provider_id=rng.choice(THERAPISTS),
            service_name=service_name,
            category=category,
            **details,
        )
        booked_at = max(
            starts_at - timedelta(days=rng.randint(1, 14), hours=rng.randint(0, 8)),
            registered_at + timedelta(hours=1),
        )
        self.add(
            booked_at, examples.booking_created(self.tenant_id, booked_at, **booked), booking_id
        )
        if cancelled:
            cancelled_at = max(starts_at - timedelta(hours=rng.randint(2, 30)), booked_at)
            self.add(
                cancelled_at,
                examples.booking_cancelled(
                    self.tenant_id, cancelled_at, booking_id=booking_id, client_id=client_id
                ),
                booking_id,
            )
            return
        completed_at = starts_at + timedelta(minutes=minutes)
        self.add(
            completed_at,
            examples.appointment_completed(self.tenant_id, completed_at, **booked),
            booking_id,
        )
        price = details.get("price_minor", list_price)
        for occurred_at, event, about in self.clinic.completed(
            client_id, booking_id, completed_at, treatment=treatment, price_minor=price
        ):
            self.add(occurred_at, event, about)


def build_feed(
    tenant_id: str = DEMO_TENANT_ID,
    *,
    clients: int = DEFAULT_CLIENTS,
    months: int = DEFAULT_MONTHS,
    seed: int = DEFAULT_SEED,
) -> DemoFeed:
    """The demo feed for ``clients`` clients over the ``months`` months up to :data:`FEED_ENDS`.

    The same arguments always give the same records (ids, times and contents).
    """
    return _FeedBuilder(tenant_id, clients, months, seed).build()


# -- publishing ----------------------------------------------------------------------------


async def publish(
    records: Iterable[tuple[str, bytes, bytes]], bootstrap_servers: str
) -> dict[tuple[str, int], int]:
    """Publish ``(topic, key, value)`` records in order with an idempotent producer; returns
    the last offset written per ``(topic, partition)``."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers, enable_idempotence=True, acks="all"
    )
    try:
        await producer.start()
        sent = [await producer.send(topic, value, key=key) for topic, key, value in records]
        await producer.flush()
        written = await asyncio.gather(*sent)
    finally:
        await producer.stop()
    last: dict[tuple[str, int], int] = {}
    for metadata in written:
        where = (metadata.topic, metadata.partition)
        last[where] = max(last.get(where, -1), metadata.offset)
    return last


async def publish_feed(feed: DemoFeed, bootstrap_servers: str, topic: str) -> dict[int, int]:
    """Publish the feed to `topic`; returns the last offset per partition."""
    last = await publish(((topic, key, value) for key, value in feed.records()), bootstrap_servers)
    return {partition: offset for (_, partition), offset in last.items()}


def add_demo_milestones(loyalty: LoyaltyService, tenant_id: str) -> bool:
    """Add the demo's milestones unless the programme has milestones already; True if added."""
    if loyalty.programme(tenant_id).milestones:
        return False
    for milestone in DEMO_MILESTONES:
        try:
            loyalty.add_milestone(
                tenant_id,
                session_count=milestone.session_count,
                message=milestone.message,
                discount_percent=milestone.discount_percent,
                min_minutes=milestone.min_minutes,
            )
        except DuplicateMilestone:  # another demo run added it at the same moment
            continue
    return True


# -- the command ---------------------------------------------------------------------------

console = Console()
errors = Console(stderr=True)


@dataclass(frozen=True)
class DemoTenant:
    api_key: str
    created: bool
    milestones_added: bool
    milestones: tuple[Milestone, ...]
    rules: CountingRules
    points_added: bool
    points: PointsSettings
    tiers_added: bool
    tiers: TierSettings
    packages_added: bool
    packages: PackageSettings
    birthdays_added: bool
    birthdays: BirthdaySettings


def prepare_tenant(settings: RuntimeSettings) -> DemoTenant:
    """Create the demo tenant (or issue it a new key), add milestones if it has none, switch
    points and tiers on and set the package catalogue if it never set them, and switch birthday
    rewards on if it kept their defaults."""
    with open_resources(settings, pool_size=1) as resources:
        try:
            _, api_key = resources.tenants.create_tenant(DEMO_TENANT_NAME, DEMO_TENANT_ID)
            created = True
        except TenantExists:
            api_key = resources.tenants.issue_key(DEMO_TENANT_ID)
            created = False
        added = add_demo_milestones(resources.loyalty, DEMO_TENANT_ID)
        points_added = add_demo_points(resources.loyalty, DEMO_TENANT_ID, POINTS_SINCE)
        tiers_added = add_demo_tiers(resources.loyalty, DEMO_TENANT_ID, POINTS_SINCE)
        packages_added = add_demo_packages(resources.loyalty, DEMO_TENANT_ID, POINTS_SINCE)
        birthdays_added = add_demo_birthdays(resources.campaigns, DEMO_TENANT_ID, DEMO_TENANT_NAME)
        programme = resources.loyalty.programme(DEMO_TENANT_ID)
        return DemoTenant(
            api_key=api_key,
            created=created,
            milestones_added=added,
            milestones=tuple(programme.active_milestones()),
            rules=programme.rules(),
            points_added=points_added,
            points=programme.points,
            tiers_added=tiers_added,
            tiers=programme.tiers,
            packages_added=packages_added,
            packages=programme.packages,
            birthdays_added=birthdays_added,
            birthdays=resources.campaigns.programme(DEMO_TENANT_ID).birthday,
        )


REFERRALS_START = FEED_ENDS - timedelta(days=30)
"""The demo's referral activity happens in the feed's last month."""


def run_referral_demo(settings: RuntimeSettings, seed: int) -> ReferralFeed:
    """Open and set the demo's referral programme, make the links, publish the referral feed."""
    referrals = build_application(ReferralsService, settings, REFERRALS_SCHEMA)
    try:
        referrals.open_programme(DEMO_TENANT_ID, DEMO_TENANT_NAME)
        links = prepare_referrals(referrals, DEMO_TENANT_ID, REFERRALS_START)
    finally:
        referrals.close()
    feed = build_referral_feed(DEMO_TENANT_ID, links, seed=seed, starts=REFERRALS_START)
    records = [
        (settings.topic(record.topic), record.key, examples.encode(record.event))
        for record in feed.records
    ]
    asyncio.run(publish(records, settings.kafka_bootstrap_servers))
    return feed


def recorded_through(service: BatchApplication, topic: str, last_offsets: dict[int, int]) -> bool:
    """Whether the service has recorded every partition of `topic` up to the offsets."""
    for partition, offset in last_offsets.items():
        tracked = service.tracked_offset(topic, partition)
        if tracked is None or tracked < offset:
            return False
    return True


async def tick_once_the_feed_is_in(
    settings: RuntimeSettings, topic: str, last_offsets: dict[int, int]
) -> bool:
    """Wait (up to :data:`TICK_WAIT_SECONDS`) until the loyalty and campaigns services have
    recorded the feed, then publish the demo tenant's clock ticks of :data:`TICK_DAYS`; False
    if they had not caught up in time (the ticks are published all the same, and may find
    packages not yet bought, birthdays not yet known).

    The ticks go on another topic than the feed, so published at once they could be taken in
    before the purchases and birthdays they are meant to find.
    """
    services: list[BatchApplication] = [
        build_application(LoyaltyService, settings, LOYALTY_SCHEMA),
        build_application(CampaignsService, settings, CAMPAIGNS_SCHEMA),
    ]
    try:
        caught_up = False
        for _ in range(TICK_WAIT_SECONDS):
            caught_up = all(
                [
                    await asyncio.to_thread(recorded_through, service, topic, last_offsets)
                    for service in services
                ]
            )
            if caught_up:
                break
            await asyncio.sleep(1)
    finally:
        for service in services:
            service.close()
    await publish_ticks(settings)
    return caught_up


async def publish_ticks(settings: RuntimeSettings) -> dict[int, int]:
    """Publish the demo tenant's clock ticks of :data:`TICK_DAYS`, in order (one key, so one
    partition keeps it); returns the last offset by partition."""
    last = await publish(
        [
            (
                settings.topic(CLOCK),
                DEMO_TENANT_ID.encode(),
                tick(DEMO_TENANT_ID, day).model_dump_json().encode(),
            )
            for day in TICK_DAYS
        ],
        settings.kafka_bootstrap_servers,
    )
    return {partition: offset for (_, partition), offset in last.items()}


def _milestone_line(milestone: Milestone) -> str:
    length = f" of {milestone.min_minutes}+ min" if milestone.min_minutes else ""
    reward = f", {milestone.discount_percent}% off" if milestone.discount_percent else ""
    return f"  visit {milestone.session_count}{length}: “{milestone.message}”{reward}"


def feed_table(feed: DemoFeed, rules: CountingRules) -> Table:
    counted = "counts" if not rules.count_discounted else "counts (toggle off)"
    table = Table("what happened", "visits", counted, "why", title="The feed")
    for category in CATEGORIES:
        table.add_row(
            category.label,
            str(feed.visits[category]),
            "[green]yes[/green]" if category.counts else "[dim]no[/dim]",
            category.why,
        )
    return table


def print_settings(
    name: str,
    lines: list[str] | None,
    *,
    added: bool,
    on: str = "switched on",
    off: str = "switched off by the clinic (kept as they were)",
) -> None:
    """A capability's settings as the demo leaves them, a line each; `lines` None: the clinic
    has it off (`off` says how)."""
    if lines is None:
        console.print(f"{name}: {off}.")
        return
    console.print(f"{name} " + (f"{on}:" if added else "(kept as they were):"))
    for line in lines:
        console.print(f"  {line}", highlight=False)


def print_tenant_settings(tenant: DemoTenant) -> None:
    """The points, tiers and packages of the demo tenant."""
    print_settings(
        "Points",
        points_lines(tenant.points) if tenant.points.enabled else None,
        added=tenant.points_added,
    )
    print_settings(
        "Tiers",
        tier_lines(tenant.tiers) if tenant.tiers.enabled else None,
        added=tenant.tiers_added,
    )
    print_settings(
        "Packages",
        package_lines(tenant.packages) if tenant.packages.catalogue else None,
        added=tenant.packages_added,
        on="on sale",
        off="none on sale (kept as the clinic set them)",
    )
    print_settings(
        "Birthday rewards",
        birthday_lines(tenant.birthdays) if tenant.birthdays.enabled else None,
        added=tenant.birthdays_added,
    )


def print_points_feed(feed: DemoFeed, settings: PointsSettings) -> None:
    console.print(points_table(feed.clinic, settings))
    if feed.clinic.refunds:
        console.print(
            "Refunds take back the points of what they refund, in proportion: "
            + "; ".join(feed.clinic.refunds)
            + ".",
            highlight=False,
        )


def gateway_url() -> str:
    settings = GatewaySettings()
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host  # noqa: S104
    return f"http://{host}:{settings.port}"


def write_key_file(path: Path, api_key: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(api_key + "\n")


def demo(
    clients: Annotated[
        int, typer.Option(min=1, max=999, help="How many clients the studio has.")
    ] = DEFAULT_CLIENTS,
    months: Annotated[
        int,
        typer.Option(min=1, max=MAX_MONTHS, help="How many months of history, up to 2026-11-02."),
    ] = DEFAULT_MONTHS,
    seed: Annotated[
        int,
        typer.Option(
            help="Seed of the feed: the same seed publishes the same records (same ids) again;"
            " another seed publishes another history for the same clients, which adds up."
        ),
    ] = DEFAULT_SEED,
    key_file: Annotated[
        Path | None,
        typer.Option(help="Also write the new API key to this file (mode 600), for scripts."),
    ] = None,
) -> None:
    """Create the demo tenant (Serenity Massage) and publish a realistic booking feed for it.

    The tenant is made as `starcard tenants create` makes one; if it exists, it gets a new key.

    Milestones are added if it has none; its points programme and its tiers are switched on, and
    its package catalogue set, if it never set them; its birthday rewards are switched on if it
    kept their defaults.

    The feed goes to booking.events.v1 (after STARCARD_TOPIC_PREFIX) for the loyalty and
    campaigns services; once they have taken it in, the clock ticks of the feed's last day and of
    a package's expiry day ten days later go to starcard.clock.v1.
    """
    settings = RuntimeSettings()
    try:
        tenant = prepare_tenant(settings)
    except (TenantError, psycopg.Error) as exc:
        errors.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from exc

    feed = build_feed(DEMO_TENANT_ID, clients=clients, months=months, seed=seed)
    topic = settings.topic(BOOKING_EVENTS)
    try:
        last_offsets = asyncio.run(publish_feed(feed, settings.kafka_bootstrap_servers, topic))
    except KafkaError as exc:
        errors.print(
            f"[red]error:[/red] could not publish to Kafka at {settings.kafka_bootstrap_servers}:"
            f" {exc!r} (is it running? `make infra`)",
            highlight=False,
        )
        raise typer.Exit(1) from exc

    try:
        referrals = run_referral_demo(settings, seed)
    except KafkaError as exc:
        errors.print(f"[red]error:[/red] could not publish the referral feed: {exc!r}")
        raise typer.Exit(1) from exc

    days = " and ".join(str(day) for day in TICK_DAYS)
    console.print(
        f"Waiting for the loyalty and campaigns services to take in the feed, to tick {days}..."
    )
    try:
        caught_up = asyncio.run(tick_once_the_feed_is_in(settings, topic, last_offsets))
    except (KafkaError, psycopg.Error) as exc:
        errors.print(f"[red]error:[/red] could not publish the clock tick: {exc!r}")
        raise typer.Exit(1) from exc
    if not caught_up:
        errors.print(
            f"[yellow]note:[/yellow] the loyalty or campaigns service had not taken in the feed"
            f" after {TICK_WAIT_SECONDS}s (is it running? `make up`): the ticks of {days} may"
            " come before the packages they should remind of and expire, and the birthdays"
            " they should reward.",
            highlight=False,
        )

    if tenant.created:
        console.print(f"Created tenant [bold]{DEMO_TENANT_ID}[/bold] ({DEMO_TENANT_NAME}).")
    else:
        console.print(
            f"Tenant [bold]{DEMO_TENANT_ID}[/bold] already exists: issued it a new API key."
        )
    console.print("Milestones " + ("added:" if tenant.milestones_added else "(kept as they were):"))
    for milestone in tenant.milestones:
        console.print(_milestone_line(milestone), highlight=False)
    print_tenant_settings(tenant)

    types = feed.event_types()
    console.print(
        f"\nPublished {len(feed.events)} records to [bold]{topic}[/bold] for {len(feed.clients)}"
        f" clients over {months} months (seed {seed}): "
        + ", ".join(f"{n} {kind}" for kind, n in sorted(types.items())),
        highlight=False,
    )
    console.print(feed_table(feed, tenant.rules))
    console.print(
        f"Once processed: [bold]{feed.visits_that_count}[/bold] visits should count (stars)"
        " under the default setting, one for each visit in a 'yes' row above.",
        highlight=False,
    )
    if tenant.points.enabled:
        print_points_feed(feed, tenant.points)
    for line in package_feed_lines(feed.packages, REMINDER_DAY):
        console.print(f"Packages: {line}.", highlight=False)
    console.print(
        f"Birthdays: {birthday_feed_line(feed.clients, tenant.birthdays)}.", highlight=False
    )
    console.print(
        f"Referrals: {len(referrals.links)} clients shared their links"
        f" ({', '.join(referrals.links)}); once processed, {referrals.invited} visitors stay"
        f" invited, {referrals.booked} friends booked, {referrals.completed} came in (each earning"
        f" their referrer £10 of credit), every friend who booked was emailed a £10 welcome code,"
        f" and {referrals.refused} bookings made no referral (own link, existing client).",
        highlight=False,
    )
    console.print(
        "Run it again: the same seed publishes the same records (same event and booking ids),"
        " and the counts above do not change; each booking counts once.\n",
        highlight=False,
    )
    if key_file is not None:
        write_key_file(key_file, tenant.api_key)
    console.print(f"API key (shown only this once): [bold]{tenant.api_key}[/bold]", soft_wrap=True)
    console.print("The most loyal clients, and the clients by points, from the gateway:")
    for path in ("/v1/loyalty/clients?limit=10", "/v1/loyalty/points/clients?limit=10"):
        console.print(
            f'  curl -s -H "Authorization: Bearer {tenant.api_key}" "{gateway_url()}{path}"',
            highlight=False,
            soft_wrap=True,
            markup=False,
        )
