"""Runs read-model projections: follows a service's event store, writes views and position together.

Each projection's rows and its position (``read.projection_positions``) change in one transaction,
and that transaction first locks the position row, so a rebuild and a running follower never
interleave. Notification ids are gap-free in commit order because the event store serialises
inserts with a table lock, so following "ids after my position" misses nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from threading import Event
from typing import Any, Protocol

import psycopg
import structlog
from eventsourcing.application import Application
from starcard_loyalty.app import SCHEMA as LOYALTY_SCHEMA
from starcard_loyalty.application import LoyaltyService
from starcard_referrals.app import SCHEMA as REFERRALS_SCHEMA
from starcard_referrals.application import ReferralsService
from starcard_runtime.eventstore import open_event_store

from starcard_projections.attendance import AttendanceProjection
from starcard_projections.loyalty import LoyaltyProjection
from starcard_projections.referrals import ReferralsProjection

log = structlog.get_logger(__name__)

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
    "referrals": (ReferralsProjection, Source(ReferralsService, REFERRALS_SCHEMA)),
}
PROJECTION_NAMES = list(PROJECTIONS)


def migrate(database_url: str) -> None:
    """Create the ``read`` schema and every projection's tables."""
    with psycopg.connect(database_url, autocommit=True) as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('starcard.read.migrate'))")
        conn.execute(POSITIONS_DDL)
        for make, _ in PROJECTIONS.values():
            conn.execute(make().ddl)


class Follower:
    """One projection following one source."""

    def __init__(self, database_url: str, name: str, page_size: int = 5000) -> None:
        make, source = PROJECTIONS[name]
        self.name = name
        self.projection = make()
        self.source = open_event_store(source.application, database_url, source.schema, pool_size=1)
        # Generic plans prepared while the tables were nearly empty stay slow as they grow.
        self.conn = psycopg.connect(database_url, prepare_threshold=None)
        self.page_size = page_size

    def close(self) -> None:
        self.conn.close()
        self.source.close()

    def head(self) -> int:
        """The last notification id of the source."""
        return self.source.recorder.max_notification_id() or 0

    def step(self) -> int:
        """Apply the next page of events; returns how many were applied (0 when caught up)."""
        with self.conn.transaction():
            row = self.conn.execute(
                "INSERT INTO read.projection_positions VALUES (%s, 0)"
                " ON CONFLICT (name) DO UPDATE SET position = read.projection_positions.position"
                " RETURNING position",
                (self.name,),
            ).fetchone()
            position = row[0] if row else 0
            notifications = self.source.recorder.select_notifications(
                start=position + 1, limit=self.page_size
            )
            if not notifications:
                return 0
            began = time.perf_counter()
            events = [self.source.mapper.to_domain_event(n) for n in notifications]
            decoded = time.perf_counter()
            self.projection.apply(self.conn, events)
            log.debug(
                "events projected",
                projection=self.name,
                events=len(events),
                decode_ms=round((decoded - began) * 1000, 1),
                apply_ms=round((time.perf_counter() - decoded) * 1000, 1),
            )
            self.conn.execute(
                "UPDATE read.projection_positions SET position = %s WHERE name = %s",
                (notifications[-1].id, self.name),
            )
            return len(notifications)

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
        """Empty the projection's tables and replay the whole source into them."""
        with self.conn.transaction():
            self.conn.execute(
                "SELECT 1 FROM read.projection_positions WHERE name = %s FOR UPDATE", (self.name,)
            )
            self.conn.execute("TRUNCATE " + ", ".join(self.projection.tables))
            self.conn.execute(
                "UPDATE read.projection_positions SET position = 0 WHERE name = %s", (self.name,)
            )
            self.projection.reset()
        progress(0, self.head())
        return self.catch_up(progress)


def rebuild(database_url: str, name: str, progress: Callable[[int, int], None]) -> int:
    """Rebuild one projection from its source; returns the last event id applied."""
    migrate(database_url)
    follower = Follower(database_url, name)
    try:
        return follower.rebuild(progress)
    finally:
        follower.close()


def follow(database_url: str, stop: Event, idle_seconds: float = 0.05) -> None:
    """Keep every projection up to date until ``stop`` is set."""
    migrate(database_url)
    followers = [Follower(database_url, name) for name in PROJECTION_NAMES]
    try:
        while not stop.is_set():
            applied = 0
            for follower in followers:
                try:
                    applied += follower.step()
                except psycopg.OperationalError:
                    log.warning("database unavailable, retrying", projection=follower.name)
                    follower.conn.close()
                    time.sleep(1)
                    follower.conn = psycopg.connect(database_url, prepare_threshold=None)
            if not applied:
                stop.wait(idle_seconds)
    finally:
        for follower in followers:
            follower.close()
