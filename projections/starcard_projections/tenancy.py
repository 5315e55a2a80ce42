"""Which tenant an event of a service's event store belongs to.

Every aggregate is created for one tenant, and its creation event says which (``tenant_id``);
later events name only their aggregate. The index learns tenants from the events it is shown and
asks the source for the creation events of aggregates it has not met, in one query.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

import structlog
from eventsourcing.application import Application
from starcard_runtime.eventstore import select_stored_events

log = structlog.get_logger(__name__)

MAX_REMEMBERED = 500_000
"""Aggregates remembered before the index starts afresh (a few tens of megabytes)."""


def declared_tenant(event: Any) -> str | None:
    """The tenant an event names itself (creation events do), if any."""
    tenant = getattr(event, "tenant_id", None)
    return tenant if isinstance(tenant, str) else None


class TenantIndex:
    """Aggregate id → tenant id, for one source."""

    def __init__(self, source: Application[Any]) -> None:
        self._source = source
        self._tenants: dict[UUID, str | None] = {}

    def tenants_of(self, events: Sequence[tuple[UUID, Any]]) -> list[str | None]:
        """The tenant of each ``(aggregate id, decoded event or None)``; None if it cannot be told.

        An event that could not be decoded is passed as None: its aggregate's creation event
        still tells its tenant.
        """
        self._learn(events)
        unknown = {aggregate for aggregate, _ in events if aggregate not in self._tenants}
        if unknown:
            self._look_up(unknown)
        return [self._tenants.get(aggregate) for aggregate, _ in events]

    def _learn(self, events: Iterable[tuple[UUID, Any]]) -> None:
        if len(self._tenants) > MAX_REMEMBERED:
            self._tenants.clear()
        for aggregate, event in events:
            tenant = declared_tenant(event)
            if tenant is not None:
                self._tenants[aggregate] = tenant

    def _look_up(self, aggregates: set[UUID]) -> None:
        for stored in select_stored_events(self._source, aggregates, first_only=True):
            try:
                event = self._source.mapper.to_domain_event(stored)
            except Exception as exc:
                # An undecodable creation event tells no tenant: its events stay unattributed.
                log.warning(
                    "creation event unreadable",
                    aggregate_id=str(stored.originator_id),
                    error=type(exc).__name__,
                )
                event = None
            self._tenants[UUID(str(stored.originator_id))] = declared_tenant(event)
        for aggregate in aggregates:
            self._tenants.setdefault(aggregate, None)
