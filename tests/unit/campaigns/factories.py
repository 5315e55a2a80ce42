"""Small helpers for campaigns domain tests: the test tenant and client, and collected events."""

from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

TENANT = "studio-1"
CLIENT = "client-1"


def new_events(aggregate: Aggregate) -> list[Any]:
    """The aggregate's pending events, collected (typed `Any`: their fields are generated)."""
    return list(aggregate.collect_events())


def event_names(aggregate: Aggregate) -> list[str]:
    """The names of the aggregate's pending events, collected."""
    return [type(each).__name__ for each in aggregate.collect_events()]


def stored_and_replayed(aggregate: Aggregate) -> Any:
    """The aggregate as eventsourcing's default JSON transcoder stores and replays it."""
    store: Application[UUID] = Application()
    store.save(aggregate)
    return store.repository.get(aggregate.id)
