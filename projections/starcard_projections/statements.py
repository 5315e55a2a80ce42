"""Projections whose events each become parameterised SQL statements.

A batch of events is turned into rows per statement, then each statement runs once with
``executemany``, in the order the projection declares (creations before the events that find
their owner in the rows those creations insert). Owners are found in the tables themselves, so
nothing is cached between batches.

A statement met by most events of a busy log is better a :class:`SetStatement`: the batch's rows
go to the database as one array per column and the statement runs once for all of them, not once
a row (the points projection's were most of its time while a feed was ingested).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import psycopg

Row = tuple[Any, ...] | dict[str, Any]
"""The parameters of one statement for one event."""


def _as_given(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return rows


@dataclass(frozen=True)
class SetStatement:
    """A statement run once for a batch, on its rows passed column by column.

    ``sql`` reads each column as an array parameter named for it (``unnest(%(agg)s::uuid[],
    ...)``). A row may touch what another row of the batch touches (an upsert can affect a row
    only once a statement), so ``merge`` first folds the rows into the ones to run: it must give
    what running them one by one would.
    """

    sql: str
    columns: tuple[str, ...]
    merge: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] = _as_given

    def run(self, cur: psycopg.Cursor[Any], rows: list[Row]) -> None:
        named = [
            row if isinstance(row, dict) else dict(zip(self.columns, row, strict=True))
            for row in rows
        ]
        merged = self.merge(named)
        cur.execute(self.sql, {c: [row[c] for row in merged] for c in self.columns})


Statement = str | SetStatement
"""Run once a row (``executemany``) or once a batch."""


class StatementProjection:
    """A projection given by its statements (in run order) and what each event makes of them."""

    name: ClassVar[str]
    ddl: ClassVar[str]
    tables: ClassVar[Sequence[str]]
    statements: ClassVar[Sequence[Statement]]
    aggregates: ClassVar[frozenset[str] | None] = None
    """The aggregate classes whose events it projects, by the name their events are stored
    under (``module:Name.Event``: a renamed aggregate keeps its old name here too); None: every
    event."""

    def reset(self) -> None:
        """Nothing is cached between batches: owners are found in the tables themselves."""

    @abstractmethod
    def rows(self, event: Any) -> Iterable[tuple[Statement, Row]]:
        """The statements one event makes, with their parameters; none for events not projected."""

    def apply(self, conn: psycopg.Connection[Any], events: Sequence[Any]) -> None:
        """Apply a batch of domain events inside the caller's transaction."""
        batch: dict[Statement, list[Row]] = {statement: [] for statement in self.statements}
        for event in events:
            for statement, params in self.rows(event):
                batch[statement].append(params)
        with conn.cursor() as cur:
            for statement, rows in batch.items():
                if not rows:
                    continue
                if isinstance(statement, SetStatement):
                    statement.run(cur, rows)
                else:
                    cur.executemany(statement, rows)
