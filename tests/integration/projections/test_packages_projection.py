"""The packages read models, projected from the real loyalty service fed through Kafka.

Purchases (from the catalogue and ad hoc, in two currencies), visits paid from a package, a
cancellation, a visit no package could pay for (and one whose package was reported after it), a
package refund and the clock tick of an expiry day go in as a booking platform and the scheduler
publish them; the projections follow as their process does. Every client's rows must be their
holdings' own snapshot, the liability must add up to the cent, and a rebuild (in pages of two
events, and in one page) must read the same.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
import pytest
from starcard_events import examples
from starcard_events.topics import LOYALTY_FACTS, NOTIFICATIONS
from starcard_projections.packages import (
    AttentionVisit,
    ClientHoldings,
    ClientPackage,
    PackageLiability,
    PackagesProjection,
    attention,
    client_holdings,
    liability,
)
from starcard_projections.runner import Follower

from tests.support.packages import FACIAL_COURSE, package_visit, sell_from, tick
from tests.support.stack import LoyaltyStack, create_topics, eventually, loyalty_stack

pytestmark = pytest.mark.integration

CLINIC, OTHER = "glow-clinic", "lumen-spa"
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
CLIENTS = {
    CLINIC: ("ada", "bea", "cy", "dan", "eve", "fay", "gus", "hal"),
    OTHER: ("ada",),
}
MASSAGE_TRIO = examples.package_terms("Massage trio", sessions=3, categories=["massage"])
PEEL_DUO = examples.package_terms("Peel duo", sessions=2, categories=["peels"], validity_days=30)


def at(days: int) -> datetime:
    return START + timedelta(days=days)


def day(days: int) -> date:
    return at(days).date()


@pytest.fixture
async def stack(
    fresh_database: str, kafka_bootstrap: str, topic_prefix: str
) -> AsyncIterator[LoyaltyStack]:
    async with loyalty_stack(fresh_database, kafka_bootstrap, topic_prefix) as running:
        facts = [running.settings.topic(topic) for topic in (LOYALTY_FACTS, NOTIFICATIONS)]
        await create_topics(kafka_bootstrap, facts, 4)  # where the outbox relay publishes
        for tenant in (CLINIC, OTHER):
            running.commands.open_programme(tenant, tenant.title())
        sell_from(running.commands, CLINIC, at(-1), FACIAL_COURSE)
        yield running


def bought(
    client: str, purchase: str, days: int, *, tenant: str = CLINIC, **sale: Any
) -> dict[str, Any]:
    """A package bought: the facial course unless `sale` gives ad-hoc terms and a price."""
    if "terms" not in sale:
        sale |= {"package_id": FACIAL_COURSE.package_id, "price_minor": 40_000}
    return examples.package_purchased(
        tenant, at(days), purchase_id=purchase, client_id=client, **sale
    )


def massage(client: str, booking: str, days: int, *, tenant: str = CLINIC) -> dict[str, Any]:
    return package_visit(
        tenant,
        at(days),
        client_id=client,
        booking_id=booking,
        service_name="Deep tissue massage",
        category="massage",
    )


def facial(client: str, booking: str, days: int) -> dict[str, Any]:
    return package_visit(CLINIC, at(days), client_id=client, booking_id=booking)


FEED = [
    # Ada: two facials of her course used; a third used, then cancelled (given back); a lip
    # filler paid "from a package" that no package of hers covers.
    bought("ada", "p-ada", 0),
    facial("ada", "ada-f1", 1),
    facial("ada", "ada-f2", 8),
    facial("ada", "ada-f3", 15),
    examples.booking_cancelled(CLINIC, at(16), booking_id="ada-f3", client_id="ada"),
    package_visit(
        CLINIC,
        at(12),
        client_id="ada",
        booking_id="ada-lips",
        service_name="Lip filler",
        category="injectables",
    ),
    # Bea: one facial, then her course refunded: 4 of 5 unused, pro rata.
    bought("bea", "p-bea", 2),
    facial("bea", "bea-f1", 3),
    examples.package_refunded(
        CLINIC, at(20), refund_id="r-bea", purchase_id="p-bea", client_id="bea"
    ),
    # Cy: an ad-hoc trio at £250.00, one used: two thirds of it owed (£166.67).
    bought("cy", "p-cy", 0, terms=MASSAGE_TRIO, price_minor=25_000),
    massage("cy", "cy-m1", 5),
    # Dan: the same trio sold in euros.
    bought("dan", "p-dan", 1, terms=MASSAGE_TRIO, price_minor=30_000, currency="EUR"),
    # Eve: a peel duo valid 30 days, never used.
    bought("eve", "p-eve", 0, terms=PEEL_DUO, price_minor=12_000),
    # Fay: a massage "from a package" she never bought.
    massage("fay", "fay-m1", 10),
    # Gus: a course bought late, untouched.
    bought("gus", "p-gus", 25),
    # Another business's Ada: a package and an unmatched visit of her own.
    bought("ada", "o-p-ada", 0, tenant=OTHER, terms=MASSAGE_TRIO, price_minor=9_000),
    package_visit(
        OTHER,
        at(11),
        client_id="ada",
        booking_id="o-ada-x",
        service_name="Hot stones",
        category="stones",
    ),
]


def row(
    purchase: str,
    package: tuple[str | None, str, int],
    *,
    used: int,
    left: int,
    bought: int,
    expires: int | None,
    price: int,
    deferred: int,
    status: str = "active",
    closed: int = 0,
    refund: int | None = None,
    currency: str = "GBP",
) -> ClientPackage:
    """A package's row: `package` is its catalogue id (None: ad hoc), name and sessions; days
    count from ``START``, amounts are in minor units."""
    package_id, name, sessions = package
    return ClientPackage(
        purchase_id=purchase,
        package_id=package_id,
        name=name,
        sessions=sessions,
        used=used,
        left=left,
        closed=closed,
        status=status,
        bought_on=day(bought),
        expires_on=None if expires is None else day(expires),
        price_minor=price,
        currency=currency,
        deferred_minor=deferred,
        refund_minor=refund,
    )


FACIAL = ("facial-5", "Facial course of 5", 5)
TRIO = (None, "Massage trio", 3)
DUO = (None, "Peel duo", 2)
EXPECTED = {
    # 3 of 5 sessions of £400.00 left: £240.00 owed.
    "ada": row(
        "p-ada", FACIAL, used=2, left=3, bought=0, expires=90, price=40_000, deferred=24_000
    ),
    # Refunded with 4 of 5 unused: £320.00 back, nothing owed.
    "bea": row(
        "p-bea",
        FACIAL,
        used=1,
        left=0,
        bought=2,
        expires=92,
        price=40_000,
        deferred=0,
        status="refunded",
        closed=4,
        refund=32_000,
    ),
    # 2 of 3 sessions of £250.00 left: £166.67 (166.666... rounded half up).
    "cy": row("p-cy", TRIO, used=1, left=2, bought=0, expires=None, price=25_000, deferred=16_667),
    "dan": row(
        "p-dan",
        TRIO,
        used=0,
        left=3,
        bought=1,
        expires=None,
        price=30_000,
        deferred=30_000,
        currency="EUR",
    ),
    "eve": row("p-eve", DUO, used=0, left=2, bought=0, expires=30, price=12_000, deferred=12_000),
    "gus": row(
        "p-gus", FACIAL, used=0, left=5, bought=25, expires=115, price=40_000, deferred=40_000
    ),
    "hal": row(
        "p-hal", FACIAL, used=1, left=4, bought=4, expires=94, price=40_000, deferred=32_000
    ),
}


def holdings(stack: LoyaltyStack, tenant: str, client: str) -> ClientHoldings:
    with psycopg.connect(stack.settings.database_url) as conn:
        found = client_holdings(conn, tenant, client)
    assert found is not None, f"{tenant}/{client} has no holdings in the read model"
    return found


def read(stack: LoyaltyStack, query: Any, *args: Any, **kwargs: Any) -> Any:
    with psycopg.connect(stack.settings.database_url) as conn:
        return query(conn, *args, **kwargs)


def tables(stack: LoyaltyStack) -> dict[str, list[tuple[Any, ...]]]:
    with psycopg.connect(stack.settings.database_url) as conn:
        return {
            table: sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
            for table in PackagesProjection.tables
        }


def expect(actual: object, expected: object) -> None:
    assert actual == expected


async def fed(stack: LoyaltyStack) -> None:
    """The feed in, re-delivered; Hal's visit reported before the package that pays it."""
    await stack.publish(facial("hal", "hal-f1", 4))
    await eventually(
        lambda: expect(
            holdings(stack, CLINIC, "hal").attention,
            [AttentionVisit("hal", "hal-f1", "Signature facial", day(4))],
        )
    )
    await stack.publish(*FEED, bought("hal", "p-hal", 4))
    await stack.publish(*FEED)

    def all_shown() -> None:
        for client, expected in EXPECTED.items():
            assert holdings(stack, CLINIC, client).packages == [expected], client

    await eventually(all_shown)
    await eventually(lambda: expect(read(stack, attention, CLINIC, limit=10, offset=0)[1], 2))


