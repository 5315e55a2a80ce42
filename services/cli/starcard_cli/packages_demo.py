"""The demo's pre-paid packages: the clinic's catalogue, the clients who bought one, and the
clock ticks that remind one of them before their unused sessions expire, then expire them.

- Every client whose massages the feed pays "from a package" bought a Massage x5 at the till on
  the day of the first of them (another when one is used up), so each of those visits uses a
  session.
- Except the client of the feed's last package-paid visit: the till rang it up as paid from a
  package the client never bought, so the dashboard lists it as needing attention.
- One client buys a Facial x3, valid 90 days, and uses two sessions; the third expires ten days
  after the feed ends. Of the clock ticks ``starcard demo`` publishes once the loyalty service
  has taken the feed in, the tick of the feed's last day emails them a reminder and the tick of
  the expiry day closes the session, so the demo ends as it would once that day is past.

All of it is drawn from a random stream of its own (seeded from the feed's seed), so the rest of
the feed, and the stars it earns, stay what they were without packages.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from starcard_events import examples
from starcard_events.day_format import format_day
from starcard_events.money_format import format_money
from starcard_loyalty.api import LoyaltyService, Package, PackageSettings, PackageTerms

from starcard_cli.points_demo import Treatment

MASSAGE_X5 = Package(
    "massage-x5",
    PackageTerms(
        "Massage x5", 5, categories=("massage",), single_session_minor=6000, validity_days=365
    ),
    price_minor=27000,
)
FACIAL_X3 = Package(
    "facial-x3",
    PackageTerms(
        "Facial x3", 3, categories=("facials",), single_session_minor=9500, validity_days=90
    ),
    price_minor=25500,
)
ANTI_WRINKLE_X3 = Package(
    "anti-wrinkle-x3",
    PackageTerms(
        "Anti-wrinkle x3",
        3,
        categories=("injectables",),
        single_session_minor=18000,
        validity_days=365,
    ),
    price_minor=48000,
)
DEMO_PACKAGES = PackageSettings(
    catalogue=(MASSAGE_X5, FACIAL_X3, ANTI_WRINKLE_X3), reminder_days=14, currency="GBP"
)
"""Five massages for £270 (£30 off five hour-long ones) and three anti-wrinkle sessions for £480
(£60 off), valid a year; three Hydrafacials for £255 (£30 off), valid 90 days; refunds pro rata;
a reminder two weeks before unused sessions expire."""

HYDRAFACIAL = Treatment("Hydrafacial", "facials", 9500)
"""The 60-minute treatment the demo's Facial x3 pays for."""
FACIAL_EXPIRES_AFTER_END = timedelta(days=10)
"""The Facial x3's unused session expires ten days after the feed ends: within the 14 days of
the reminder the tick of the feed's last day sends, and months before anything else of the
default feed falls due (its reward codes, points and tier spend last a year from its first
visits, in May 2026)."""
FACIAL_BOUGHT_BEFORE_END = (
    timedelta(days=FACIAL_X3.terms.validity_days or 0) - FACIAL_EXPIRES_AFTER_END
)
"""The Facial x3 is bought 80 days before the feed ends, so its 90 days run out ten days after."""
FACIAL_EVERY = timedelta(days=28)


@dataclass
class PackageSummary:
    """What the packages part of the feed holds, for the demo's output."""

    massage_clients: list[str] = field(default_factory=list)
    """Clients who bought a Massage x5 (in the order they first used one)."""
    unmatched: list[tuple[str, date]] = field(default_factory=list)
    """``(client, day)`` of each package-paid visit no package pays for."""
    expiring_client: str | None = None
    """The client whose Facial x3 expires soon after the feed ends: reminded, then expired."""
    expiring_on: date | None = None
    facial_visits: int = 0


Timed = tuple[datetime, dict[str, Any], str]
"""``(occurred_at, event, what it is about)``, as the feed builder takes them."""


