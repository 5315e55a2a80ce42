"""Ingest benchmark: how fast AppointmentCompleted records become stars in the read model.

Prints, from one run on one machine:
- the loyalty pipeline's events/s: publish to Kafka -> loyalty service (its own process) ->
  event store -> projections (their own process) -> every star visible in ``read.loyalty_clients``;
- the raw limit: aiokafka consuming the same records, and psycopg COPY of the same rows;
- the event store's own ceiling: batched ``save`` of the same number of aggregate events;
- the ratios of the pipeline to each;
- for each mechanic on the ingest path (``--points``, ``--tiers``, ``--packages``, all by
  default), the same pipeline again on the same feed for a tenant with that mechanic on, in a
  scratch database of its own, and the ratio to the run without: what the mechanic costs in
  percent. That run waits until every completion's mark of the mechanic is in the event store too
  (``PointsAccount.Earned``, ``Membership.SpendCounted``, ``PackageHoldings.UseNoted``), as
  well as its stars in the read model. With packages, each client first buys a package holding
  all their visits, and every completion is paid from it (the tenant counts package sessions
  toward stars, so the stars are the same): the purchases are part of the time measured.

Usage: ``uv run python bench/ingest.py [--events 100000] [--clients 10000] [--no-points]
[--no-tiers] [--no-packages]``; it creates and drops its own databases and topics, and needs the
servers of ``make infra``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import psycopg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from starcard_events import examples
from starcard_events.topics import BOOKING_EVENTS, booking_key
from starcard_loyalty.api import (
    Expiry,
    LoyaltyService,
    Package,
    PackageTerms,
    PointsSettings,
    TierSettings,
)
from starcard_runtime.eventstore import open_event_store
from starcard_runtime.settings import RuntimeSettings

TENANT = "bench-spa"
PARTITIONS = 4
FEED_STARTS = datetime(2026, 1, 5, 9, tzinfo=UTC)

POINTS = PointsSettings(
    enabled=True,
    treatment_rate=100,
    category_rates={"massage": 150},
    expiry=Expiry.AFTER_DAYS,
    expiry_days=365,
)
"""A points programme as a clinic sets it: 1.5 points per £1 on massages, expiry after a year.
No bonus applies to the feed, so each completion earns one ``Earned`` event: the count to wait
for."""

TIERS = TierSettings(enabled=True)
"""The default tiers (VIP from £1,000, Elite from £2,500 in 12 months): each completion counts
once toward the client's tier (one ``SpendCounted``), and clients reach VIP along the feed."""


PACKAGE = Package(
    package_id="massage-pack",
    terms=PackageTerms(name="Massage pack", sessions=1000, categories=("massage",)),
    price_minor=5_000_000,
)
"""A package of massages large enough for every visit of a client in the feed."""


def feed(
    events: int, clients: int, tenant: str = TENANT, *, payment: str = "card"
) -> list[tuple[bytes, bytes]]:
    """`events` completions, round-robin over `clients` clients, a day apart per client."""
    records = []
    for i in range(events):
        client = f"client-{i % clients:05d}"
        visit = i // clients
        completed = examples.appointment_completed(
            tenant,
            FEED_STARTS + timedelta(days=visit, minutes=i % clients),
            booking_id=f"{client}-v{visit}",
            client_id=client,
            minutes=60,
            payment_method=payment,
        )
        records.append((booking_key(tenant, client), examples.encode(completed)))
    return records


def package_feed(events: int, clients: int, tenant: str) -> list[tuple[bytes, bytes]]:
    """Each client buys the package the day before the feed, then every visit is paid from it."""
    purchases = []
    for i in range(clients):
        client = f"client-{i:05d}"
        bought = examples.package_purchased(
            tenant,
            FEED_STARTS - timedelta(days=1),
            purchase_id=f"{client}-pack",
            client_id=client,
            package_id=PACKAGE.package_id,
            price_minor=PACKAGE.price_minor,
        )
        purchases.append((booking_key(tenant, client), examples.encode(bought)))
    return purchases + feed(events, clients, tenant, payment="package")


