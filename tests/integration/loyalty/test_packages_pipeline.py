"""Packages through the real path: purchases, completions, cancellations, refunds and clock ticks
in through Kafka, the client's holdings in the event store, the package facts and the expiry
email out through Kafka."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starcard_events import examples
from starcard_events.topics import LOYALTY_FACTS, NOTIFICATIONS
from starcard_loyalty.domain.package_settings import (
    Package,
    PackageSettings,
    PackageTerms,
    RefundPolicy,
)
from starcard_loyalty.domain.points_settings import PointsSettings
from starcard_loyalty.domain.tier_settings import TierSettings
from starcard_runtime.dead_letters import DeadLetterStore

from tests.support.packages import package_visit, tick
from tests.support.stack import LoyaltyStack, collect, create_topics, eventually, loyalty_stack

pytestmark = pytest.mark.integration

CLINIC, OTHER = "glow-clinic", "lumen-spa"
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
FACIALS = Package(
    "facial-3",
    PackageTerms(name="Facial x3", sessions=3, categories=("facials",), single_session_minor=4_000),
    10_000,
)
"""Three facials for £100 (£40 each on their own), no expiry."""


@dataclass
class PackagesStack:
    loyalty: LoyaltyStack
    published: list[dict[str, Any]]

    def facts(self, kind: str, client: str = "ada") -> list[dict[str, Any]]:
        """The records of `kind` published about the client, each once, in publishing order."""
        seen: dict[str, dict[str, Any]] = {}
        for record in self.published:
            if record["type"] == kind and record["data"]["client_id"] == client:
                seen.setdefault(record["event_id"], record["data"])
        return list(seen.values())

    def holdings(self, client: str = "ada", tenant: str = CLINIC) -> dict[str, Any]:
        """The client's packages and unmatched visits, as the holdings' last event left them."""
        return self.loyalty.commands.package_holdings(tenant, client).snapshot

    def left(self, client: str = "ada", tenant: str = CLINIC) -> dict[str, int]:
        packages = self.holdings(client, tenant)["packages"]
        return {each["purchase_id"]: each["left"] for each in packages}

    def unmatched(self, client: str = "ada") -> list[str]:
        return [each["booking_id"] for each in self.holdings(client)["unmatched"]]

    def settings(self, tenant: str, settings: PackageSettings) -> None:
        self.loyalty.commands.change_package_settings(
            tenant, lambda _: settings, START - timedelta(days=1)
        )


@pytest.fixture
async def stack(
    fresh_database: str, kafka_bootstrap: str, topic_prefix: str
) -> AsyncIterator[PackagesStack]:
    async with loyalty_stack(fresh_database, kafka_bootstrap, topic_prefix) as running:
        out = [LOYALTY_FACTS, NOTIFICATIONS]
        await create_topics(kafka_bootstrap, [running.settings.topic(t) for t in out], 4)
        published: list[dict[str, Any]] = []
        stop = asyncio.Event()
        collector = asyncio.create_task(collect(running.settings, out, published, stop))
        stack = PackagesStack(running, published)
        for tenant in (CLINIC, OTHER):
            running.commands.open_programme(tenant, tenant.title())
            stack.settings(tenant, PackageSettings(catalogue=(FACIALS,)))
        try:
            yield stack
        finally:
            stop.set()
            await collector


def purchase(
    purchase_id: str, days: float = 0, *, client: str = "ada", **extra: Any
) -> dict[str, Any]:
    """The catalogue's three facials for £100 unless told otherwise."""
    if "terms" not in extra:
        extra.setdefault("package_id", FACIALS.package_id)
    extra.setdefault("price_minor", FACIALS.price_minor)
    return examples.package_purchased(
        extra.pop("tenant", CLINIC),
        START + timedelta(days=days),
        purchase_id=purchase_id,
        client_id=client,
        **extra,
    )


def facial(booking: str, days: float = 0, *, client: str = "ada", **extra: Any) -> dict[str, Any]:
    """A facial paid from a package."""
    return package_visit(
        extra.pop("tenant", CLINIC),
        START + timedelta(days=days),
        client_id=client,
        booking_id=booking,
        **extra,
    )


