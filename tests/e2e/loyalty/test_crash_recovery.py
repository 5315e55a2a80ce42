"""A loyalty service SIGKILLed in the middle of a large feed loses nothing and doubles nothing.

The service runs as its own process with small batches, so the feed takes many transactions. It is
killed twice: once frozen inside a batch's transaction (the test holds a lock that the batch's
write waits for, so the kill lands between the batch's first statement and its commit), and once
at whatever point it happens to be. Each time a new process takes over from the tracked offsets.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from starcard_events import examples
from starcard_events.topics import BOOKING_EVENTS, booking_key
from starcard_loyalty.app import SCHEMA
from starcard_loyalty.application import LoyaltyService
from starcard_runtime.service import build_application
from starcard_runtime.settings import RuntimeSettings

from tests.e2e.conftest import (
    Platform,
    Published,
    event_count,
    read_list,
    recorded,
    sql,
    tracked_offsets,
)
from tests.support.processes import LoggedProcess, process_env, running
from tests.support.stack import eventually

pytestmark = pytest.mark.e2e

TENANT = "harbour-spa"
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CLIENTS = 500
BATCH_MAX_RECORDS = 200
RESEND_EVERY = 20  # the platform re-sends one record in this many, a little later
MILESTONE_AT = 10


@dataclass
class Feed:
    """The records a platform publishes, and what a user should see once they are processed."""

    records: list[tuple[bytes, bytes]] = field(default_factory=list)
    bookings: list[str] = field(default_factory=list)  # the booking of each record
    stars: Counter[str] = field(default_factory=Counter)
    sessions: Counter[str] = field(default_factory=Counter)

    def expected_list(self) -> list[tuple[str, int, int]]:
        rows = [(client, self.stars[client], self.sessions[client]) for client in self.sessions]
        return sorted(rows, key=lambda row: (-row[1], -row[2], row[0]))


def build_feed() -> Feed:
    """About 20,000 completions over 500 clients (20 to 60 each), one in seven discounted, one
    record in twenty re-sent byte for byte a few hundred records later."""
    feed = Feed()
    visits = [20 + (c * 7) % 41 for c in range(CLIENTS)]
    resends: list[tuple[tuple[bytes, bytes], str]] = []
    for n in range(max(visits)):
        for c, count in enumerate(visits):
            if n >= count:
                continue
            client = f"client-{c:03d}"
            booking = f"{client}-v{n:02d}"
            discounted = (3 * n + c) % 7 == 0
            extra = (
                {"discounts": [examples.discount("promo_code", 1000)], "price_minor": 5000}
                if discounted
                else {}
            )
            event = examples.appointment_completed(
                TENANT,
                START + timedelta(days=n, minutes=len(feed.records) % 600),
                booking_id=booking,
                client_id=client,
                **extra,
            )
            record = (booking_key(TENANT, client), examples.encode(event))
            feed.records.append(record)
            feed.bookings.append(booking)
            feed.sessions[client] += 1
            feed.stars[client] += 0 if discounted else 1
            if len(feed.records) % RESEND_EVERY == 0:
                resends.append((record, booking))
            if len(resends) > 15:
                record, booking = resends.pop(0)
                feed.records.append(record)
                feed.bookings.append(booking)
    for record, booking in resends:
        feed.records.append(record)
        feed.bookings.append(booking)
    return feed


async def wait_for_progress(
    service: LoggedProcess, database_url: str, topic: str, at_least: int, *, within: float = 60.0
) -> int:
    deadline = time.monotonic() + within
    while (done := recorded(database_url, topic)) < at_least:
        service.assert_alive()
        assert time.monotonic() < deadline, f"only {done} records recorded, waited for {at_least}"
        await asyncio.sleep(0.02)
    return done


def blocked_batch_write(database_url: str) -> int:
    """The backend of a batch transaction waiting for the events table's lock."""
    rows = sql(
        database_url,
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock' AND query ILIKE %s",
        ("LOCK TABLE %loyalty_events%",),
    )
    assert rows, "no batch transaction waits for the events table's lock (LOCK TABLE) yet"
    return int(rows[0][0])


