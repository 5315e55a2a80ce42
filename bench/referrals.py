"""Referrals benchmark: how fast referral journeys become completed referrals and credits.

Each journey is what a booking platform publishes when a friend follows a client's link, books
and comes in: a ``LinkVisited`` on ``referral.visits.v1`` and a ``BookingCreated`` (carrying the
link's code) and an ``AppointmentCompleted`` on ``booking.events.v1``. Prints, from one run:
- the referrals pipeline's events/s and journeys/s: publish -> referrals service (its own process)
  -> event store -> projections (their own process) -> every referral completed in
  ``read.referral_referees`` and every credit in ``read.referral_credits``;
- the loyalty pipeline on the same number of booking records, measured in the same run, and the
  ratio of the two (a journey writes to four aggregates, two of them shared by several
  partitions: the referrer's credit account and the link).

Usage: ``uv run python bench/referrals.py [--journeys 5000] [--referrers 500]``; it creates and
drops its own databases and topics, and needs the servers of ``make infra``.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime, timedelta

import psycopg
from ingest import TENANT, create_topic, feed, pipeline, publish, running, scratch_settings
from starcard_events import examples
from starcard_events.topics import (
    BOOKING_EVENTS,
    REFERRAL_VISITS,
    booking_key,
    referral_visit_key,
)
from starcard_referrals.api import SCHEMA, ReferralsService, RewardValue
from starcard_runtime.service import build_application
from starcard_runtime.settings import RuntimeSettings

START = datetime(2026, 1, 5, 9, tzinfo=UTC)


def journeys(
    links: list[str], count: int
) -> tuple[list[tuple[bytes, bytes]], list[tuple[bytes, bytes]]]:
    """Visits (keyed by code) and bookings then completions (keyed by friend) of `count` friends."""
    visits, bookings = [], []
    for n in range(count):
        code, friend, at = links[n % len(links)], f"friend-{n:06d}", START + timedelta(minutes=n)
        visit = examples.link_visited(TENANT, at, referral_code=code, visitor_id=f"v{n}")
        visits.append((referral_visit_key(TENANT, code), examples.encode(visit)))
        details = {
            "booking_id": f"{friend}-1",
            "client_id": friend,
            "referral_code": code,
            "referral_visitor_id": f"v{n}",
        }
        key = booking_key(TENANT, friend)
        booked = examples.booking_created(TENANT, at + timedelta(hours=1), **details)
        bookings.append((key, examples.encode(booked)))
        done = examples.appointment_completed(TENANT, at + timedelta(days=3), **details)
        bookings.append((key, examples.encode(done)))
    return visits, bookings


def settled(database_url: str) -> tuple[int, int]:
    """Completed referrals and credits issued, as the read model shows them."""
    with psycopg.connect(database_url) as conn:
        try:
            row = conn.execute(
                "SELECT (SELECT count(completed_at) FROM read.referral_referees),"
                " (SELECT count(*) FROM read.referral_credits)"
            ).fetchone()
        except psycopg.errors.UndefinedTable:
            return 0, 0
    return (int(row[0]), int(row[1])) if row else (0, 0)


async def referral_pipeline(settings: RuntimeSettings, count: int, referrers: int) -> float:
    bootstrap = settings.kafka_bootstrap_servers
    for topic in (REFERRAL_VISITS, BOOKING_EVENTS):
        await create_topic(bootstrap, settings.topic(topic))
    commands = build_application(ReferralsService, settings, SCHEMA)
    commands.open_programme(TENANT, "Bench Spa")
    commands.change_settings(TENANT, reward=RewardValue.of_amount(1000, "GBP"))
    links = [commands.link_for(TENANT, f"client-{n:05d}", START).code for n in range(referrers)]
    commands.close()
    visits, bookings = journeys(links, count)
    with running(settings, ["starcard_referrals", "starcard_projections"]):
        await asyncio.sleep(3)  # let the consumer join its group before the clock starts
        began = time.perf_counter()
        await publish(bootstrap, settings.topic(REFERRAL_VISITS), visits)
        await publish(bootstrap, settings.topic(BOOKING_EVENTS), bookings)
        while settled(settings.database_url) != (count, count):
            if time.perf_counter() - began > 600:
                raise SystemExit("referrals did not settle within 10 minutes")
            await asyncio.sleep(0.05)
        return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--journeys", type=int, default=5000)
    parser.add_argument("--referrers", type=int, default=500)
    args = parser.parse_args()
    base = RuntimeSettings()
    events = 3 * args.journeys
    print(
        f"Referrals benchmark: {args.journeys:,} journeys ({events:,} events) through"
        f" {args.referrers:,} referrers' links; then the loyalty pipeline on as many records"
    )
    with scratch_settings(base) as settings:
        elapsed = asyncio.run(referral_pipeline(settings, args.journeys, args.referrers))
    referral_rate = events / elapsed
    print(
        f"referrals publish -> credit visible    {referral_rate:>10,.0f} events/s"
        f"  {args.journeys / elapsed:>8,.0f} journeys/s  ({elapsed:.1f} s)"
    )
    with scratch_settings(base) as settings:
        loyalty_elapsed = asyncio.run(pipeline(settings, feed(events, args.journeys), 1))
    loyalty_rate = events / loyalty_elapsed
    print(f"loyalty   publish -> star visible      {loyalty_rate:>10,.0f} events/s")
    print(f"ratio     referrals / loyalty         {referral_rate / loyalty_rate:>10.2f}")


if __name__ == "__main__":
    main()