def by_card(booking: str, days: float = 0, **extra: Any) -> dict[str, Any]:
    """A facial paid by card (with `discounts`, if any)."""
    return examples.appointment_completed(
        CLINIC,
        START + timedelta(days=days),
        client_id="ada",
        booking_id=booking,
        category="facials",
        **extra,
    )


def package_refund(refund_id: str, purchase_id: str, days: float, **extra: Any) -> dict[str, Any]:
    return examples.package_refunded(
        extra.pop("tenant", CLINIC),
        START + timedelta(days=days),
        refund_id=refund_id,
        purchase_id=purchase_id,
        client_id=extra.pop("client", "ada"),
    )


def balances(facts: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Each fact's package, booking and figures: used, left, status."""
    return [
        (
            fact["purchase_id"],
            fact["booking_id"],
            fact["sessions_used"],
            fact["sessions_left"],
            fact["status"],
        )
        for fact in facts
    ]


def expect(actual: object, expected: object) -> None:
    assert actual == expected


async def test_packages_bought_are_used_once_per_package_paid_visit(stack: PackagesStack) -> None:
    laser = examples.package_terms("Laser x5", sessions=5, categories=["laser"], validity_days=180)
    feed = [
        purchase("p1"),  # the catalogue's
        purchase("p2", terms=laser, price_minor=50_000),  # made up at the till
        facial("b1", 1),
        by_card("b2", 2, discounts=[examples.discount("package", 6_000)]),
        facial("b3", 3, category="laser", service_name="Laser hair removal"),
        by_card("b4", 4),  # no session
    ]
    await stack.loyalty.publish(*feed)
    await stack.loyalty.publish(feed[2])  # re-delivered
    await eventually(lambda: expect(stack.left(), {"p1": 1, "p2": 4}))

    activated = await eventually(lambda: _exactly(stack.facts("PackageActivated"), 2))
    assert [
        (f["purchase_id"], f["name"], f["sessions"], f["sessions_left"]) for f in activated
    ] == [
        ("p1", "Facial x3", 3, 3),
        ("p2", "Laser x5", 5, 5),
    ]
    assert activated[1]["expires_on"] == (START + timedelta(days=180)).date().isoformat()
    used = await eventually(lambda: _exactly(stack.facts("PackageSessionUsed"), 3))
    assert balances(used) == [
        ("p1", "b1", 1, 2, "active"),
        ("p1", "b2", 2, 1, "active"),
        ("p2", "b3", 1, 4, "active"),
    ]
    await stack.loyalty.publish(facial("b1", 1))  # re-sent as a new record, long after
    await stack.loyalty.publish(by_card("marker", 9))
    await eventually(lambda: expect(stack.loyalty.stars(CLINIC), {"ada": 2}))
    assert stack.left() == {"p1": 1, "p2": 4}
    assert len(stack.facts("PackageSessionUsed")) == 3
    assert stack.left(tenant=OTHER) == {}  # never another tenant's


async def test_a_package_paid_visit_with_no_package_is_kept_until_one_bought_that_day_arrives(
    stack: PackagesStack,
) -> None:
    await stack.loyalty.publish(facial("yesterday", -1), facial("morning", -0.1))  # 07:36
    await eventually(lambda: expect(stack.unmatched(), ["yesterday", "morning"]))
    assert stack.facts("PackageSessionUsed") == []

    await stack.loyalty.publish(purchase("p1", 0.2))  # 14:48 the same day

    await eventually(lambda: expect(stack.unmatched(), ["yesterday"]))
    used = await eventually(lambda: _exactly(stack.facts("PackageSessionUsed"), 1))
    assert balances(used) == [("p1", "morning", 1, 2, "active")]
    assert stack.left() == {"p1": 2}
    assert stack.holdings()["unmatched"] == [
        {"booking_id": "yesterday", "service_name": "Signature facial", "on": "2026-03-01"}
    ]


async def test_a_cancellation_or_a_whole_refund_gives_the_session_back_a_partial_one_does_not(
    stack: PackagesStack,
) -> None:
    await stack.loyalty.publish(purchase("p1"), facial("b1", 1), facial("b2", 2), facial("b3", 3))
    await eventually(lambda: expect(stack.left(), {"p1": 0}))

    await stack.loyalty.publish(
        examples.booking_cancelled(
            CLINIC, START + timedelta(days=4), booking_id="b1", client_id="ada"
        ),
        examples.appointment_refunded(
            CLINIC, START + timedelta(days=4), refund_id="r2", booking_id="b2", client_id="ada"
        ),
        examples.appointment_refunded(
            CLINIC,
            START + timedelta(days=4),
            refund_id="r3",
            booking_id="b3",
            client_id="ada",
            amount_minor=1_000,
        ),
    )

    restored = await eventually(lambda: _exactly(stack.facts("PackageSessionRestored"), 2))
    assert balances(restored) == [("p1", "b1", 2, 1, "active"), ("p1", "b2", 1, 2, "active")]
    assert stack.left() == {"p1": 2}


async def test_unused_sessions_expire_on_the_tick_of_their_day_after_one_reminder(
    stack: PackagesStack,
) -> None:
    monthly = replace(FACIALS, terms=replace(FACIALS.terms, validity_days=30))
    stack.settings(CLINIC, PackageSettings(catalogue=(monthly,), reminder_days=14))
    await stack.loyalty.publish(purchase("p1"), facial("b1", 1))
    await eventually(lambda: expect(stack.left(), {"p1": 2}))
    expires_on = (START + timedelta(days=30)).date()

    for day in (15, 14, 13):
        await tick(stack.loyalty, CLINIC, expires_on - timedelta(days=day))
    reminders = await eventually(lambda: _exactly(_notices(stack, "package_expiring"), 1))
    assert reminders[0]["expires_at"] == "2026-04-01T00:00:00Z"
    # Decided at midnight (UTC, the clinic's zone): sent when its quiet hours end, at 09:00.
    reminded_on = expires_on - timedelta(days=14)
    assert reminders[0]["send_after"] == f"{reminded_on}T09:00:00Z"
    assert "2 sessions of your Facial x3 package expire on 1 April 2026" in reminders[0]["message"]

    await tick(stack.loyalty, CLINIC, expires_on - timedelta(days=1))
    assert stack.facts("PackageExpired") == []
    assert stack.left() == {"p1": 2}

    await tick(stack.loyalty, CLINIC, expires_on)
    await tick(stack.loyalty, CLINIC, expires_on)
    expired = await eventually(lambda: _exactly(stack.facts("PackageExpired"), 1))
    assert (expired[0]["sessions_closed"], expired[0]["sessions_left"], expired[0]["status"]) == (
        2,
        0,
        "expired",
    )
    assert expired[0]["corrected"] is False
    await stack.loyalty.publish(facial("too-late", 31))
    await eventually(lambda: expect(stack.unmatched(), ["too-late"]))
    assert len(_notices(stack, "package_expiring")) == 1


async def test_a_refund_settles_by_the_policy_and_takes_back_its_share_of_points_and_spend(
    stack: PackagesStack,
) -> None:
    commands = stack.loyalty.commands
    points = PointsSettings(enabled=True, treatment_rate=100, package_bonus_points=50)
    for tenant in (CLINIC, OTHER):
        commands.set_points_settings(tenant, points, START - timedelta(days=1))
        commands.set_tier_settings(tenant, TierSettings(enabled=True), START - timedelta(days=1))
    stack.settings(
        OTHER, PackageSettings(catalogue=(FACIALS,), refund_policy=RefundPolicy.LESS_SESSIONS_USED)
    )
    refund = package_refund("r1", "p1", 2)
    await stack.loyalty.publish(
        purchase("p1"),  # £100: 100 points and 50 for buying a package
        facial("b1", 1),
        refund,
        refund,
        purchase("p1", tenant=OTHER, client="bo"),
        facial("b1", 1, tenant=OTHER, client="bo"),
        package_refund("r1", "p1", 2, tenant=OTHER, client="bo"),
    )

    settled = await eventually(lambda: _exactly(stack.facts("PackageRefundSettled"), 1))
    assert settled[0]["refund"] == {"amount_minor": 6_667, "currency": "GBP"}
    assert (settled[0]["sessions_closed"], settled[0]["status"]) == (2, "refunded")
    other = await eventually(lambda: _exactly(stack.facts("PackageRefundSettled", "bo"), 1))
    assert other[0]["refund"] == {"amount_minor": 6_000, "currency": "GBP"}  # £100 - £40

    # two thirds of 150 points go back with two thirds of the price
    await eventually(lambda: expect(commands.points_account(CLINIC, "ada").balance(), 50))
    assert _spend(stack, CLINIC, "ada") == 3_333
    await eventually(lambda: expect(commands.points_account(OTHER, "bo").balance(), 60))
    assert _spend(stack, OTHER, "bo") == 4_000

    await stack.loyalty.publish(facial("b2", 3))  # a refunded package pays for nothing more
    await eventually(lambda: expect(stack.unmatched(), ["b2"]))


async def test_a_package_not_in_the_catalogue_is_dead_lettered_with_its_name(
    stack: PackagesStack,
) -> None:
    await stack.loyalty.publish(
        purchase("p1", package_id="botox-5"), purchase("p2"), facial("b1", 1)
    )
    await eventually(lambda: expect(stack.left(), {"p2": 2}))

    letters = DeadLetterStore(stack.loyalty.settings.database_url).list(service="loyalty")
    assert len(letters) == 1
    assert letters[0].reason.startswith("Package 'botox-5' is not in the catalogue")


async def test_package_paid_sessions_earn_stars_only_with_the_toggle_on(
    stack: PackagesStack,
) -> None:
    await stack.loyalty.publish(purchase("p1"), facial("b1", 1), facial("b2", 2), by_card("b3", 3))
    await eventually(lambda: expect(stack.loyalty.stars(CLINIC), {"ada": 1}))

    stack.loyalty.commands.set_count_discounted_sessions(CLINIC, enabled=True)

    await eventually(lambda: expect(stack.loyalty.stars(CLINIC), {"ada": 3}))
    assert stack.left() == {"p1": 1}


async def test_a_whole_refund_reported_before_its_completion_still_gives_the_session_back(
    stack: PackagesStack,
) -> None:
    await stack.loyalty.publish(
        examples.appointment_refunded(
            CLINIC, START + timedelta(days=2), refund_id="r1", booking_id="b1", client_id="ada"
        ),
        purchase("p1"),
        facial("b1", 1),
        facial("marker", 3),
    )
    await eventually(
        lambda: expect([f["booking_id"] for f in stack.facts("PackageSessionUsed")], ["marker"])
    )

    assert stack.left() == {"p1": 2}  # b1's session came back with its refund; the marker's used


async def test_points_follow_the_refund_as_settled_and_a_correction_is_told_to_the_platform(
    stack: PackagesStack,
) -> None:
    """The points a refund takes back follow the share settled when the refund was recorded
    (what the platform paid back); a completion reported later that changes the share is
    published as a corrected figure for the platform to settle, and moves no points."""
    commands = stack.loyalty.commands
    points = PointsSettings(enabled=True, treatment_rate=100, package_bonus_points=50)
    commands.set_points_settings(CLINIC, points, START - timedelta(days=1))
    await stack.loyalty.publish(purchase("p1"), package_refund("r1", "p1", 2))
    await eventually(lambda: expect(commands.points_account(CLINIC, "ada").balance(), 0))

    await stack.loyalty.publish(facial("b1", 1))  # used before the refund, reported after it

    settled = await eventually(lambda: _exactly(stack.facts("PackageRefundSettled"), 2))
    assert [(f["refund"]["amount_minor"], f["corrected"]) for f in settled] == [
        (10_000, False),
        (6_667, True),
    ]
    assert commands.points_account(CLINIC, "ada").balance() == 0


def _spend(stack: PackagesStack, tenant: str, client: str) -> int:
    commands = stack.loyalty.commands
    rules = commands.programme(tenant).tier_versions
    return commands.membership(tenant, client).standing(rules).spend_minor


def _notices(stack: PackagesStack, kind: str) -> list[dict[str, Any]]:
    return [data for data in stack.facts("NotificationRequested") if data["kind"] == kind]


def _exactly(items: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    assert len(items) == count, items
    return items


async def test_a_second_refund_id_of_the_same_package_takes_nothing_more(
    stack: PackagesStack,
) -> None:
    commands = stack.loyalty.commands
    points = PointsSettings(enabled=True, treatment_rate=100, package_bonus_points=50)
    commands.set_points_settings(CLINIC, points, START - timedelta(days=1))
    commands.set_tier_settings(CLINIC, TierSettings(enabled=True), START - timedelta(days=1))
    # r-B arrives first; r-A, dated earlier, is the refund that closed the package.
    await stack.loyalty.publish(purchase("p1"), facial("b1", 1), package_refund("r-B", "p1", 6))
    await eventually(lambda: expect(commands.points_account(CLINIC, "ada").balance(), 50))

    await stack.loyalty.publish(package_refund("r-A", "p1", 5), facial("marker", 7))
    await eventually(lambda: expect(stack.unmatched(), ["marker"]))

    assert commands.points_account(CLINIC, "ada").balance() == 50  # 150 less two thirds, once
    assert _spend(stack, CLINIC, "ada") == 3_333
    assert [f["refund"]["amount_minor"] for f in stack.facts("PackageRefundSettled")] == [6_667]


async def test_a_sale_dead_lettered_before_its_package_was_in_the_catalogue_replays(
    stack: PackagesStack,
) -> None:
    botox = Package(
        "botox-5", PackageTerms(name="Botox x5", sessions=5, categories=("inj",)), 90_000
    )
    sale = purchase("p1", package_id="botox-5", price_minor=90_000)
    await stack.loyalty.publish(sale, purchase("p2"))
    await eventually(lambda: expect(stack.left(), {"p2": 3}))
    letters = DeadLetterStore(stack.loyalty.settings.database_url).list(service="loyalty")
    assert [letter.reason.split(":")[0] for letter in letters] == [
        "Package 'botox-5' is not in the catalogue"
    ]

    # The operator adds the package now (after the sale's moment), then replays the sale.
    stack.loyalty.commands.change_package_settings(
        CLINIC, lambda s: replace(s, catalogue=(*s.catalogue, botox)), datetime.now(UTC)
    )
    await stack.loyalty.publish(sale)

    await eventually(lambda: expect(stack.left(), {"p1": 5, "p2": 3}))


async def test_reminders_switched_on_reach_packages_bought_before(stack: PackagesStack) -> None:
    bimonthly = replace(FACIALS, terms=replace(FACIALS.terms, validity_days=60))
    stack.settings(CLINIC, PackageSettings(catalogue=(bimonthly,), reminder_days=None))
    await stack.loyalty.publish(purchase("p1"))
    await eventually(lambda: expect(stack.left(), {"p1": 3}))
    await tick(stack.loyalty, CLINIC, (START + timedelta(days=1)).date())

    stack.settings(CLINIC, PackageSettings(catalogue=(bimonthly,), reminder_days=14))
    await tick(stack.loyalty, CLINIC, (START + timedelta(days=2)).date())
    assert _notices(stack, "package_expiring") == []  # expiry on day 60: not within 14 days
    await tick(stack.loyalty, CLINIC, (START + timedelta(days=46)).date())

    reminders = await eventually(lambda: _exactly(_notices(stack, "package_expiring"), 1))
    assert "3 sessions of your Facial x3 package expire on 1 May 2026" in reminders[0]["message"]
