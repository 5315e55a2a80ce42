"""Publish-to-email latency: how long after a booking platform publishes a client's qualifying
visit the reward email lands in the client's inbox, at a steady rate.

Every process runs as deployed, each its own subprocess: the loyalty service (consumer, outbox
relay, clock), the projections (unless ``--no-projections``), the notifier (consumer and
dispatcher) and the development SMTP server (``python -m starcard_notifier.mailbox``, aiosmtpd)
on a free port, keeping mail in a temporary folder. The tenant's programme has one milestone at
1 session with a 10% code, so every client's first visit fires a reward and asks for an email.

First each client's ``ClientRegistered`` (with an email address) is published and consumed, so
the notifier knows every address before the clock starts. Then one ``AppointmentCompleted`` per
client is published at a steady rate. A visit's latency runs from the moment it was handed to
the producer to the moment the SMTP server wrote the email to its folder (the ``.eml`` file's
modification time; both clocks are this machine's wall clock). Prints p50/p95/p99/max, the
throughput, and the number of emails, which must equal the number of visits.

Usage: ``uv run python bench/latency.py [--visits 500] [--rate 50]``; it creates and drops its
own database, creates and deletes its own topics, and needs the servers of ``make infra``.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.parser import BytesHeaderParser
from pathlib import Path

import psycopg
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from ingest import scratch_database
from starcard_events import examples
from starcard_events.topics import BOOKING_EVENTS, CLOCK, LOYALTY_FACTS, NOTIFICATIONS, booking_key
from starcard_loyalty.api import LoyaltyService
from starcard_runtime.eventstore import open_event_store
from starcard_runtime.settings import RuntimeSettings

TENANT = "bench-latency-spa"
PARTITIONS = 4
TOPICS = (BOOKING_EVENTS, NOTIFICATIONS, LOYALTY_FACTS, CLOCK)
READY_SECONDS = 60.0
DRAIN_SECONDS = 60.0
STOP_SECONDS = 30.0
POLL_SECONDS = 0.01
LOG_TAIL_CHARS = 4000


def address(client: str) -> str:
    return f"{client}@example.com"


def client_name(i: int) -> str:
    return f"client-{i:05d}"


# -- servers and processes ------------------------------------------------------------------


async def create_topics(bootstrap: str, topics: list[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, PARTITIONS, 1) for topic in topics])
    finally:
        await admin.close()


async def delete_topics(bootstrap: str, prefix: str) -> None:
    """Delete the run's topics (and the dead-letter topics the services made): only ``prefix``'s."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        ours = [topic for topic in await admin.list_topics() if topic.startswith(prefix)]
        if ours:
            await admin.delete_topics(ours)
    finally:
        await admin.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass
class Process:
    """``python -m module``, its output in ``log``."""

    module: str
    popen: subprocess.Popen[bytes]
    log: Path

    def check_alive(self) -> None:
        if self.popen.poll() is not None:
            tail = self.log.read_text(errors="replace")[-LOG_TAIL_CHARS:]
            msg = f"python -m {self.module} exited with {self.popen.returncode}:\n{tail}"
            raise SystemExit(msg)


@contextmanager
def started(module: str, env: Mapping[str, str], logs: Path) -> Iterator[Process]:
    """Run ``python -m module`` for the block; SIGTERM (then SIGKILL) it afterwards."""
    log = logs / f"{module}.log"
    with log.open("ab") as out:
        popen = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", module],
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield Process(module, popen, log)
    finally:
        if popen.poll() is None:
            popen.send_signal(signal.SIGTERM)
            try:
                popen.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                popen.kill()
                popen.wait()


# -- what the run waits for -------------------------------------------------------------------


def tracked(database_url: str, table: str, topic: str) -> int:
    """Records of ``topic`` a service has recorded: its tracked offsets, all partitions."""
    try:
        with psycopg.connect(database_url) as conn:
            row = conn.execute(
                f"SELECT coalesce(sum(notification_id + 1), 0) FROM {table}"
                " WHERE application_name LIKE %s",
                (f"{topic}/%",),
            ).fetchone()
    except psycopg.errors.UndefinedTable:
        return 0
    return int(row[0]) if row else 0


@dataclass
class Arrivals:
    """The mailbox folder, watched: when each client's email was written, and how many came."""

    folder: Path
    seen: set[str] = field(default_factory=set)
    at: dict[str, float] = field(default_factory=dict)  # To address -> first email's mtime
    message_ids: list[str] = field(default_factory=list)
    emails: int = 0

    def scan(self) -> None:
        parser = BytesHeaderParser()
        for path in self.folder.glob("*.eml"):
            if path.name in self.seen:
                continue
            self.seen.add(path.name)
            written = path.stat().st_mtime_ns / 1e9
            headers = parser.parsebytes(path.read_bytes())
            self.emails += 1
            self.message_ids.append(str(headers["Message-ID"]))
            to = str(headers["To"])
            self.at[to] = min(written, self.at.get(to, written))


