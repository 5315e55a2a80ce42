"""The process recorder every consuming service writes through.

It records one partition batch as one transaction: the tracking row, the batch's dead letters,
and the new aggregate events. It differs from ``eventsourcing``'s ``PostgresProcessRecorder`` in
how the events go in: binary ``COPY`` instead of an ``INSERT`` of an array of composite values,
which psycopg dumps as text in Python and which cost more than everything else in a batch. The
rest is the library's own: the exclusive table lock that keeps notification ids in commit order,
the ``NOTIFY``, single-row tracking that refuses an offset at or below the stored one, and the
primary key that refuses a second event at the same aggregate version.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresProcessRecorder
from psycopg.sql import SQL, Identifier

from starcard_runtime.dead_letters import INSERT as INSERT_DEAD_LETTER
from starcard_runtime.dead_letters import dead_letter_row
from starcard_runtime.records import DeadLetter


class BatchRecorder(PostgresProcessRecorder):
    """Records a batch's events, dead letters and tracking position atomically."""

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        """Record in one transaction; returns no notification ids (nothing here reads them)."""
        copy_events = SQL(
            "COPY {}.{} (originator_id, originator_version, topic, state)"
            " FROM STDIN (FORMAT BINARY)"
        ).format(Identifier(self.datastore.schema), Identifier(self.events_table_name))
        with (
            self.datastore.get_connection() as conn,
            conn.transaction(),
            conn.cursor() as curs,
        ):
            self._insert_events(curs, stored_events, **kwargs)  # the tracking row
            letters: Sequence[DeadLetter] = kwargs.get("dead_letters", ())
            if letters:
                curs.executemany(INSERT_DEAD_LETTER, [dead_letter_row(x) for x in letters])
            if stored_events:
                self._lock_table(curs)
                self._notify_channel(curs)
                with curs.copy(copy_events) as copy:
                    copy.set_types(["uuid", "int8", "text", "bytea"])
                    for event in stored_events:
                        copy.write_row(
                            (
                                event.originator_id,
                                event.originator_version,
                                event.topic,
                                event.state,
                            )
                        )
