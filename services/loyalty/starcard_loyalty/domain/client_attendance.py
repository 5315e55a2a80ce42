"""Attendance bookkeeping of one client: the bookings noted, the check-ins, the original count,
and the automations (see ``attendance``) their total fires.

`ClientAttendance` holds these rules for `ClientLoyalty`, whose own ``@event`` methods record the
facts (``BookingNoted``, ``CheckedIn``, ``OriginalCountSet``, ``AttendanceMilestoneReached``): an
event declared on this class would be stored under this class's topic, and the stored events name
``ClientLoyalty``. An automation's reward goes through the same one-outstanding-code queue as the
loyalty milestones' rewards.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from starcard_events.limits import MAX_COUNT

from starcard_loyalty.domain.attendance import AttendanceMilestone, Booked, attended
from starcard_loyalty.domain.codes import CodeGenerator
from starcard_loyalty.domain.counting import CountingRules, Milestone, Part
from starcard_loyalty.domain.errors import InvalidMilestone
from starcard_loyalty.domain.rewards import IssuedReward, RewardQueue

__all__ = ["ClientAttendance", "as_reward_rule", "attendance_reward_id"]


class ClientAttendance(RewardQueue):
    """What attendance counting knows of a client's record; the state is the record's (set up
    and changed by `ClientLoyalty`'s events)."""

    parts: dict[str, Part]
    cancelled: dict[str, datetime]
    booked: dict[str, Booked]
    checked_in: dict[str, datetime]
    original_count: int
    attendance_reached: dict[str, datetime]
    tags: dict[str, datetime]

    if TYPE_CHECKING:
        # The facts, recorded by `ClientLoyalty`'s own `@event` methods.

        def _note_booking(
            self, *, booking_id: str, kind: str, starts_at: datetime, occurred_at: datetime
        ) -> None: ...

        def _check_in(self, *, booking_id: str, occurred_at: datetime) -> None: ...

        def _set_original_count(self, *, count: int, at: datetime) -> None: ...

        def _reach_attendance(
            self,
            *,
            milestone_id: str,
            count: int,
            message: str | None,
            discount_percent: int | None,
            tag: str | None,
            reached_at: datetime,
            booking_id: str | None,
        ) -> None: ...

    def note_booking(
        self,
        booking_id: str,
        *,
        kind: str,
        starts_at: datetime,
        occurred_at: datetime,
        rules: CountingRules,
        new_code: CodeGenerator,
    ) -> list[IssuedReward]:
        """A booking made: it counts toward attendance milestones when bookings are the source
        of truth. Noted once; returns the rewards its automations issued."""
        issued = self.expire_rewards(occurred_at, new_code)
        before = self._attendance_before(rules)
        if booking_id not in self.booked:
            self._note_booking(
                booking_id=booking_id, kind=kind, starts_at=starts_at, occurred_at=occurred_at
            )
        return issued + self._reach_due_attendance(rules, occurred_at, booking_id, new_code, before)

    def check_in(
        self, booking_id: str, occurred_at: datetime, rules: CountingRules, new_code: CodeGenerator
    ) -> list[IssuedReward]:
        """The client checked in to a class: attended, whenever the booking arrives."""
        issued = self.expire_rewards(occurred_at, new_code)
        before = self._attendance_before(rules)
        if booking_id not in self.checked_in:
            self._check_in(booking_id=booking_id, occurred_at=occurred_at)
        return issued + self._reach_due_attendance(rules, occurred_at, booking_id, new_code, before)

    def set_original_count(
        self, count: int, at: datetime, rules: CountingRules, new_code: CodeGenerator
    ) -> list[IssuedReward]:
        """ "Enter the number of classes they took before joining": added to the total."""
        if not 0 <= count <= MAX_COUNT:
            msg = f"The original count must be 0 to {MAX_COUNT} classes (got {count})."
            raise InvalidMilestone([msg])
        before = self._attendance_before(rules)
        if count != self.original_count:
            self._set_original_count(count=count, at=at)
        return self._reach_due_attendance(rules, at, None, new_code, before)

    def attendance_bookings(self) -> list[Booked]:
        """Every booking attendance may count, cancelled ones left out: the booked ones, the
        completed appointments (attended), and check-ins whose booking has not arrived (a class
        attended)."""
        found: dict[str, Booked] = {}
        for booking_id, booked in self.booked.items():
            found[booking_id] = Booked(booked.kind, booked.starts_at, booking_id in self.checked_in)
        for booking_id, part in self.parts.items():
            found[booking_id] = Booked(part.kind, part.occurred_at, checked_in=True)
        for booking_id, checked_in_at in self.checked_in.items():
            found.setdefault(booking_id, Booked("group_class", checked_in_at, checked_in=True))
        return [booked for booking_id, booked in found.items() if booking_id not in self.cancelled]

    def attendance_count(self, rules: CountingRules) -> int:
        """The total: the original count plus what Starcard counted under the settings now."""
        return self.original_count + attended(self.attendance_bookings(), rules.attendance)

    def _attendance_before(self, rules: CountingRules) -> int | None:
        """The total before an event, when some automation could fire (else not worth it)."""
        return self.attendance_count(rules) if rules.attendance_milestones else None

    def _reach_due_attendance(
        self,
        rules: CountingRules,
        at: datetime,
        booking_id: str | None,
        new_code: CodeGenerator,
        before: int | None,
    ) -> list[IssuedReward]:
        """Fire every automation whose count this event took the total to or past ("when
        someone hits their 10th"), once each. A count the client had already passed when the
        automation was added, or passed by a settings change, is not celebrated late; those at
        or below the original count were passed before Starcard and never fire."""
        if before is None:
            return []
        total = self.attendance_count(rules)
        due = [
            milestone
            for milestone in rules.attendance_milestones
            if milestone.milestone_id not in self.attendance_reached
            and max(before, self.original_count) < milestone.count <= total
        ]
        issued: list[IssuedReward] = []
        for milestone in due:
            self._reach_attendance(
                milestone_id=milestone.milestone_id,
                count=milestone.count,
                message=milestone.message,
                discount_percent=milestone.discount_percent,
                tag=milestone.tag,
                reached_at=at,
                booking_id=booking_id,
            )
            if milestone.message is not None:
                issued += self._reward(as_reward_rule(milestone), at, new_code)
        return issued


def attendance_reward_id(milestone_id: str) -> str:
    """The id an attendance milestone's reward carries among the client's rewards."""
    return f"attendance-{milestone_id}"


def as_reward_rule(milestone: AttendanceMilestone) -> Milestone:
    """An attendance automation's email and reward, as the reward queue knows rewards."""
    if milestone.message is None:  # pragma: no cover - the caller checked
        raise AssertionError(milestone.milestone_id)
    return Milestone(
        milestone_id=attendance_reward_id(milestone.milestone_id),
        session_count=milestone.count,
        message=milestone.message,
        discount_percent=milestone.discount_percent,
        min_minutes=0,
        active=True,
    )
