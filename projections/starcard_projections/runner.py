"""Runs read-model projections: follows a service's event store, writes views and position together.

Each projection's rows and its position (``read.projection_positions``) change in one transaction,
and that transaction first locks the position row, so a rebuild and a running follower never
interleave. Notification ids are gap-free in commit order because the event store serialises
inserts with a table lock, so following "ids after my position" misses nothing.

An event a projection cannot apply halts only its own tenant: the page is applied again tenant by
tenant, the failing tenant's rows stop just before the event, the failure is recorded
(``starcard_projections.failures``) and that tenant's later events are skipped until the
operator rebuilds its rows; every other tenant moves on. A lost database connection is not such a
failure: it is retried.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from threading import Event
from typing import Any, NamedTuple, Protocol
from uuid import UUID

import psycopg
import structlog
from eventsourcing import persistence as eventsourcing_errors
from eventsourcing.application import Application
from eventsourcing.persistence import Notification
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import resolve_topic
from psycopg.sql import SQL, Identifier
from starcard_loyalty.api import SCHEMA as LOYALTY_SCHEMA
from starcard_loyalty.api import LoyaltyService
from starcard_referrals.api import SCHEMA as REFERRALS_SCHEMA
from starcard_referrals.api import ReferralsService
from starcard_runtime.eventstore import open_event_store

from starcard_projections import failures, health
from starcard_projections.attendance import AttendanceProjection
from starcard_projections.loyalty import LoyaltyProjection
from starcard_projections.packages import PackagesProjection
from starcard_projections.points import PointsProjection
from starcard_projections.referrals import ReferralsProjection
from starcard_projections.tenancy import TenantIndex, declared_tenant
from starcard_projections.tiers import TiersProjection

log = structlog.get_logger(__name__)

SCHEMA_DIGEST_DDL = """
CREATE SCHEMA IF NOT EXISTS read;
CREATE TABLE IF NOT EXISTS read.schema_digest (name text PRIMARY KEY, digest text NOT NULL);
"""

POSITIONS_DDL = """
CREATE SCHEMA IF NOT EXISTS read;
CREATE TABLE IF NOT EXISTS read.projection_positions (
    name text PRIMARY KEY,
    position bigint NOT NULL
);
"""


class Projection(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def ddl(self) -> str: ...

    @property
    def tables(self) -> Sequence[str]: ...

    @property
    def aggregates(self) -> frozenset[str] | None:
        """The aggregate classes whose events it projects, by the name their events are stored
        under (``module:Name.Event``); None: every event."""

    def reset(self) -> None: ...

    def apply(self, conn: psycopg.Connection[Any], events: Sequence[Any]) -> None: ...


@dataclass(frozen=True)
class Source:
    """A service's event store, read through its own application (same mapper, same schema)."""

    application: type[Application[Any]]
    schema: str


PROJECTIONS: dict[str, tuple[Callable[[], Projection], Source]] = {
    "loyalty": (LoyaltyProjection, Source(LoyaltyService, LOYALTY_SCHEMA)),
    "attendance": (AttendanceProjection, Source(LoyaltyService, LOYALTY_SCHEMA)),
    "points": (PointsProjection, Source(LoyaltyService, LOYALTY_SCHEMA)),
    "tiers": (TiersProjection, Source(LoyaltyService, LOYALTY_SCHEMA)),
    "packages": (PackagesProjection, Source(LoyaltyService, LOYALTY_SCHEMA)),
    "referrals": (ReferralsProjection, Source(ReferralsService, REFERRALS_SCHEMA)),
}
PROJECTION_NAMES = list(PROJECTIONS)

SCAN_PAGES = 4
"""A projection of some aggregates looks through at most this many pages of ids a step."""

HEARTBEAT_SECONDS = 1.0
"""How often the follower records its sources' heads and that it is alive."""

RETRY_PAUSE_SECONDS = 0.5
MAX_RETRY_PAUSE_SECONDS = 10.0

RETRIED_ERRORS: tuple[type[Exception], ...] = (
    psycopg.OperationalError,
    psycopg.InterfaceError,
    eventsourcing_errors.OperationalError,
    eventsourcing_errors.InterfaceError,
)
"""Faults of a connection (the read models' or the event store's), waited out by ``follow``."""

