"""What the read-model tests share: a service's event store, a follower, a reader's connection."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, TypeVar

import psycopg
import pytest
from eventsourcing.application import Application
from starcard_projections.runner import Follower, migrate
from starcard_runtime.batching import BatchApplication, UnitOfWork
from starcard_runtime.eventstore import open_event_store

TApp = TypeVar("TApp", bound=Application[Any])
T = TypeVar("T")

Following = Callable[..., AbstractContextManager[Follower]]
"""``following(name, page_size=...)``: a follower of one projection, closed after the block."""


@contextmanager
def event_store(
    kind: Callable[[dict[str, str]], TApp], database_url: str, schema: str
) -> Iterator[TApp]:
    """A service's application on its schema, closed afterwards."""
    service = open_event_store(kind, database_url, schema, pool_size=1)
    try:
        yield service
    finally:
        service.close()


def in_one_batch(service: BatchApplication, work: Callable[[UnitOfWork], T]) -> T:
    """Do `work` in one unit of work and save what it changed, as a consumer's batch does."""
    unit = UnitOfWork(service)
    result = work(unit)
    service.save(*unit.aggregates.values())
    return result


@pytest.fixture
def following(fresh_database: str) -> Following:
    """``with following("loyalty", page_size=2) as follower``: a projection's follower on the
    test's database, its tables created first."""

    @contextmanager
    def follow(name: str, page_size: int = 5000) -> Iterator[Follower]:
        migrate(fresh_database)
        running = Follower(fresh_database, name, page_size=page_size)
        try:
            yield running
        finally:
            running.close()

    return follow


@pytest.fixture
def conn(fresh_database: str) -> Iterator[psycopg.Connection[Any]]:
    """A plain autocommit connection, as the gateway's pool hands out."""
    with psycopg.connect(fresh_database, autocommit=True) as connection:
        yield connection
