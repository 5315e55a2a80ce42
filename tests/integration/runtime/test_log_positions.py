"""Every event-log follower keeps its position in one table, carried over from where it was."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from starcard_runtime.eventstore import open_event_store
from starcard_runtime.tailer import FormerPosition, LogTailer

from .test_conflicts import SCHEMA, Tallies, Tally

pytestmark = pytest.mark.integration

RELAYS_BEFORE = FormerPosition("ops", "relay_positions", "loyalty")


@pytest.fixture
def store(fresh_database: str) -> Iterator[Tallies]:
    application = open_event_store(Tallies, fresh_database, SCHEMA, pool_size=1)
    application.save(*(Tally(name=f"t{n}") for n in range(5)))
    try:
        yield application
    finally:
        application.close()


@pytest.fixture
def conn(fresh_database: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(fresh_database, autocommit=True) as connection:
        yield connection


def former_relay_at(conn: psycopg.Connection[Any], position: int) -> None:
    conn.execute("CREATE SCHEMA ops")
    conn.execute("CREATE TABLE ops.relay_positions (name text PRIMARY KEY, position bigint)")
    conn.execute("INSERT INTO ops.relay_positions VALUES ('loyalty', %s)", (position,))


def test_a_follower_that_kept_its_position_elsewhere_goes_on_from_it_not_from_zero(
    store: Tallies, conn: psycopg.Connection[Any]
) -> None:
    former_relay_at(conn, 3)
    tailer = LogTailer(store, "relay.loyalty", page_size=10, former=RELAYS_BEFORE)

    position = tailer.stored_position(conn)

    assert position == 3
    assert [n.id for n in tailer.page_after(position)] == [4, 5]


def test_the_carried_over_position_never_overwrites_one_stored_since(
    store: Tallies, conn: psycopg.Connection[Any]
) -> None:
    former_relay_at(conn, 3)
    tailer = LogTailer(store, "relay.loyalty", page_size=10, former=RELAYS_BEFORE)
    tailer.stored_position(conn)
    tailer.store(conn, 5)

    assert tailer.stored_position(conn) == 5


def test_a_new_follower_starts_at_the_beginning_and_reads_a_page_at_a_time(
    store: Tallies, conn: psycopg.Connection[Any]
) -> None:
    tailer = LogTailer(store, "relay.loyalty", page_size=2, former=RELAYS_BEFORE)

    assert tailer.stored_position(conn) == 0
    assert [n.id for n in tailer.page_after(0)] == [1, 2]
    assert tailer.page_after(5) == []