# SQLSTATEs of a fault in the connection or the server, not in the event: connection exceptions,
# insufficient resources, the server shutting down, a deadlock or serialisation failure, a lock
# not available. Any other error (a value out of range, a row too big for an index) fails again
# on every retry, so it is the event's failure, and only its tenant's.
TRANSIENT_SQLSTATE_CLASSES = ("08", "53")
TRANSIENT_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "40001", "40P01", "55P03"})


def is_transient(error: psycopg.Error, conn: psycopg.Connection[Any]) -> bool:
    """Whether an error of ``conn`` is the database's passing fault rather than the event's."""
    if conn.broken or conn.closed or isinstance(error, psycopg.InterfaceError):
        return True
    state = error.sqlstate
    if state is None:
        return isinstance(error, psycopg.OperationalError)
    return state[:2] in TRANSIENT_SQLSTATE_CLASSES or state in TRANSIENT_SQLSTATES


def _schema() -> list[str]:
    return [
        POSITIONS_DDL,
        health.DDL,
        failures.DDL,
        *(make().ddl for make, _ in PROJECTIONS.values()),
    ]


def migrate(database_url: str) -> None:
    """Create the ``read`` schema and every projection's tables, unless they are as this code
    wants them already.

    Every process and command runs this on start. ``ALTER TABLE ... IF NOT EXISTS`` takes an
    exclusive lock on its table even when there is nothing to do, and would queue every reader
    behind a long transaction (a tenant's rebuild), so the DDL runs only when its digest changed.
    """
    digest = hashlib.sha256("".join(_schema()).encode()).hexdigest()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(SCHEMA_DIGEST_DDL)
        if _migrated(conn) == digest:
            return
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('starcard.read.migrate'))")
            if _migrated(conn) == digest:
                return
            for ddl in _schema():
                conn.execute(ddl)
            conn.execute(
                "INSERT INTO read.schema_digest VALUES ('read', %s)"
                " ON CONFLICT (name) DO UPDATE SET digest = excluded.digest",
                (digest,),
            )


def _migrated(conn: psycopg.Connection[Any]) -> str | None:
    row = conn.execute("SELECT digest FROM read.schema_digest WHERE name = 'read'").fetchone()
    return row[0] if row else None


class Item(NamedTuple):
    """One notification of the source, decoded, or the error that decoding it raised."""

    notification: Notification
    event: Any

    @property
    def aggregate_id(self) -> UUID:
        return UUID(str(self.notification.originator_id))


class CannotRebuild(Exception):
    """A tenant's rows could not be rebuilt: an event still cannot be applied."""

    def __init__(self, projection: str, tenant_id: str, item: Item, error: Exception) -> None:
        event_id = item.notification.id
        super().__init__(f"{projection}: event {event_id} of {tenant_id} still fails: {error}")
        self.item = item
        self.error = error


