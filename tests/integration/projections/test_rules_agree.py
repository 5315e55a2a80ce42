"""The read models' star, card and attendance counts agree with the loyalty domain's, on any feed.

The loyalty read model keeps one row per recorded appointment and re-derives a client's stars,
and the card's count toward the next milestone, in SQL; the attendance read model keeps one row
per booking and counts attended classes in SQL. Both do so that a change of the tenant's counting
settings re-derives every client in one statement, rather than one event per client of the tenant
in the event store. That SQL is a second copy of the domain's rules (``ClientLoyalty.stars``,
``count_toward``, ``attendance_count``); this property keeps the copies equal: random feeds
(back-to-back parts, discounts, price cuts, labels, bookings of each kind, check-ins before or
after their booking, cancellations, every counting setting) go through the loyalty service's use
cases on a real event store, the projections follow, and every client's figures must be the
domain's.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from eventsourcing.application import AggregateNotFoundError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starcard_loyalty.app import SCHEMA
from starcard_loyalty.application import LoyaltyService
from starcard_loyalty.domain.attendance import KINDS, Source
from starcard_loyalty.domain.client import ClientLoyalty
from starcard_loyalty.domain.counting import Appointment
from starcard_loyalty.domain.ids import client_loyalty_id
from starcard_projections.attendance import attendance_count
from starcard_projections.failures import failures
from starcard_projections.loyalty import client_card, most_loyal
from starcard_projections.runner import Follower, migrate
from starcard_runtime.eventstore import open_event_store

from tests.integration.projections.conftest import in_one_batch

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
CLIENTS = ("ada", "bo")
DISCOUNTS = ("back_to_back", "eco", "promo_code", "label")

appointments = st.fixed_dictionaries(
    {
        "kind": st.just("appointment"),
        "client": st.sampled_from(CLIENTS),
        "minutes": st.sampled_from([30, 45, 60, 90]),
        "price_cut": st.booleans(),
        "discounts": st.frozensets(st.sampled_from(DISCOUNTS), max_size=1),
        "payment_method": st.sampled_from(["card", "card", "card", "package", "gift_card"]),
        "joins_previous": st.booleans(),
    }
)
cancellations = st.fixed_dictionaries(
    {"kind": st.just("cancel"), "client": st.sampled_from(CLIENTS), "which": st.integers(0, 9)}
)
labels = st.fixed_dictionaries(
    {"kind": st.just("label"), "client": st.sampled_from(CLIENTS), "on": st.booleans()}
)
bookings = st.fixed_dictionaries(
    {
        "kind": st.just("booking"),
        "client": st.sampled_from(CLIENTS),
        "service_kind": st.sampled_from(KINDS),
        "which": st.integers(0, 9),
        "new": st.booleans(),
    }
)
check_ins = st.fixed_dictionaries(
    {
        "kind": st.just("check_in"),
        "client": st.sampled_from(CLIENTS),
        "which": st.integers(0, 9),
        "new": st.booleans(),
    }
)
feeds = st.lists(
    st.one_of(appointments, appointments, cancellations, labels, bookings, check_ins),
    max_size=16,
)
attendance_settings = st.tuples(
    st.sampled_from(list(Source)), st.frozensets(st.sampled_from(KINDS), min_size=1)
)


class Feed:
    """Drives the loyalty service's use cases as its Kafka handlers do."""

    def __init__(self, service: LoyaltyService, tenant: str) -> None:
        self.service = service
        self.tenant = tenant
        self.bookings: dict[str, list[str]] = {client: [] for client in CLIENTS}

    def _booking(self, client: str, step: int, op: dict[str, Any]) -> str:
        """A new booking id, or one the client has already (a report of the same booking)."""
        known = self.bookings[client]
        if op["new"] or not known:
            known.append(f"{client}-{step}")
            return known[-1]
        index: int = op["which"] % len(known)
        return known[index]

    def apply(self, step: int, op: dict[str, Any]) -> None:
        client = op["client"]
        at = T0 + timedelta(hours=step)
        if op["kind"] == "booking":
            booking = self._booking(client, step, op)
            in_one_batch(
                self.service,
                lambda unit: self.service.record_booking(
                    unit,
                    self.tenant,
                    client,
                    booking,
                    kind=op["service_kind"],
                    starts_at=at,
                    at=at,
                ),
            )
        if op["kind"] == "check_in":
            booking = self._booking(client, step, op)
            in_one_batch(
                self.service,
                lambda unit: self.service.record_check_in(unit, self.tenant, client, booking, at),
            )
        if op["kind"] == "appointment":
            booking = f"{client}-{step}"
            previous = self.bookings[client][-1:] if op["joins_previous"] else []
            appointment = Appointment(
                booking_id=booking,
                client_id=client,
                visit_key=previous[0] if previous else booking,
                minutes=op["minutes"],
                list_price_minor=6000,
                price_minor=5000 if op["price_cut"] else 6000,
                currency="GBP",
                discount_kinds=op["discounts"],
                payment_method=op["payment_method"],
                occurred_at=at,
                provider_id=None,
            )
            self.bookings[client].append(booking)
            in_one_batch(
                self.service,
                lambda unit: self.service.record_appointment(unit, self.tenant, appointment),
            )
        elif op["kind"] == "cancel" and self.bookings[client]:
            booking = self.bookings[client][op["which"] % len(self.bookings[client])]
            in_one_batch(
                self.service,
                lambda unit: self.service.record_cancellation(
                    unit, self.tenant, client, booking, at
                ),
            )
        elif op["kind"] == "label":
            in_one_batch(
                self.service,
                lambda unit: self.service.record_labels(
                    unit, self.tenant, client, has_label_discount=op["on"], at=at
                ),
            )