async def test_each_client_s_packages_show_what_their_holdings_decided(
    stack: LoyaltyStack,
) -> None:
    await fed(stack)

    assert holdings(stack, CLINIC, "ada") == ClientHoldings(
        [EXPECTED["ada"]], [AttentionVisit("ada", "ada-lips", "Lip filler", day(12))]
    )
    # Hal's visit was taken by the package reported after it: nothing needs attention.
    assert holdings(stack, CLINIC, "hal").attention == []
    assert holdings(stack, CLINIC, "fay") == ClientHoldings(
        [], [AttentionVisit("fay", "fay-m1", "Deep tissue massage", day(10))]
    )
    assert read(stack, client_holdings, CLINIC, "zed") is None
    # Every row is the holdings' own snapshot.
    for tenant, clients in CLIENTS.items():
        for client in clients:
            snapshot = stack.commands.package_holdings(tenant, client).snapshot
            shown = holdings(stack, tenant, client)
            assert [
                (p.purchase_id, p.used, p.left, p.status, p.deferred_minor) for p in shown.packages
            ] == [
                (p["purchase_id"], p["used"], p["left"], p["status"], p["deferred_minor"])
                for p in snapshot["packages"]
            ]
            assert [v.booking_id for v in shown.attention] == [
                v["booking_id"] for v in snapshot["unmatched"]
            ]


