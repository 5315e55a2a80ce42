"""How far each read model is behind its source, and whether the process that follows it lives.

The projections process writes, about once a second, each source's last event id (``head``) and a
heartbeat beside each read model's position (``read.projection_positions``), so that the gateway
and the operator can tell a read model that lags, or one nobody follows any more, from the ``read``
schema alone (they never read a service's own schema).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import class_row

DDL = """
ALTER TABLE read.projection_positions
    ADD COLUMN IF NOT EXISTS head bigint NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS heartbeat_at timestamptz;
"""


@dataclass(frozen=True)
class ReadModelHealth:
    name: str
    position: int
    """The last source event applied."""
    head: int
    """The source's last event, as of the last heartbeat."""
    heartbeat_age_seconds: float | None
    """Seconds since the projections process last said it was following; None if it never has."""
    stale_tenants: int
    """Tenants whose rows stopped at an event this read model could not apply."""
    failures: int
    """Events it could not apply and nobody has resolved yet, whether or not their tenant is
    known."""

    @property
    def lag(self) -> int:
        """Source events not applied yet."""
        return max(self.head - self.position, 0)

    def followed(self, within_seconds: float) -> bool:
        """Whether a projections process has followed this read model lately."""
        return (
            self.heartbeat_age_seconds is not None and self.heartbeat_age_seconds <= within_seconds
        )


def beat(conn: psycopg.Connection[Any], heads: dict[str, int]) -> None:
    """Record each read model's source head and that its follower is alive (caller commits)."""
    conn.cursor().executemany(
        "INSERT INTO read.projection_positions (name, position, head, heartbeat_at)"
        " VALUES (%s, 0, %s, now()) ON CONFLICT (name) DO UPDATE SET"
        " head = excluded.head, heartbeat_at = excluded.heartbeat_at",
        list(heads.items()),
    )


def read_model_health(conn: psycopg.Connection[Any], names: Sequence[str]) -> list[ReadModelHealth]:
    """Every named read model's health, in the order given; one never followed shows position 0."""
    with conn.cursor(row_factory=class_row(ReadModelHealth)) as cur:
        return cur.execute(
            "SELECT n.name, coalesce(p.position, 0) AS position, coalesce(p.head, 0) AS head,"
            " extract(epoch FROM now() - p.heartbeat_at)::float8 AS heartbeat_age_seconds,"
            " (SELECT count(DISTINCT f.tenant_id) FROM read.projection_failures f"
            "  WHERE f.projection = n.name AND f.resolved_at IS NULL"
            "  AND f.tenant_id IS NOT NULL)::int AS stale_tenants,"
            " (SELECT count(*) FROM read.projection_failures f"
            "  WHERE f.projection = n.name AND f.resolved_at IS NULL)::int AS failures"
            " FROM unnest(%s::text[]) WITH ORDINALITY AS n (name, i)"
            " LEFT JOIN read.projection_positions p ON p.name = n.name ORDER BY n.i",
            (list(names),),
        ).fetchall()
