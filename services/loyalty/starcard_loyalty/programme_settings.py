"""The settings use cases (the gateway's settings pages, the CLI): open a tenant's programme,
its milestones, its counting and attendance settings, its time zone and quiet hours, and a
client's original count.

Each change re-reads what it changes and tries again when another writer got there first.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

from eventsourcing.application import AggregateNotFoundError
from starcard_runtime.batching import UnitOfWork
from starcard_runtime.conflicts import retry_on_conflict

from starcard_loyalty.domain.attendance import AttendanceMilestone, AttendanceSettings, Source
from starcard_loyalty.domain.errors import UnknownTenant
from starcard_loyalty.domain.ids import programme_id
from starcard_loyalty.domain.locale_settings import TimeSettings, TimeSettingsChanges
from starcard_loyalty.domain.programme import LoyaltyProgramme, Milestone
from starcard_loyalty.rewards_and_codes import RewardsAndCodes

__all__ = ["SettingsUseCases"]

T = TypeVar("T")


class SettingsUseCases(RewardsAndCodes):
    """A tenant's programme and its settings, and a client's original count."""

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

    def set_attendance_counting(
        self, tenant_id: str, *, source: Source, kinds: Iterable[str]
    ) -> AttendanceSettings:
        wanted = frozenset(kinds)

        def change(programme: LoyaltyProgramme) -> AttendanceSettings:
            programme.set_attendance_counting(source, wanted)
            return programme.attendance

        return self._change_programme(tenant_id, change)

    def put_attendance_milestone(
        self, tenant_id: str, milestone: AttendanceMilestone
    ) -> AttendanceMilestone:
        """Add an attendance automation (give it a new id) or change one."""

        def put(programme: LoyaltyProgramme) -> AttendanceMilestone:
            programme.put_attendance_milestone(milestone)
            return programme.attendance_milestones[milestone.milestone_id]

        return self._change_programme(tenant_id, put)

    def change_attendance_milestone(
        self, tenant_id: str, milestone_id: str, **changes: Any
    ) -> AttendanceMilestone:
        """Change some fields of an automation (or whether it is active), on the programme as
        it is when the change is saved."""
        return self._change_programme(
            tenant_id, lambda p: p.change_attendance_milestone(milestone_id, **changes)
        )

    def delete_attendance_milestone(self, tenant_id: str, milestone_id: str) -> None:
        self._change_programme(tenant_id, lambda p: p.delete_attendance_milestone(milestone_id))

    def change_time_settings(self, tenant_id: str, changes: TimeSettingsChanges) -> TimeSettings:
        """Set the fields in `changes` (a time zone, quiet hours) on the settings as stored when
        the change is saved; they apply from the tenant's next tick."""

        def change(programme: LoyaltyProgramme) -> TimeSettings:
            programme.set_time_settings(
                TimeSettings.parse({**programme.time_settings.to_record(), **changes})
            )
            return programme.time_settings

        return self._change_programme(tenant_id, change)

    def set_original_count(self, tenant_id: str, client_id: str, count: int, at: datetime) -> int:
        """The client's "original milestone": classes before Starcard, added to their total.

        The client's record is written by their partition too: a concurrent change is met by
        reloading and trying again. Returns the client's total under the settings now.
        """

        def set_count(unit: UnitOfWork) -> int:
            rules = self.programme_for(unit, tenant_id).rules()
            client = self.client_for(unit, tenant_id, client_id)
            self._expire_due(unit, client, at)
            fired = client.set_original_count(count, at, rules, self.new_code)
            self._add_codes(unit, client, fired)
            return client.attendance_count(rules)

        return retry_on_conflict(self, set_count)

    def _change_programme(self, tenant_id: str, change: Callable[[LoyaltyProgramme], T]) -> T:
        """Apply a settings change, re-reading and retrying if another one got there first."""

        def apply(unit: UnitOfWork) -> T:
            programme = unit.get(programme_id(tenant_id), LoyaltyProgramme)
            if programme is None:
                raise UnknownTenant(tenant_id)
            return change(programme)

        return retry_on_conflict(self, apply)