def backend_gone(database_url: str, pid: int) -> None:
    rows = sql(database_url, "SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,))
    assert not rows, f"backend {pid} is still there"


async def kill_inside_a_batch(service: LoggedProcess, database_url: str) -> None:
    """SIGKILL the service while one of its batches has begun writing and has not committed.

    A ``SHARE`` lock on the events table lets every read through (the service loading clients,
    the projections following) but holds the batch's ``EXCLUSIVE`` lock, which it takes after
    writing its tracking row in the same transaction.
    """
    with psycopg.connect(database_url) as blocker:
        blocker.execute("LOCK TABLE loyalty.loyalty_events IN SHARE MODE")
        backend = await eventually(lambda: blocked_batch_write(database_url), within=30)
        service.kill()
        service.wait()
        blocker.rollback()
    await eventually(lambda: backend_gone(database_url, backend), within=30)


def assert_store_matches_tracking(
    database_url: str, topic: str, feed: Feed, published: list[Published]
) -> None:
    """The event store holds exactly the bookings of the records at or below the tracked offsets:
    a batch's events and its tracking row were committed together, or neither was."""
    tracked = tracked_offsets(database_url, topic)
    bookings = {
        booking
        for booking, where in zip(feed.bookings, published, strict=True)
        if where.offset <= tracked.get(where.partition, -1)
    }
    assert event_count(database_url, "AppointmentRecorded") == len(bookings)


async def test_a_consumer_killed_mid_batch_and_restarted_ends_with_exact_counts(
    settings: RuntimeSettings, platform: Platform, projections: LoggedProcess
) -> None:
    database_url = settings.database_url
    topic = settings.topic(BOOKING_EVENTS)
    env = process_env(settings, STARCARD_BATCH_MAX_RECORDS=str(BATCH_MAX_RECORDS))
    commands = await asyncio.to_thread(build_application, LoyaltyService, settings, SCHEMA)
    try:
        commands.open_programme(TENANT, "Harbour Spa")
        commands.add_milestone(
            TENANT,
            session_count=MILESTONE_AT,
            message="Ten visits: thank you!",
            discount_percent=10,
            min_minutes=0,
        )
    finally:
        commands.close()
    feed = build_feed()
    total = len(feed.records)
    published = await platform.publish_records(feed.records)
    assert len(published) == total

    # First run: killed while a batch is half-written.
    with running("starcard_loyalty", env) as service:
        done = await wait_for_progress(service, database_url, topic, at_least=2 * BATCH_MAX_RECORDS)
        await kill_inside_a_batch(service, database_url)
    first_kill = recorded(database_url, topic)
    assert done <= first_kill < total, "the service should have been killed mid-stream"
    assert_store_matches_tracking(database_url, topic, feed, published)

    # Second run: killed wherever it happens to be, well past the first kill.
    with running("starcard_loyalty", env) as service:
        await wait_for_progress(service, database_url, topic, at_least=first_kill + total // 3)
        service.kill()
        service.wait()
    second_kill = recorded(database_url, topic)
    assert first_kill < second_kill < total, "the service should have been killed mid-stream"

    # Third run: to the end.
    with running("starcard_loyalty", env) as service:
        await wait_for_progress(service, database_url, topic, at_least=total, within=90)
        expected = feed.expected_list()

        def listed() -> None:
            assert read_list(database_url, TENANT) == expected

        await eventually(listed, within=60)

    distinct_bookings = len(set(feed.bookings))
    assert distinct_bookings < total  # the feed did re-send
    assert event_count(database_url, "AppointmentRecorded") == distinct_bookings
    reached = sum(1 for stars in feed.stars.values() if stars >= MILESTONE_AT)
    assert event_count(database_url, "MilestoneReached") == reached
    assert sql(database_url, "SELECT count(*) FROM ops.dead_letters") == [(0,)]