def sell_packages(service: LoyaltyService, tenant: str, at: datetime) -> None:
    """The package catalogue, and package sessions counted toward stars like any visit."""
    service.change_package_settings(tenant, lambda s: replace(s, catalogue=(PACKAGE,)), at)
    service.set_count_discounted_sessions(tenant, enabled=True)


@dataclass(frozen=True)
class Mechanic:
    """A mechanic a tenant can switch on, what switches it on, the stored event that marks each
    completion it handled, and the feed it runs on."""

    name: str
    switch_on: Callable[[LoyaltyService, str, datetime], object]
    marked_by: str
    feed: Callable[[int, int, str], list[tuple[bytes, bytes]]] = feed


MECHANICS = (
    Mechanic(
        "points", lambda s, t, at: s.set_points_settings(t, POINTS, at), "PointsAccount.Earned"
    ),
    Mechanic(
        "tiers", lambda s, t, at: s.set_tier_settings(t, TIERS, at), "Membership.SpendCounted"
    ),
    Mechanic("packages", sell_packages, "PackageHoldings.UseNoted", package_feed),
)


@contextmanager
def scratch_database(admin_url: str) -> Iterator[str]:
    name = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


@contextmanager
def scratch_settings(base: RuntimeSettings) -> Iterator[RuntimeSettings]:
    """The settings of a run in a scratch database, under topics of its own (deleted after)."""
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    with scratch_database(base.database_url) as database_url:
        try:
            yield RuntimeSettings(
                DATABASE_URL=database_url,
                KAFKA_BOOTSTRAP_SERVERS=base.kafka_bootstrap_servers,
                STARCARD_TOPIC_PREFIX=prefix,
            )
        finally:
            asyncio.run(delete_topics(base.kafka_bootstrap_servers, prefix))