async def watch(arrivals: Arrivals, stop: asyncio.Event) -> None:
    while not stop.is_set():
        await asyncio.to_thread(arrivals.scan)
        await asyncio.sleep(POLL_SECONDS)
    arrivals.scan()


async def wait_until(
    what: str, done: int, progress: Callable[[], int], processes: list[Process], within: float
) -> None:
    """Poll ``progress()`` until it reaches ``done``; fail if a process died or time ran out."""
    deadline = time.monotonic() + within
    while True:
        reached = await asyncio.to_thread(progress)
        if reached >= done:
            return
        for process in processes:
            process.check_alive()
        if time.monotonic() > deadline:
            raise SystemExit(f"{what}: {reached} of {done} after {within:.0f} s")
        await asyncio.sleep(0.05)


# -- the run -----------------------------------------------------------------------------------


@dataclass
class Run:
    visits: int
    rate: float
    published_at: dict[str, float]  # To address -> when the visit went to the producer
    arrivals: Arrivals
    stages: Stages


@dataclass
class Stages:
    """When each client's reward passed each service, from the events the services stored (an
    event's ``timestamp`` is taken as it is created, inside the batch, just before the commit)."""

    reward_recorded: dict[str, float] = field(default_factory=dict)  # address -> loyalty
    request_recorded: dict[str, float] = field(default_factory=dict)  # address -> notifier


STAGES_SQL = """
SELECT requested.event ->> 'client_id',
       (issued.event -> 'timestamp' ->> '_data_')::timestamptz,
       (requested.event -> 'timestamp' ->> '_data_')::timestamptz
FROM (SELECT convert_from(state, 'UTF8')::jsonb AS event FROM notifier.notifier_events
      WHERE topic LIKE '%:Notification.Requested') AS requested
JOIN (SELECT convert_from(state, 'UTF8')::jsonb AS event FROM loyalty.loyalty_events
      WHERE topic LIKE '%:ClientLoyalty.RewardIssued') AS issued
  ON issued.event ->> 'code' = requested.event ->> 'code'
"""


def read_stages(database_url: str) -> Stages:
    stages = Stages()
    with psycopg.connect(database_url) as conn:
        for client, issued, requested in conn.execute(STAGES_SQL).fetchall():
            stages.reward_recorded[address(client)] = issued.timestamp()
            stages.request_recorded[address(client)] = requested.timestamp()
    return stages


def prepare_programme(database_url: str) -> None:
    loyalty = open_event_store(LoyaltyService, database_url, "loyalty")
    try:
        loyalty.open_programme(TENANT, "Bench Latency Spa")
        loyalty.add_milestone(
            TENANT,
            session_count=1,
            message="Thank you for your first visit!",
            discount_percent=10,
            min_minutes=0,
        )
    finally:
        loyalty.close()


async def publish_steadily(
    producer: AIOKafkaProducer, topic: str, visits: int, rate: float, start: datetime
) -> dict[str, float]:
    """One completion per client, the ``i``th handed to the producer at ``i / rate`` s; returns
    when each client's went (wall clock, by the client's email address)."""
    records = []
    for i in range(visits):
        client = client_name(i)
        completed = examples.appointment_completed(
            TENANT,
            start + timedelta(minutes=i),
            booking_id=f"{client}-v0",
            client_id=client,
            minutes=60,
        )
        records.append((client, booking_key(TENANT, client), examples.encode(completed)))
    published_at: dict[str, float] = {}
    pending = []
    began = time.perf_counter()
    for i, (client, key, value) in enumerate(records):
        delay = began + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        published_at[address(client)] = time.time()
        pending.append(await producer.send(topic, value, key=key))
    await asyncio.gather(*pending)
    return published_at


