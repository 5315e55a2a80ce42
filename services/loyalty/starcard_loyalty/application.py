"""LoyaltyService: the loyalty use cases, on its own event store (schema ``loyalty``).

Kafka records reach it through :meth:`apply_record` (one partition batch per transaction, see
``starcard_runtime.batching``); the gateway and the CLI call the settings use cases directly.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import ClassVar, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError
from starcard_runtime.batching import BatchApplication, UnitOfWork
from starcard_runtime.records import InboundRecord

from starcard_loyalty.domain.client import ClientLoyalty
from starcard_loyalty.domain.counting import Appointment
from starcard_loyalty.domain.ids import client_loyalty_id, programme_id
from starcard_loyalty.domain.programme import LoyaltyProgramme, Milestone
from starcard_loyalty.handlers import handle_booking_record

T = TypeVar("T")


class UnknownTenant(LookupError):
    """No loyalty programme is open for this tenant."""

    def __init__(self, tenant_id: str) -> None:
        super().__init__(f"unknown tenant '{tenant_id}'")
        self.tenant_id = tenant_id


class LoyaltyService(BatchApplication):
    """Stars, milestones and the tenant's counting settings."""

    name = "loyalty"
    service_name: ClassVar[str] = "loyalty"

    # -- Kafka -------------------------------------------------------------------------------

    def apply_record(self, record: InboundRecord, unit: UnitOfWork) -> None:
        handle_booking_record(self, record, unit)

    def prefetch_ids(self, records: Sequence[InboundRecord]) -> Iterable[UUID]:
        """Booking records are keyed ``tenant_id:client_id``: the key names the client's record."""
        for key in {record.key for record in records if record.key}:
            tenant_id, _, client_id = key.decode(errors="replace").partition(":")
            if client_id:
                yield client_loyalty_id(tenant_id, client_id)

    def programme_for(self, unit: UnitOfWork, tenant_id: str) -> LoyaltyProgramme:
        programme = unit.read(programme_id(tenant_id), LoyaltyProgramme)
        if programme is None:
            raise UnknownTenant(tenant_id)
        return programme

    def client_for(self, unit: UnitOfWork, tenant_id: str, client_id: str) -> ClientLoyalty:
        client = unit.get(client_loyalty_id(tenant_id, client_id), ClientLoyalty)
        if client is None:
            client = ClientLoyalty(tenant_id=tenant_id, client_id=client_id)
            unit.add(client)
        return client

    def record_appointment(
        self, unit: UnitOfWork, tenant_id: str, appointment: Appointment
    ) -> list[Milestone]:
        """A completed appointment: counted once per booking, milestones checked."""
        rules = self.programme_for(unit, tenant_id).rules()
        client = self.client_for(unit, tenant_id, appointment.client_id)
        return client.record_appointment(appointment, rules)

    def record_cancellation(
        self, unit: UnitOfWork, tenant_id: str, client_id: str, booking_id: str, at: datetime
    ) -> None:
        self.programme_for(unit, tenant_id)
        self.client_for(unit, tenant_id, client_id).record_cancellation(booking_id, at)

    def record_labels(
        self,
        unit: UnitOfWork,
        tenant_id: str,
        client_id: str,
        *,
        has_label_discount: bool,
        at: datetime,
    ) -> None:
        self.programme_for(unit, tenant_id)
        client = self.client_for(unit, tenant_id, client_id)
        client.update_labels(has_label_discount, at)

    def check_tenant(self, unit: UnitOfWork, tenant_id: str) -> None:
        """Records of an unknown tenant are refused, even those loyalty ignores."""
        self.programme_for(unit, tenant_id)

    # -- settings (gateway, CLI) ---------------------------------------------------------

    def open_programme(self, tenant_id: str, name: str) -> None:
        """Open the tenant's programme; opening it again changes nothing."""
        try:
            self.repository.get(programme_id(tenant_id))
        except AggregateNotFoundError:
            self.save(LoyaltyProgramme(tenant_id=tenant_id, name=name))

    def programme(self, tenant_id: str) -> LoyaltyProgramme:
        try:
            programme: LoyaltyProgramme = self.repository.get(programme_id(tenant_id))
        except AggregateNotFoundError:
            raise UnknownTenant(tenant_id) from None
        return programme

    def add_milestone(
        self,
        tenant_id: str,
        *,
        session_count: int,
        message: str,
        discount_percent: int | None,
        min_minutes: int,
    ) -> Milestone:
        milestone_id = str(uuid.uuid4())

        def add(programme: LoyaltyProgramme) -> Milestone:
            programme.add_milestone(
                milestone_id, session_count, message, discount_percent, min_minutes
            )
            return programme.milestones[milestone_id]

        return self._change_programme(tenant_id, add)

    def edit_milestone(
        self,
        tenant_id: str,
        milestone_id: str,
        *,
        session_count: int,
        message: str,
        discount_percent: int | None,
        min_minutes: int,
    ) -> Milestone:
        def edit(programme: LoyaltyProgramme) -> Milestone:
            programme.edit_milestone(
                milestone_id, session_count, message, discount_percent, min_minutes
            )
            return programme.milestones[milestone_id]

        return self._change_programme(tenant_id, edit)

    def set_milestone_active(self, tenant_id: str, milestone_id: str, *, active: bool) -> Milestone:
        def toggle(programme: LoyaltyProgramme) -> Milestone:
            programme.set_milestone_active(milestone_id, active)
            return programme.milestones[milestone_id]

        return self._change_programme(tenant_id, toggle)

    def delete_milestone(self, tenant_id: str, milestone_id: str) -> None:
        self._change_programme(tenant_id, lambda p: p.delete_milestone(milestone_id))

    def set_count_discounted_sessions(self, tenant_id: str, *, enabled: bool) -> None:
        self._change_programme(tenant_id, lambda p: p.set_count_discounted_sessions(enabled))

    def _change_programme(
        self, tenant_id: str, change: Callable[[LoyaltyProgramme], T], attempts: int = 5
    ) -> T:
        """Apply a settings change, re-reading and retrying if another one got there first."""
        for attempt in range(attempts):
            programme = self.programme(tenant_id)
            result = change(programme)
            try:
                self.save(programme)
            except IntegrityError:
                if attempt == attempts - 1:
                    raise
                continue
            return result
        raise AssertionError  # pragma: no cover - the loop returns or raises
