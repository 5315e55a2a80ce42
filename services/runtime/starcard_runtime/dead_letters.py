"""The ``ops.dead_letters`` table: every record a service set aside, with its reason.

Rows are written in the same transaction as the consumer's tracking position (see
``starcard_runtime.recorder.BatchRecorder``), so a record is either processed or dead-lettered.
Publishing a row to ``<topic>.dlq`` happens afterwards and is retried until ``published_at`` is set.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from starcard_runtime.records import DeadLetter, InboundRecord

DDL = """
CREATE SCHEMA IF NOT EXISTS ops;
CREATE TABLE IF NOT EXISTS ops.dead_letters (
    id bigserial PRIMARY KEY,
    service text NOT NULL,
    topic text NOT NULL,
    partition integer NOT NULL,
    "offset" bigint NOT NULL,
    key bytea,
    value bytea,
    headers jsonb NOT NULL DEFAULT '[]',
    reason text NOT NULL,
    record_timestamp timestamptz,
    dead_lettered_at timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz,
    replayed_at timestamptz,
    UNIQUE (service, topic, partition, "offset")
);
"""

INSERT = """
INSERT INTO ops.dead_letters
    (service, topic, partition, "offset", key, value, headers, reason, record_timestamp)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (service, topic, partition, "offset") DO NOTHING
"""


def migrate(database_url: str) -> None:
    """Create the dead-letter table; safe to run from many processes at once."""
    with psycopg.connect(database_url, autocommit=True) as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('starcard.ops.migrate'))")
        conn.execute(DDL)


def dead_letter_row(letter: DeadLetter) -> tuple[Any, ...]:
    record = letter.record
    headers = [[name, value.decode("utf-8", "replace")] for name, value in record.headers]
    return (
        letter.service,
        record.topic,
        record.partition,
        record.offset,
        record.key,
        record.value,
        json.dumps(headers),
        letter.reason,
        datetime.fromtimestamp(record.timestamp_ms / 1000, UTC),
    )


@dataclass(frozen=True)
class StoredDeadLetter:
    """A row of ``ops.dead_letters`` as an operator sees it."""

    id: int
    service: str
    reason: str
    record: InboundRecord
    dead_lettered_at: datetime
    published_at: datetime | None
    replayed_at: datetime | None


def _stored(row: dict[str, Any]) -> StoredDeadLetter:
    headers = tuple((name, value.encode()) for name, value in row["headers"])
    record = InboundRecord(
        topic=row["topic"],
        partition=row["partition"],
        offset=row["offset"],
        key=row["key"],
        value=row["value"],
        timestamp_ms=int(row["record_timestamp"].timestamp() * 1000),
        headers=headers,
    )
    return StoredDeadLetter(
        id=row["id"],
        service=row["service"],
        reason=row["reason"],
        record=record,
        dead_lettered_at=row["dead_lettered_at"],
        published_at=row["published_at"],
        replayed_at=row["replayed_at"],
    )


class DeadLetterStore:
    """Reads and marks dead letters for the relay and the operator's CLI."""

    def __init__(self, database_url: str) -> None:
        self._url = database_url

    def _query(self, query: str, params: Sequence[Any] = ()) -> list[StoredDeadLetter]:
        with psycopg.connect(self._url, row_factory=dict_row) as conn:
            return [_stored(row) for row in conn.execute(query, params).fetchall()]

    def list(self, *, service: str | None = None, limit: int = 100) -> list[StoredDeadLetter]:
        """Newest first, optionally for one service."""
        return self._query(
            "SELECT * FROM ops.dead_letters WHERE %s::text IS NULL OR service = %s"
            " ORDER BY id DESC LIMIT %s",
            (service, service, limit),
        )

    def get(self, ids: Sequence[int]) -> builtins.list[StoredDeadLetter]:
        return self._query(
            "SELECT * FROM ops.dead_letters WHERE id = ANY(%s) ORDER BY id", (list(ids),)
        )

    def unpublished(self, service: str) -> builtins.list[StoredDeadLetter]:
        return self._query(
            "SELECT * FROM ops.dead_letters WHERE service = %s AND published_at IS NULL"
            " ORDER BY id",
            (service,),
        )

    def mark(self, column: str, ids: Sequence[int]) -> None:
        """Stamp ``published_at`` or ``replayed_at`` on the given rows."""
        if column not in {"published_at", "replayed_at"}:
            raise ValueError(column)
        with psycopg.connect(self._url) as conn:
            conn.execute(
                f"UPDATE ops.dead_letters SET {column} = now() WHERE id = ANY(%s)", (list(ids),)
            )