async def measure(settings: RuntimeSettings, args: argparse.Namespace, workdir: Path) -> Run:
    bootstrap = settings.kafka_bootstrap_servers
    booking_topic = settings.topic(BOOKING_EVENTS)
    await create_topics(bootstrap, [settings.topic(topic) for topic in TOPICS])
    await asyncio.to_thread(prepare_programme, settings.database_url)
    port = free_port()
    folder = workdir / "mailbox"
    env = os.environ | {
        "DATABASE_URL": settings.database_url,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "STARCARD_TOPIC_PREFIX": settings.topic_prefix,
        "STARCARD_LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        "STARCARD_SMTP_HOST": "127.0.0.1",
        "STARCARD_SMTP_PORT": str(port),
        "STARCARD_MAILBOX_DIR": str(folder),
        "STARCARD_NOTIFIER_RETRY_SECONDS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    modules = ["starcard_notifier.mailbox", "starcard_loyalty", "starcard_notifier"]
    if args.projections:
        modules.append("starcard_projections")
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, linger_ms=0)
    with ExitStack() as stack:
        processes = [stack.enter_context(started(module, env, workdir)) for module in modules]
        await wait_until("mailbox listening", 1, lambda: int(listening(port)), processes, 15)
        await producer.start()
        try:
            # Every client's record first, consumed by both services: the notifier knows each
            # address (and both consumers have joined their groups) before the clock starts.
            start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
            for i in range(args.visits):
                client = client_name(i)
                event = examples.client_registered(
                    TENANT, start - timedelta(days=30), client_id=client, email=address(client)
                )
                await producer.send(
                    booking_topic, examples.encode(event), key=booking_key(TENANT, client)
                )
            await producer.flush()
            for table in ("loyalty.loyalty_tracking", "notifier.notifier_tracking"):
                await wait_until(
                    f"client records in {table}",
                    args.visits,
                    functools.partial(tracked, settings.database_url, table, booking_topic),
                    processes,
                    READY_SECONDS,
                )
            arrivals = Arrivals(folder)
            stop = asyncio.Event()
            watcher = asyncio.create_task(watch(arrivals, stop))
            published_at = await publish_steadily(
                producer, booking_topic, args.visits, args.rate, start
            )
            span = max(published_at.values()) - min(published_at.values())
            print(f"  published {args.visits:,} visits in {span:.1f} s")
            await wait_until(
                "emails in the mailbox",
                args.visits,
                lambda: len(arrivals.at),
                processes,
                DRAIN_SECONDS,
            )
            await asyncio.sleep(1.0)  # anything sent twice would arrive about now
            stop.set()
            await watcher
            for process in processes:
                process.check_alive()
        finally:
            await producer.stop()
    stages = await asyncio.to_thread(read_stages, settings.database_url)
    return Run(args.visits, args.rate, published_at, arrivals, stages)


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, round(fraction * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def spans(start: dict[str, float], end: dict[str, float]) -> list[float]:
    """Milliseconds from ``start`` to ``end`` of every client in both, ascending."""
    return sorted((end[to] - at) * 1000.0 for to, at in start.items() if to in end)


def line(label: str, values: list[float]) -> str:
    if not values:
        return f"{label:<37} (none)"
    quantiles = "  ".join(
        f"{name} {percentile(values, q):>6.0f}"
        for name, q in (("p50", 0.50), ("p95", 0.95), ("p99", 0.99))
    )
    return f"{label:<37}{quantiles}  max {values[-1]:>6.0f} ms"


def report(run: Run) -> int:
    arrivals, stages = run.arrivals, run.stages
    latencies = spans(run.published_at, arrivals.at)
    first_publish = min(run.published_at.values())
    last_publish = max(run.published_at.values())
    last_email = max(arrivals.at.values())
    distinct_ids = len(set(arrivals.message_ids))
    print(line("latency  publish -> email kept", latencies))
    print(f"{'':<37}min {latencies[0]:>6.0f} ms, mean {statistics.fmean(latencies):.0f} ms")
    print(
        line("  stage  publish -> reward recorded", spans(run.published_at, stages.reward_recorded))
    )
    print(
        line(
            "  stage  reward -> request recorded",
            spans(stages.reward_recorded, stages.request_recorded),
        )
    )
    print(line("  stage  request -> email kept", spans(stages.request_recorded, arrivals.at)))
    if run.visits > 1 and last_publish > first_publish:
        offered = (run.visits - 1) / (last_publish - first_publish)
        print(
            f"rate     offered                     {offered:>8.1f} visits/s  (target {run.rate:g})"
        )
    window = last_email - first_publish
    print(
        f"rate     delivered                   {len(latencies) / window:>8.1f} emails/s"
        f"  ({len(latencies)} emails from the first publish to the last email, {window:.1f} s)"
    )
    print(
        f"emails   {arrivals.emails} kept, {distinct_ids} distinct Message-IDs,"
        f" {len(arrivals.at)} recipients, for {run.visits} visits"
    )
    ok = arrivals.emails == distinct_ids == len(arrivals.at) == run.visits
    if not ok:
        print("FAILED   the number of emails must equal the number of visits, each sent once")
    return 0 if ok else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--visits", type=int, default=500, help="clients, one visit each")
    parser.add_argument("--rate", type=float, default=50.0, help="visits published per second")
    parser.add_argument(
        "--no-projections",
        dest="projections",
        action="store_false",
        help="do not run the projections beside the services",
    )
    args = parser.parse_args()
    base = RuntimeSettings()
    print(
        f"Latency benchmark: {args.visits:,} first visits at {args.rate:g}/s, each firing a"
        f" reward email; {PARTITIONS} partitions,"
        f" projections {'on' if args.projections else 'off'}"
    )
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    with (
        scratch_database(base.database_url) as database_url,
        tempfile.TemporaryDirectory(prefix="starcard-latency-") as workdir,
    ):
        settings = RuntimeSettings(
            DATABASE_URL=database_url,
            KAFKA_BOOTSTRAP_SERVERS=base.kafka_bootstrap_servers,
            STARCARD_TOPIC_PREFIX=prefix,
        )
        try:
            run = asyncio.run(measure(settings, args, Path(workdir)))
        finally:
            asyncio.run(delete_topics(base.kafka_bootstrap_servers, prefix))
    raise SystemExit(report(run))


if __name__ == "__main__":
    main()
