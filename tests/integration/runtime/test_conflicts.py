"""A use case that loses a version conflict evicts its cached copies and runs again."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID, uuid5

import pytest
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError
from starcard_runtime.batching import BatchApplication, UnitOfWork
from starcard_runtime.conflicts import retry_on_conflict
from starcard_runtime.eventstore import open_event_store
from starcard_runtime.records import InboundRecord

pytestmark = pytest.mark.integration

SCHEMA = "conflicts"
NAMESPACE = UUID("5d4c1a3e-0f9b-4f7e-8f2a-3c1e9b7d6a50")


class Tally(Aggregate):
    """An aggregate two processes write."""

    @staticmethod
    def create_id(name: str) -> UUID:
        return uuid5(NAMESPACE, name)

    def __init__(self, name: str) -> None:
        self.name = name
        self.count = 0

    @event("Added")
    def add(self) -> None:
        self.count += 1


class Tallies(BatchApplication):
    service_name = "tallies"

    def apply_record(self, record: InboundRecord, unit: UnitOfWork) -> None:
        raise NotImplementedError


TALLY = Tally.create_id("visits")


@pytest.fixture
def processes(fresh_database: str) -> Iterator[tuple[Tallies, Tallies]]:
    """Two processes on one event store; the first holds the tally in its working set."""
    first = open_event_store(Tallies, fresh_database, SCHEMA, pool_size=1)
    second = open_event_store(Tallies, fresh_database, SCHEMA, pool_size=1)
    tally = Tally(name="visits")
    first.save(tally)
    first.working_set.put(tally)
    try:
        yield first, second
    finally:
        first.close()
        second.close()


def add_one(application: Tallies) -> None:
    tally: Tally = application.repository.get(TALLY)
    tally.add()
    application.save(tally)


def stored_count(application: Tallies) -> int:
    tally: Tally = application.repository.get(TALLY)
    return tally.count


def test_a_writer_whose_cached_copy_went_stale_reloads_it_and_loses_no_event(
    processes: tuple[Tallies, Tallies],
) -> None:
    first, second = processes
    add_one(second)
    runs: list[int] = []

    def add(unit: UnitOfWork) -> int:
        tally = unit.get(TALLY, Tally)
        assert tally is not None
        runs.append(tally.count)
        tally.add()
        return tally.count

    assert retry_on_conflict(first, add) == 2
    assert runs == [0, 1]  # the stale cached copy, then the one reloaded
    assert stored_count(first) == 2


def test_a_conflict_that_keeps_coming_back_is_raised_after_the_retries_and_nothing_stays_cached(
    processes: tuple[Tallies, Tallies],
) -> None:
    first, second = processes
    runs = 0

    def add_after_another_writer(unit: UnitOfWork) -> None:
        nonlocal runs
        runs += 1
        tally = unit.get(TALLY, Tally, fresh=True)
        assert tally is not None
        add_one(second)
        tally.add()

    with pytest.raises(IntegrityError):
        retry_on_conflict(first, add_after_another_writer)
    assert runs == 1 + Tallies.max_conflict_retries
    assert first.working_set.get(TALLY) is None


def test_a_use_case_that_fails_leaves_no_unsaved_change_in_the_cache(
    processes: tuple[Tallies, Tallies],
) -> None:
    first, _ = processes

    def add_then_refuse(unit: UnitOfWork) -> None:
        tally = unit.get(TALLY, Tally)
        assert tally is not None
        tally.add()
        raise ValueError

    with pytest.raises(ValueError):  # noqa: PT011 - the use case's own refusal, passed through
        retry_on_conflict(first, add_then_refuse)
    assert first.working_set.get(TALLY) is None
    assert stored_count(first) == 0