async def test_the_liability_is_the_price_of_the_sessions_left_by_package_and_currency(
    stack: LoyaltyStack,
) -> None:
    await fed(stack)

    assert read(stack, liability, CLINIC) == [
        PackageLiability(None, "Massage trio", "EUR", 1, 3, 30_000),
        # Ada £240.00 (3 of 5), Gus £400.00, Hal £320.00; Bea's refunded course owes nothing.
        PackageLiability("facial-5", "Facial course of 5", "GBP", 3, 12, 96_000),
        PackageLiability(None, "Massage trio", "GBP", 1, 2, 16_667),
        PackageLiability(None, "Peel duo", "GBP", 1, 2, 12_000),
    ]
    assert read(stack, liability, OTHER) == [
        PackageLiability(None, "Massage trio", "GBP", 1, 3, 9_000)
    ]


async def test_the_tick_of_the_expiry_day_closes_the_unused_sessions_and_their_liability(
    stack: LoyaltyStack,
) -> None:
    await fed(stack)

    await tick(stack, CLINIC, day(29))
    assert holdings(stack, CLINIC, "eve").packages == [EXPECTED["eve"]]  # not a day before

    await tick(stack, CLINIC, day(30))
    expired = row(
        "p-eve",
        DUO,
        used=0,
        left=0,
        bought=0,
        expires=30,
        price=12_000,
        deferred=0,
        status="expired",
        closed=2,
    )
    await eventually(lambda: expect(holdings(stack, CLINIC, "eve").packages, [expired]))
    assert [
        (each.name, each.currency, each.deferred_minor) for each in read(stack, liability, CLINIC)
    ] == [
        ("Massage trio", "EUR", 30_000),
        ("Facial course of 5", "GBP", 96_000),
        ("Massage trio", "GBP", 16_667),
    ]


async def test_visits_needing_attention_are_the_tenant_s_own_newest_first(
    stack: LoyaltyStack,
) -> None:
    await fed(stack)

    assert read(stack, attention, CLINIC, limit=10, offset=0) == (
        [
            AttentionVisit("ada", "ada-lips", "Lip filler", day(12)),
            AttentionVisit("fay", "fay-m1", "Deep tissue massage", day(10)),
        ],
        2,
    )
    assert read(stack, attention, CLINIC, limit=1, offset=1) == (
        [AttentionVisit("fay", "fay-m1", "Deep tissue massage", day(10))],
        2,
    )
    assert read(stack, attention, OTHER, limit=10, offset=0) == (
        [AttentionVisit("ada", "o-ada-x", "Hot stones", day(11))],
        1,
    )
    other_ada = holdings(stack, OTHER, "ada").packages
    assert [(p.purchase_id, p.price_minor) for p in other_ada] == [("o-p-ada", 9_000)]


async def test_a_rebuild_reads_the_same(stack: LoyaltyStack) -> None:
    await fed(stack)
    await tick(stack, CLINIC, day(30))
    await eventually(lambda: expect(holdings(stack, CLINIC, "eve").packages[0].status, "expired"))
    followed = tables(stack)

    # In pages of two events a client's events meet their row in earlier batches; in one page
    # they share a batch, and the latest snapshot must win.
    for page_size in (2, 5000):
        follower = Follower(stack.settings.database_url, "packages", page_size=page_size)
        try:
            follower.rebuild(lambda _done, _total: None)
        finally:
            follower.close()
        assert tables(stack) == followed