class PackageFeed:
    """The packages part of one demo feed, drawn from its own random stream."""

    def __init__(self, tenant_id: str, seed: int, currency: str) -> None:
        self.tenant_id = tenant_id
        self.currency = currency
        self.seed = seed
        self.rng = random.Random(f"{seed}:packages")  # noqa: S311 - demo data, not secrets
        self.summary = PackageSummary()

    def purchases(self, events: Sequence[dict[str, Any]]) -> list[Timed]:
        """A Massage x5 for each client whose visits the feed pays from a package, bought on
        the day of their first such visit (and again when one is used up), but for the client of
        the feed's last package-paid visit."""
        paid = sorted(
            (
                (datetime.fromisoformat(e["data"]["starts_at"]), e["data"])
                for e in events
                if e["type"] == "AppointmentCompleted" and e["data"]["payment_method"] == "package"
            ),
            key=lambda visit: (visit[0], visit[1]["booking_id"]),
        )
        if not paid:
            return []
        forgotten = paid[-1][1]["client_id"]
        timed: list[Timed] = []
        left: dict[str, int] = {}
        for starts_at, data in paid:
            client_id = data["client_id"]
            if client_id == forgotten:
                self.summary.unmatched.append((client_id, starts_at.date()))
                continue
            if not left.get(client_id):
                if client_id not in left:
                    self.summary.massage_clients.append(client_id)
                left[client_id] = MASSAGE_X5.terms.sessions
                timed.append(self._purchase(client_id, f"{data['booking_id']}-pkg", starts_at))
            left[client_id] -= 1
        return timed

    def expiring(
        self, events: Sequence[dict[str, Any]], clients: Sequence[str], ends: datetime
    ) -> list[Timed]:
        """One client buys a Facial x3 and has two of its sessions, at four-week intervals; the
        third is left to expire :data:`FACIAL_EXPIRES_AFTER_END` after the feed `ends`.

        The client is drawn from those registered before the purchase, but for the package
        clients and the first client (whose card the README shows).
        """
        bought_at = datetime.combine(
            (ends - FACIAL_BOUGHT_BEFORE_END).date(), time(10), tzinfo=ends.tzinfo
        )
        registered = {
            e["data"]["client_id"]
            for e in events
            if e["type"] == "ClientRegistered"
            and datetime.fromisoformat(e["occurred_at"]) < bought_at - timedelta(days=3)
        }
        taken = {*self.summary.massage_clients, *(client for client, _ in self.summary.unmatched)}
        eligible = [c for c in clients[1:] if c in registered and c not in taken]
        if not eligible:
            return []
        client_id = self.rng.choice(eligible)
        purchase_id = f"s{self.seed}-{client_id}-facial-x3"
        timed = [self._purchase(client_id, purchase_id, bought_at, FACIAL_X3)]
        for number in (1, 2):
            starts_at = bought_at + (number - 1) * FACIAL_EVERY
            timed += self._facial(client_id, f"{purchase_id}-v{number}", starts_at)
        validity = timedelta(days=FACIAL_X3.terms.validity_days or 0)
        self.summary.expiring_client = client_id
        self.summary.expiring_on = (bought_at + validity).date()
        return timed

    def _purchase(
        self, client_id: str, purchase_id: str, at: datetime, package: Package = MASSAGE_X5
    ) -> Timed:
        event = examples.package_purchased(
            self.tenant_id,
            at,
            purchase_id=purchase_id,
            client_id=client_id,
            package_id=package.package_id,
            price_minor=package.price_minor,
            payment_method=self.rng.choices(("card", "cash"), weights=(9, 1))[0],
            currency=self.currency,
        )
        return (at, event, purchase_id)

    def _facial(self, client_id: str, booking_id: str, starts_at: datetime) -> list[Timed]:
        """A Hydrafacial booked a few days ahead and paid from the client's package."""
        treatment, minutes = HYDRAFACIAL, 60
        list_price = treatment.list_price_minor
        booked = {
            "booking_id": booking_id,
            "client_id": client_id,
            "starts_at": starts_at,
            "minutes": minutes,
            "list_price_minor": list_price,
            "price_minor": 0,
            "currency": self.currency,
            "payment_method": "package",
            "discounts": [examples.discount("package", list_price, self.currency)],
            "service_name": treatment.name,
            "category": treatment.category,
            "provider_id": "therapist-chloe",
        }
        booked_at = starts_at - timedelta(days=self.rng.randint(2, 7))
        completed_at = starts_at + timedelta(minutes=minutes)
        self.summary.facial_visits += 1
        return [
            (booked_at, examples.booking_created(self.tenant_id, booked_at, **booked), booking_id),
            (
                completed_at,
                examples.appointment_completed(self.tenant_id, completed_at, **booked),
                booking_id,
            ),
        ]


def add_demo_packages(loyalty: LoyaltyService, tenant_id: str, since: datetime) -> bool:
    """Set the demo's package catalogue, in force from `since`, unless the tenant has set its
    packages already (a re-run keeps what the clinic chose); True if set."""
    if loyalty.programme(tenant_id).package_versions.history:
        return False
    loyalty.change_package_settings(tenant_id, lambda _: DEMO_PACKAGES, since)
    return True


def package_lines(settings: PackageSettings) -> list[str]:
    """The catalogue on sale, a line each, then the reminder."""
    lines = []
    for package in settings.catalogue:
        if not package.active:
            continue
        terms = package.terms
        saving = package.saving_minor
        lasts = f", valid {terms.validity_days} days" if terms.validity_days else ""
        saves = f" ({format_money(saving, terms.currency)} off single sessions)" if saving else ""
        lines.append(
            f"{terms.name}: {terms.sessions} sessions of {', '.join(terms.categories)} for"
            f" {format_money(package.price_minor, terms.currency)}{saves}{lasts}"
        )
    if settings.reminder_days:
        lines.append(f"Clients are emailed {settings.reminder_days} days before sessions expire")
    return lines


def package_feed_lines(summary: PackageSummary, reminder_day: date) -> list[str]:
    """What the feed's packages will show once processed and ticked through the expiry day, a
    sentence each (the reminder sent by the tick of `reminder_day`)."""
    lines = []
    if summary.massage_clients:
        lines.append(
            f"{len(summary.massage_clients)} clients bought a Massage x5 at their first"
            f" package-paid massage ({', '.join(summary.massage_clients)})"
        )
    if summary.expiring_client and summary.expiring_on:
        lines.append(
            f"{summary.expiring_client} bought a Facial x3 and used 2 sessions; the clock tick"
            f" of {format_day(reminder_day)} emails them a reminder, and that of"
            f" {format_day(summary.expiring_on)} expires the third session unused"
        )
    for client_id, day in summary.unmatched:
        lines.append(
            f"{client_id}'s massage of {format_day(day)} was paid from a package they never bought:"
            " the dashboard lists it as needing attention"
        )
    return lines