@pytest.fixture(scope="module")
def database(database_url: str) -> Iterator[str]:
    """One scratch database for every example (each example is its own tenant)."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    url = database_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def world(database: str) -> Iterator[World]:
    service = open_event_store(LoyaltyService, database, SCHEMA, pool_size=1)
    migrate(database)
    followers = [Follower(database, name) for name in ("loyalty", "attendance")]
    with psycopg.connect(database, autocommit=True) as conn:
        try:
            yield World(service, followers, conn)
        finally:
            for follower in followers:
                follower.close()
            service.close()


@dataclass
class World:
    service: LoyaltyService
    followers: list[Follower]
    conn: psycopg.Connection[Any]

    def project(self) -> None:
        """Catch up; an event a read model could not apply would be skipped for its tenant, and
        the figures compared could agree by chance, so there must be none."""
        for follower in self.followers:
            follower.catch_up()
        assert failures(self.conn) == []


def assert_agree(service: LoyaltyService, conn: psycopg.Connection[Any], tenant: str) -> None:
    rules = service.programme(tenant).rules()
    listed = {row.client_id: row.stars for row in most_loyal(conn, tenant, limit=10, offset=0)[0]}
    for client in CLIENTS:
        try:
            record: ClientLoyalty = service.repository.get(client_loyalty_id(tenant, client))
        except AggregateNotFoundError:  # no event of this client in this feed
            assert client not in listed
            continue
        assert listed[client] == record.stars(rules), client
        assert attendance_count(conn, tenant, client).total == record.attendance_count(rules)
        card = client_card(conn, tenant, client, at=T0)
        milestone = record.next_milestone(rules)
        assert card is not None
        if card.next_reward is None:
            assert milestone is None
        else:
            assert milestone is not None
            assert card.next_reward.milestone_id == milestone.milestone_id
            assert card.next_reward.counted == record.count_toward(milestone, rules), client


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(feed=feeds, attendance=attendance_settings)
def test_read_model_counts_are_the_domains(
    world: World, feed: list[dict[str, Any]], attendance: tuple[Source, frozenset[str]]
) -> None:
    service = world.service
    tenant = f"t{uuid.uuid4().hex[:10]}"
    service.open_programme(tenant, "Studio")
    service.add_milestone(
        tenant, session_count=30, message="Long ones", discount_percent=None, min_minutes=60
    )
    service.add_milestone(
        tenant, session_count=40, message="Any", discount_percent=None, min_minutes=0
    )
    driver = Feed(service, tenant)
    for step, op in enumerate(feed):
        driver.apply(step, op)

    world.project()
    assert_agree(service, world.conn, tenant)

    service.set_count_discounted_sessions(tenant, enabled=True)
    source, kinds = attendance
    service.set_attendance_counting(tenant, source=source, kinds=kinds)
    world.project()
    assert_agree(service, world.conn, tenant)
