"""Projections whose events each become parameterised SQL statements.

A batch of events is turned into rows per statement, then each statement runs once with
``executemany``, in the order the projection declares (creations before the events that find
their owner in the rows those creations insert). Owners are found in the tables themselves, so
nothing is cached between batches.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

import psycopg

Row = tuple[Any, ...] | dict[str, Any]
"""The parameters of one statement for one event."""


class StatementProjection:
    """A projection given by its statements (in run order) and what each event makes of them."""

    name: ClassVar[str]
    ddl: ClassVar[str]
    tables: ClassVar[Sequence[str]]
    statements: ClassVar[Sequence[str]]

    def reset(self) -> None:
        """Nothing is cached between batches: owners are found in the tables themselves."""

    @abstractmethod
    def rows(self, event: Any) -> Iterable[tuple[str, Row]]:
        """The statements one event makes, with their parameters; none for events not projected."""

    def apply(self, conn: psycopg.Connection[Any], events: Sequence[Any]) -> None:
        """Apply a batch of domain events inside the caller's transaction."""
        batch: dict[str, list[Row]] = {statement: [] for statement in self.statements}
        for event in events:
            for statement, params in self.rows(event):
                batch[statement].append(params)
        with conn.cursor() as cur:
            for statement, rows in batch.items():
                if rows:
                    cur.executemany(statement, rows)
