"""Following an event store's notification log from a stored position, a page at a time.

The outbox relay and the notifier's dispatcher follow a service's notification log: each reads
the events after its position, acts on them, and moves its position. Notification ids are gap-free
in commit order (the event store serialises inserts with a table lock), so following "ids after
my position" misses nothing. Every follower keeps its position as a row of one table,
``<schema>.log_positions``, in the schema of the log it follows, and writes it on the caller's
connection, so the position commits with what the caller recorded there.

Positions kept before this table existed (``ops.relay_positions``, ``notifier.dispatch_position``)
are carried over the first time a follower starts, never restarted from zero: a relay from zero
would publish every fact again, a dispatcher from zero would read every request again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from eventsourcing.application import Application
from eventsourcing.persistence import Notification
from eventsourcing.postgres import PostgresAggregateRecorder
from psycopg import sql

DDL = sql.SQL("""
CREATE TABLE IF NOT EXISTS {positions} (
    name text PRIMARY KEY,
    position bigint NOT NULL
)
""")

CARRY_OVER = sql.SQL("""
INSERT INTO {positions} (name, position)
SELECT %(name)s, position FROM {former} WHERE name = %(former_name)s
ON CONFLICT (name) DO NOTHING
""")

SELECT = sql.SQL("SELECT position FROM {positions} WHERE name = %s")

UPSERT = sql.SQL(
    "INSERT INTO {positions} (name, position) VALUES (%s, %s)"
    " ON CONFLICT (name) DO UPDATE SET position = excluded.position"
)


@dataclass(frozen=True)
class FormerPosition:
    """Where a follower kept its position before ``log_positions``: a table of the same shape."""

    schema: str
    table: str
    name: str


class LogTailer:
    """Reads `application`'s notification log after a position kept under `name`."""

    def __init__(
        self,
        application: Application[Any],
        name: str,
        *,
        page_size: int,
        former: FormerPosition | None = None,
    ) -> None:
        recorder = application.recorder
        if not isinstance(recorder, PostgresAggregateRecorder):
            msg = "Starcard's event stores run on PostgreSQL"
            raise TypeError(msg)
        self.application = application
        self.name = name
        self.page_size = page_size
        self.former = former
        self.schema = recorder.datastore.schema
        self._positions = sql.Identifier(self.schema, "log_positions")

    def stored_position(self, conn: psycopg.Connection[Any]) -> int:
        """The position stored, 0 if none; creates the table, carrying the former position over."""
        with conn.transaction():
            conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))", (f"starcard.{self.schema}.positions",)
            )
            conn.execute(DDL.format(positions=self._positions))
            if self.former is not None:
                self._carry_over(conn, self.former)
            row = conn.execute(SELECT.format(positions=self._positions), (self.name,)).fetchone()
        return int(row[0]) if row else 0

    def _carry_over(self, conn: psycopg.Connection[Any], former: FormerPosition) -> None:
        found = conn.execute(
            "SELECT to_regclass(%s)", (f"{former.schema}.{former.table}",)
        ).fetchone()
        if found is None or found[0] is None:
            return
        conn.execute(
            CARRY_OVER.format(
                positions=self._positions, former=sql.Identifier(former.schema, former.table)
            ),
            {"name": self.name, "former_name": former.name},
        )

    def page_after(self, position: int) -> Sequence[Notification]:
        """The next notifications of the log after `position`, at most a page of them."""
        return self.application.recorder.select_notifications(
            start=position + 1, limit=self.page_size
        )

    def store(self, conn: psycopg.Connection[Any], position: int) -> None:
        """Keep `position` on `conn`: it commits with the caller's transaction there."""
        conn.execute(UPSERT.format(positions=self._positions), (self.name, position))