class Follower:
    """One projection following one source."""

    def __init__(self, database_url: str, name: str, page_size: int = 5000) -> None:
        make, source = PROJECTIONS[name]
        self.name = name
        self.projection = make()
        self.source = open_event_store(source.application, database_url, source.schema, pool_size=1)
        self.tenants = TenantIndex(self.source)
        # Generic plans prepared while the tables were nearly empty stay slow as they grow.
        self._database_url = database_url
        self.conn = psycopg.connect(database_url, prepare_threshold=None)
        self.page_size = page_size
        self._topics: dict[str, bool] = {}

    def close(self) -> None:
        self.conn.close()
        self.source.close()

    def connection(self) -> psycopg.Connection[Any]:
        """The read models' connection; a new one if the last one broke."""
        if self.conn.closed or self.conn.broken:
            self.conn.close()
            self.conn = psycopg.connect(self._database_url, prepare_threshold=None)
        return self.conn

    def head(self) -> int:
        """The last notification id of the source."""
        return self.source.recorder.max_notification_id() or 0

    def _lock_position(self) -> int:
        row = self.conn.execute(
            "INSERT INTO read.projection_positions (name, position) VALUES (%s, 0)"
            " ON CONFLICT (name) DO UPDATE SET position = read.projection_positions.position"
            " RETURNING position",
            (self.name,),
        ).fetchone()
        return row[0] if row else 0

    def _set_position(self, position: int) -> None:
        self.conn.execute(
            "UPDATE read.projection_positions SET position = %s WHERE name = %s",
            (position, self.name),
        )

    def _read(self, start: int) -> tuple[list[Item], int | None]:
        """The projection's events of the next page from `start`, and the last id the page
        covers (None when there is nothing after `start`).

        A projection of some aggregates only asks the database for their events, over at most
        ``SCAN_PAGES`` pages of ids: the log's other events (most of it, for the points or tiers
        read model) are neither fetched nor decoded, and the position still moves past them.
        """
        aggregates = self.projection.aggregates
        if aggregates is None:
            notifications = self.source.recorder.select_notifications(
                start=start, limit=self.page_size
            )
            last = notifications[-1].id if notifications else None
        else:
            head = self.head()
            if head < start:
                return [], None
            stop = min(head, start + self.page_size * SCAN_PAGES - 1)
            notifications = self._select_of(aggregates, start, stop)
            last = notifications[-1].id if len(notifications) == self.page_size else stop
        items = [Item(n, self._decode(n)) for n in notifications if self._wanted(n.topic)]
        return items, last

    def _select_of(self, aggregates: frozenset[str], start: int, stop: int) -> list[Notification]:
        """Up to a page of the events of `aggregates` with ids from `start` to `stop`, found by
        their stored topic (``module:Aggregate.Event``)."""
        recorder = self.source.recorder
        if not isinstance(recorder, PostgresApplicationRecorder):
            msg = "the projections read an event store on PostgreSQL"
            raise TypeError(msg)
        table = Identifier(recorder.datastore.schema, recorder.events_table_name)
        patterns = [f"%:{name}.%" for name in sorted(aggregates)]
        with recorder.datastore.get_connection() as conn, conn.cursor() as cursor:
            cursor.execute(
                SQL(
                    "SELECT notification_id, originator_id, originator_version, topic, state"
                    " FROM {table} WHERE notification_id BETWEEN %s AND %s"
                    " AND topic LIKE ANY(%s) ORDER BY notification_id LIMIT %s"
                ).format(table=table),
                (start, stop, patterns, self.page_size),
            )
            return [
                Notification(
                    id=row["notification_id"],
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                for row in cursor.fetchall()
            ]

    def _wanted(self, topic: str) -> bool:
        """Whether an event of `topic` is the projection's, told from the topic alone: the
        others are never decoded (points events are half a loyalty log no star view reads)."""
        wanted = self._topics.get(topic)
        if wanted is None:
            aggregates = self.projection.aggregates
            try:
                cls = resolve_topic(topic)
            except Exception:  # an unreadable topic is decoded, to be recorded as a failure
                wanted = True
            else:
                wanted = aggregates is None or cls.__qualname__.split(".")[0] in aggregates
            self._topics[topic] = wanted
        return wanted

    def _decode(self, notification: Notification) -> Any:
        try:
            return self.source.mapper.to_domain_event(notification)
        except Exception as exc:  # an event this code cannot read is a failure like any other
            return exc

    def step(self) -> int:
        """Apply the next page of events; returns how many were read (0 when caught up)."""
        with self.connection().transaction():
            position = self._lock_position()
            items, last = self._read(position + 1)
            if last is None:
                return 0
            began = time.perf_counter()
            stale = failures.stale_tenants(self.conn, self.name)
            if stale:
                tenants = self.tenants.tenants_of([(i.aggregate_id, i.event) for i in items])
                items_kept = [i for i, t in zip(items, tenants, strict=True) if t not in stale]
            else:
                items_kept = items
            self._apply(items_kept)
            log.debug(
                "events projected",
                projection=self.name,
                events=len(items_kept),
                skipped=len(items) - len(items_kept),
                ms=round((time.perf_counter() - began) * 1000, 1),
            )
            self._set_position(last)
            return last - position

    def _apply(self, items: Sequence[Item]) -> None:
        """Apply a page in one go; if it fails, again tenant by tenant, isolating the failure."""
        if not items or self._try(items) is None:
            return
        log.warning("page failed, applying it tenant by tenant", projection=self.name)
        tenants = self.tenants.tenants_of([(i.aggregate_id, i.event) for i in items])
        by_tenant: dict[str | None, list[Item]] = {}
        for item, tenant in zip(items, tenants, strict=True):
            by_tenant.setdefault(tenant, []).append(item)
        for tenant, group in by_tenant.items():
            self._apply_tenant(tenant, group)

    def _apply_tenant(self, tenant_id: str | None, items: Sequence[Item]) -> None:
        """Apply one tenant's events; if they fail, one by one up to the first that fails, which
        is recorded (the tenant's rows stop just before it)."""
        if len(items) > 1 and self._try(items) is None:
            return
        for item in items:
            error = self._try([item])
            if error is None:
                continue
            self._record_failure(tenant_id, item, error)
            if tenant_id is not None:
                return  # the tenant is stale now: its later events wait for a rebuild

    def _try(self, items: Sequence[Item]) -> Exception | None:
        """Apply events in a savepoint; the error if any of them fails (then nothing is applied)."""
        for item in items:
            if isinstance(item.event, Exception):
                return item.event
        try:
            with self.conn.transaction():
                self.projection.apply(self.conn, [i.event for i in items])
        except psycopg.Error as exc:
            if is_transient(exc, self.conn):
                raise
            self.projection.reset()
            return exc
        except Exception as exc:
            self.projection.reset()
            return exc
        return None

    def _record_failure(self, tenant_id: str | None, item: Item, error: BaseException) -> None:
        event_type = item.notification.topic.rpartition(":")[2]
        log.error(
            "read model stopped for a tenant: an event cannot be applied",
            projection=self.name,
            tenant_id=tenant_id,
            notification_id=item.notification.id,
            event_type=event_type,
            error=f"{type(error).__name__}: {error}",
        )
        failures.record(
            self.conn,
            projection=self.name,
            tenant_id=tenant_id,
            notification_id=item.notification.id,
            event_type=event_type,
            aggregate_id=item.aggregate_id,
            error=error,
        )

    def position(self) -> int:
        """The last notification id applied, by this follower or any other."""
        row = self.conn.execute(
            "SELECT position FROM read.projection_positions WHERE name = %s", (self.name,)
        ).fetchone()
        self.conn.commit()
        return row[0] if row else 0

    def catch_up(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Apply pages until none is left; returns the position reached.

        Progress is reported from the shared position, so it stays true while another follower
        (the running projections process) applies some of the pages.
        """
        while self.step():
            if progress is not None:
                progress(self.position(), self.head())
        reached = self.position()
        if progress is not None:
            progress(reached, self.head())
        return reached

    def rebuild(self, progress: Callable[[int, int], None]) -> int:
        """Empty the projection's tables and replay the whole source into them.

        Every recorded failure is resolved first: an event that still cannot be applied is
        recorded again as the replay meets it.
        """
        with self.conn.transaction():
            self._lock_position()
            self.conn.execute("TRUNCATE " + ", ".join(self.projection.tables))
            self.conn.execute(
                "UPDATE read.projection_failures SET resolved_at = now()"
                " WHERE projection = %s AND resolved_at IS NULL",
                (self.name,),
            )
            self._set_position(0)
            self.projection.reset()
        progress(0, self.head())
        return self.catch_up(progress)

    def rebuild_tenant(self, tenant_id: str, progress: Callable[[int, int], None]) -> int:
        """Replace one tenant's rows by a replay of its events; returns the position they reach.

        The running follower is never held up for long: first the tenant is *held* (a marker
        failure, committed, so the follower skips its events from then on), then one transaction
        deletes its rows and replays its events up to the position of that moment without the
        position lock, and only for the short tail since then takes the lock, replays the tail,
        and resolves the tenant's failures (the marker with them). If an event of the tenant
        still cannot be applied, nothing changes, that event is recorded as the tenant's failure
        (it stays stale) and :class:`CannotRebuild` says which.
        """
        with self.conn.transaction():
            snapshot = self._shared_position()
            failures.hold(self.conn, self.name, tenant_id, snapshot)
        try:
            with self.conn.transaction():
                for table in self.projection.tables:
                    self.conn.execute(f"DELETE FROM {table} WHERE tenant_id = %s", (tenant_id,))
                self.projection.reset()
                theirs: set[str] = set()
                self._replay(tenant_id, theirs, 0, snapshot, progress)
                position = self._lock_position()
                self._replay(tenant_id, theirs, snapshot, position, progress)
                failures.release(self.conn, self.name, tenant_id)
                failures.resolve(self.conn, self.name, tenant_id)
        except CannotRebuild as exc:
            self.projection.reset()
            with self.conn.transaction():
                self._record_failure(tenant_id, exc.item, exc.error)
                failures.release(self.conn, self.name, tenant_id)
            raise
        progress(position, position)
        return position

    def _shared_position(self) -> int:
        row = self.conn.execute(
            "SELECT position FROM read.projection_positions WHERE name = %s", (self.name,)
        ).fetchone()
        return row[0] if row else 0

    def _replay(
        self,
        tenant_id: str,
        theirs: set[str],
        after: int,
        stop: int,
        progress: Callable[[int, int], None],
    ) -> None:
        """Apply the tenant's events after `after` up to `stop`, a page at a time."""
        for page in self._pages_of(tenant_id, theirs, after + 1, stop):
            if (error := self._try(page)) is not None:
                failed = next(
                    (i for i in page if self._try([i]) is not None), page[0]
                )  # one by one, rolled back each time, to name the event
                raise CannotRebuild(self.name, tenant_id, failed, error)
            progress(page[-1].notification.id, stop)

    def _pages_of(
        self, tenant_id: str, theirs: set[str], start: int, stop: int
    ) -> Iterator[list[Item]]:
        """The tenant's events from `start` to `stop`, a page at a time, decoding only what it
        must.

        An aggregate's creation event comes before its other events and names its tenant, so one
        pass learns which aggregates are the tenant's (`theirs`, kept between calls).
        """
        while start <= stop:
            notifications = self.source.recorder.select_notifications(
                start=start, limit=self.page_size, stop=stop
            )
            if not notifications:
                return
            page: list[Item] = []
            for n in notifications:
                if not self._wanted(n.topic):
                    continue
                if n.originator_version == 1 or str(n.originator_id) in theirs:
                    event = self._decode(n)
                    if declared_tenant(event) == tenant_id:
                        theirs.add(str(n.originator_id))
                    if str(n.originator_id) in theirs:
                        page.append(Item(n, event))
            if page:
                yield page
            start = notifications[-1].id + 1


def rebuild(database_url: str, name: str, progress: Callable[[int, int], None]) -> int:
    """Rebuild one projection from its source; returns the last event id applied."""
    migrate(database_url)
    follower = Follower(database_url, name)
    try:
        return follower.rebuild(progress)
    finally:
        follower.close()


def rebuild_tenant(
    database_url: str, name: str, tenant_id: str, progress: Callable[[int, int], None]
) -> int:
    """Rebuild one tenant's rows of one projection; returns the position they reach."""
    migrate(database_url)
    follower = Follower(database_url, name)
    try:
        return follower.rebuild_tenant(tenant_id, progress)
    finally:
        follower.close()


def _beat(followers: Sequence[Follower]) -> None:
    """Record each source's head and that the followers live (see ``health``)."""
    heads = {follower.name: follower.head() for follower in followers}
    conn = followers[0].connection()
    with conn.transaction():
        health.beat(conn, heads)


def follow(database_url: str, stop: Event, idle_seconds: float = 0.05) -> None:
    """Keep every projection up to date until ``stop`` is set.

    The database going away (or restarting) is waited out with a growing pause, never a reason
    to stop: each follower reconnects when it next needs its connection.
    """
    migrate(database_url)
    followers = [Follower(database_url, name) for name in PROJECTION_NAMES]
    last_beat = 0.0
    pause = RETRY_PAUSE_SECONDS
    try:
        while not stop.is_set():
            try:
                applied = sum(follower.step() for follower in followers)
                if time.monotonic() - last_beat >= HEARTBEAT_SECONDS:
                    _beat(followers)
                    last_beat = time.monotonic()
            except RETRIED_ERRORS as exc:
                log.warning("database unavailable, retrying", error=type(exc).__name__, pause=pause)
                stop.wait(pause)
                pause = min(pause * 2, MAX_RETRY_PAUSE_SECONDS)
                continue
            pause = RETRY_PAUSE_SECONDS
            if not applied:
                stop.wait(idle_seconds)
    finally:
        for follower in followers:
            follower.close()