async def delete_topics(bootstrap: str, prefix: str) -> None:
    """Delete the run's topics (and those the services made): only ``prefix``'s. Left behind,
    every run's topics would add to what the broker keeps in memory."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        ours = [topic for topic in await admin.list_topics() if topic.startswith(prefix)]
        if ours:
            await admin.delete_topics(ours)
    finally:
        await admin.close()


@contextmanager
def running(settings: RuntimeSettings, modules: Sequence[str]) -> Iterator[None]:
    """Each of `modules` running as deployed (``python -m``) on `settings`, until the block ends."""
    env = os.environ | {
        "DATABASE_URL": settings.database_url,
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "STARCARD_TOPIC_PREFIX": settings.topic_prefix,
        "STARCARD_LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
    }
    processes = [
        subprocess.Popen([sys.executable, "-m", module], env=env)  # noqa: S603
        for module in modules
    ]
    try:
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(30)


async def create_topic(bootstrap: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, PARTITIONS, 1)])
    finally:
        await admin.close()


async def publish(bootstrap: str, topic: str, records: list[tuple[bytes, bytes]]) -> float:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, linger_ms=20, max_batch_size=512 * 1024, acks=1
    )
    await producer.start()
    began = time.perf_counter()
    try:
        for key, value in records:
            await producer.send(topic, value, key=key)
        await producer.flush()
    finally:
        await producer.stop()
    return time.perf_counter() - began


def visible_sessions(conn: psycopg.Connection[tuple[int]], tenant: str) -> int:
    try:
        row = conn.execute(
            "SELECT coalesce(sum(stars), 0) FROM read.loyalty_clients WHERE tenant_id = %s",
            (tenant,),
        ).fetchone()
    except psycopg.errors.UndefinedTable:
        return 0
    return int(row[0]) if row else 0


def marked(conn: psycopg.Connection[tuple[int]], event_type: str) -> int:
    """Events of `event_type` (``PointsAccount.Earned``...) in the loyalty event store: one per
    completion here."""
    row = conn.execute(
        "SELECT count(*) FROM loyalty.loyalty_events WHERE topic LIKE %s", (f"%:{event_type}",)
    ).fetchone()
    return int(row[0]) if row else 0


def recorded(conn: psycopg.Connection[tuple[int]]) -> int:
    """Records the loyalty service has recorded: the tracked offsets of every partition."""
    row = conn.execute(
        "SELECT coalesce(sum(notification_id + 1), 0) FROM loyalty.loyalty_tracking"
    ).fetchone()
    return int(row[0]) if row else 0


async def pipeline(
    settings: RuntimeSettings,
    records: list[tuple[bytes, bytes]],
    instances: int,
    *,
    tenant: str = TENANT,
    mechanic: Mechanic | None = None,
    completions: int | None = None,
) -> float:
    """Seconds from the first publish until every star is visible (and, with a `mechanic`, every
    completion's mark of it is in the event store); `completions`: how many of the records are
    completions (all, by default)."""
    expected = len(records) if completions is None else completions
    topic = settings.topic(BOOKING_EVENTS)
    await create_topic(settings.kafka_bootstrap_servers, topic)
    commands = open_event_store(LoyaltyService, settings.database_url, "loyalty")
    commands.open_programme(tenant, "Bench Spa")
    # A realistic programme: milestones are checked on every counted visit.
    commands.add_milestone(
        tenant, session_count=5, message="Thanks!", discount_percent=10, min_minutes=0
    )
    commands.add_milestone(
        tenant, session_count=10, message="Ten hours!", discount_percent=25, min_minutes=60
    )
    if mechanic is not None:
        mechanic.switch_on(commands, tenant, FEED_STARTS - timedelta(days=1))
    commands.close()
    with running(settings, ["starcard_loyalty"] * instances + ["starcard_projections"]):
        await asyncio.sleep(3)  # let the consumer join its group before the clock starts
        began = time.perf_counter()
        published = await publish(settings.kafka_bootstrap_servers, topic, records)
        print(f"  published {len(records):,} records in {published:.1f} s")
        recorded_at = None
        # One connection for every poll: a connection each time would take the CPU measured.
        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            while visible_sessions(conn, tenant) < expected or (
                mechanic is not None and marked(conn, mechanic.marked_by) < expected
            ):
                if recorded_at is None and recorded(conn) >= len(records):
                    recorded_at = time.perf_counter() - began
                    print(f"  all recorded in the event store after {recorded_at:.1f} s")
                if time.perf_counter() - began > 600:
                    raise SystemExit("pipeline did not finish within 10 minutes")
                await asyncio.sleep(0.05)
        return time.perf_counter() - began


async def raw_consume(bootstrap: str, topic: str, count: int) -> tuple[float, list[bytes]]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_partition_fetch_bytes=8 * 1024 * 1024,
        fetch_max_bytes=64 * 1024 * 1024,
    )
    await consumer.start()
    values: list[bytes] = []
    began = time.perf_counter()
    try:
        while len(values) < count:
            batch = await consumer.getmany(timeout_ms=1000, max_records=10_000)
            values += [m.value for messages in batch.values() for m in messages if m.value]
    finally:
        elapsed = time.perf_counter() - began
        await consumer.stop()
    return elapsed, values


def raw_copy(database_url: str, values: list[bytes]) -> float:
    with psycopg.connect(database_url) as conn:
        conn.execute("CREATE TABLE bench_copy (n bigint, value bytea)")
        began = time.perf_counter()
        with conn.cursor() as cur, cur.copy("COPY bench_copy (n, value) FROM STDIN") as copy:
            for n, value in enumerate(values):
                copy.write_row((n, value))
        conn.commit()
        return time.perf_counter() - began


class Counter(Aggregate):
    @event("Started")
    def __init__(self, name: str) -> None:
        self.name = name
        self.count = 0

    @event("Incremented")
    def increment(self, booking_id: str, minutes: int) -> None:
        self.count += 1


def store_ceiling(database_url: str, events: int, clients: int, per_transaction: int) -> float:
    """Save ``events`` aggregate events, ``per_transaction`` aggregates' worth per transaction."""
    app: Application[uuid.UUID] = open_event_store(Application, database_url, "ceiling")
    counters = [Counter(name=f"c{i}") for i in range(clients)]
    for start in range(0, clients, per_transaction):
        app.save(*counters[start : start + per_transaction])
    began = time.perf_counter()
    remaining = events - clients
    i = 0
    while remaining > 0:
        chunk = counters[i : i + per_transaction]
        for counter in chunk:
            counter.increment(f"b{remaining}", 60)
        app.save(*chunk)
        remaining -= len(chunk)
        i = (i + per_transaction) % clients
    elapsed = time.perf_counter() - began
    app.close()
    return (events - clients) / elapsed


def mechanic_pipeline(
    base: RuntimeSettings,
    mechanic: Mechanic,
    shape: tuple[int, int],
    *,
    instances: int,
    without: float,
) -> None:
    """The same pipeline and feed shape for a tenant with `mechanic` on, in a scratch database
    and topics of its own (`shape`: completions, clients); prints its rate and its ratio to
    `without` (the rate without it)."""
    events, clients = shape
    tenant = f"{TENANT}-{mechanic.name}"
    with scratch_settings(base) as settings:
        print(f"{mechanic.name} on:")
        elapsed = asyncio.run(
            pipeline(
                settings,
                mechanic.feed(events, clients, tenant),
                instances,
                tenant=tenant,
                mechanic=mechanic,
                completions=events,
            )
        )
    rate = events / elapsed
    label = f"with {mechanic.name}: star + {mechanic.name}"
    print(f"pipeline  {label:<28} {rate:>10,.0f} events/s  ({elapsed:.1f} s)")
    print(f"ratio     {mechanic.name + ' on / off':<28} {rate / without:>10.2f}")
    print(f"{mechanic.name:<9} cost{'':<25}{(1 - rate / without) * 100:>9.1f} %")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument(
        "--instances", type=int, default=1, help="loyalty service processes (one consumer group)"
    )
    for mechanic in MECHANICS:
        parser.add_argument(
            f"--{mechanic.name}",
            action=argparse.BooleanOptionalAction,
            default=True,
            help=f"also run the pipeline for a tenant with {mechanic.name} on, and print the "
            "ratio (default)",
        )
    args = parser.parse_args()
    base = RuntimeSettings()
    records = feed(args.events, args.clients)
    print(
        f"Ingest benchmark: {args.events:,} AppointmentCompleted over {args.clients:,} clients,"
        f" {args.instances} loyalty service process(es), {PARTITIONS} partitions"
    )
    with scratch_settings(base) as settings:
        print("stars only (no points, no tiers, no packages):")
        elapsed = asyncio.run(pipeline(settings, records, args.instances))
        pipeline_rate = args.events / elapsed
        print(
            f"pipeline  publish -> star visible     {pipeline_rate:>10,.0f} events/s"
            f"  ({elapsed:.1f} s)"
        )
        for mechanic in MECHANICS:
            if getattr(args, mechanic.name):
                mechanic_pipeline(
                    base,
                    mechanic,
                    (args.events, args.clients),
                    instances=args.instances,
                    without=pipeline_rate,
                )

        topic = settings.topic(BOOKING_EVENTS)
        consume_s, values = asyncio.run(
            raw_consume(settings.kafka_bootstrap_servers, topic, args.events)
        )
        copy_s = raw_copy(settings.database_url, values)
        consume_rate, copy_rate = args.events / consume_s, args.events / copy_s
        raw_rate = args.events / (consume_s + copy_s)
        print(f"raw       aiokafka consume           {consume_rate:>10,.0f} records/s")
        print(f"raw       psycopg COPY               {copy_rate:>10,.0f} rows/s")
        print(f"raw       consume + COPY             {raw_rate:>10,.0f} records/s")

        ceiling_1 = store_ceiling(
            settings.database_url, min(args.events, args.clients + 2000), args.clients, 1
        )
        ceiling_100 = store_ceiling(settings.database_url, args.events, args.clients, 100)
        ceiling_1000 = store_ceiling(settings.database_url, args.events, args.clients, 1000)
        print(f"store     save, 1 aggregate/tx       {ceiling_1:>10,.0f} events/s")
        print(f"store     save, 100 aggregates/tx    {ceiling_100:>10,.0f} events/s")
        print(f"store     save, 1000 aggregates/tx   {ceiling_1000:>10,.0f} events/s")
        print(f"ratio     pipeline / raw             {pipeline_rate / raw_rate:>10.2f}")
        print(f"ratio     pipeline / store (1000/tx) {pipeline_rate / ceiling_1000:>10.2f}")
        print(f"ratio     pipeline / store (100/tx)  {pipeline_rate / ceiling_100:>10.2f}")


if __name__ == "__main__":
    main()
