"""The loyalty programme of one tenant: its milestones and its counting settings, the
attendance policy of studios (`starcard_loyalty.domain.attendance`), and the tenant's time zone
and quiet hours (`starcard_loyalty.domain.locale_settings`).

Each public verb checks its invariants and decides whether anything changes; the change is then
recorded by a private `@event` method that only applies the fact. So a request that changes
nothing records nothing, and replaying stored events never re-runs today's validation against
facts accepted yesterday.
"""

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from starcard_events.limits import (
    MAX_COUNT,
    MAX_MESSAGE_LENGTH,
    MAX_PERCENT,
    MIN_PERCENT,
    MINUTES_PER_DAY,
    has_control_characters,
)

from starcard_loyalty.domain.attendance import (
    AttendanceMilestone,
    AttendanceSettings,
    Source,
    in_count_order,
)
from starcard_loyalty.domain.counting import CountingRules, Milestone, in_reward_order
from starcard_loyalty.domain.errors import (
    DuplicateMilestone,
    InvalidMilestone,
    InvalidPackageSettings,
    InvalidTierSettings,
    MilestoneNotFound,
)
from starcard_loyalty.domain.ids import programme_id
from starcard_loyalty.domain.locale_settings import QuietHoursRecord, TimeSettings
from starcard_loyalty.domain.package_settings import PACKAGES_OFF, PackageSettings
from starcard_loyalty.domain.packages import Reminders
from starcard_loyalty.domain.points_settings import PointsSettings
from starcard_loyalty.domain.tier_settings import TIERS_OFF, TierSettings
from starcard_loyalty.domain.versions import Versions

POINTS_OFF = PointsSettings()
"""The points settings of a programme that never set them: off."""

__all__ = [
    "CountingRules",
    "LoyaltyProgramme",
    "Milestone",
    "check_milestone_fields",
]


def check_milestone_fields(milestone: Milestone) -> None:
    """Refuse a milestone that could never fire sensibly, saying what to fix."""
    problems = []
    if not milestone.milestone_id.strip():
        problems.append("The milestone id must not be blank.")
    if milestone.session_count < 1:
        problems.append(
            f"The session count must be at least 1 (got {milestone.session_count}): it is the "
            "completed session that triggers the reward, e.g. 5 for the 5th."
        )
    if milestone.session_count > MAX_COUNT:
        problems.append(
            f"The session count must be at most {MAX_COUNT} (got {milestone.session_count}): "
            "pick a session a client can reach."
        )
    if not milestone.message.strip():
        problems.append("The message must not be blank: write the note the client receives.")
    if len(milestone.message) > MAX_MESSAGE_LENGTH:
        problems.append(
            f"The message must be at most {MAX_MESSAGE_LENGTH} characters "
            f"(got {len(milestone.message)}): shorten it."
        )
    if has_control_characters(milestone.message):
        problems.append("The message must not contain control characters: write plain text.")
    percent = milestone.discount_percent
    if percent is not None and not MIN_PERCENT <= percent <= MAX_PERCENT:
        problems.append(
            f"The discount must be between {MIN_PERCENT} and {MAX_PERCENT} percent (got "
            f"{percent}), or left empty for a message-only reward."
        )
    if milestone.min_minutes < 0:
        problems.append(
            f"The minimum session length must be 0 or more minutes (got {milestone.min_minutes}); "
            "0 means sessions of any length count."
        )
    if milestone.min_minutes > MINUTES_PER_DAY:
        problems.append(
            f"The minimum session length must be at most {MINUTES_PER_DAY} minutes, a day (got "
            f"{milestone.min_minutes})."
        )
    if problems:
        raise InvalidMilestone(problems)


class LoyaltyProgramme(Aggregate):
    """A tenant's milestones and the "Count membership and package sessions" toggle.

    Opened with `LoyaltyProgramme(tenant_id=..., name=...)`; its id is `programme_id(tenant_id)`.
    """

    @staticmethod
    def create_id(tenant_id: str) -> UUID:
        """The programme's id follows from its tenant, so any process finds it without a lookup."""
        return programme_id(tenant_id)

    @event("Opened")
    def __init__(self, *, tenant_id: str, name: str) -> None:
        self.tenant_id = tenant_id
        self.name = name
        self.count_discounted_sessions = False
        self.milestones: dict[str, Milestone] = {}
        self.deleted_milestone_ids: set[str] = set()
        self.attendance = AttendanceSettings()
        self.attendance_milestones: dict[str, AttendanceMilestone] = {}
        self.points_versions = Versions(POINTS_OFF)
        self.tier_versions = Versions(TIERS_OFF)
        self.package_versions = Versions(PACKAGES_OFF)
        self.time_settings = TimeSettings()

    @property
    def points(self) -> PointsSettings:
        """The points settings in force now (off until a tenant sets them)."""
        return self.points_versions.now

    def points_settings_at(self, at: datetime) -> PointsSettings:
        """The points settings in force at `at`: a change applies from when it was made, so an
        event of before it, however late it arrives, earns under the settings of its moment."""
        return self.points_versions.at(at)

    def set_points(self, settings: PointsSettings, at: datetime) -> None:
        """Settings → Points: record the new settings, in force from `at` (not before the last
        change: versions stay in time order)."""
        checked = settings.check()
        if checked != self.points:
            since = self.points_versions.since_for(at)
            self._change_points(settings=checked.to_record(), since=since)

    @property
    def tiers(self) -> TierSettings:
        """The tier settings in force now (off until a tenant sets them)."""
        return self.tier_versions.now

    def tier_settings_at(self, at: datetime) -> TierSettings:
        """The tier settings in force at `at` (as for points)."""
        return self.tier_versions.at(at)

    def set_tiers(self, settings: TierSettings, at: datetime) -> None:
        """Settings → Tiers: record the new settings, in force from `at`."""
        checked = settings.check()
        if self.tier_versions.ever(lambda s: s.enabled) and checked.currency != self.tiers.currency:
            msg = (
                f"currency: tiers have counted spend in {self.tiers.currency}; thresholds and "
                f"spend are amounts of it, so it stays {self.tiers.currency}."
            )
            raise InvalidTierSettings([msg])
        if checked != self.tiers:
            self._change_tiers(settings=checked.to_record(), since=self.tier_versions.since_for(at))

    @property
    def packages(self) -> PackageSettings:
        """The package settings in force now (an empty catalogue until a tenant sets them)."""
        return self.package_versions.now

    def package_settings_at(self, at: datetime) -> PackageSettings:
        """The package settings in force at `at`: a purchase takes the catalogue of its moment,
        a refund the policy of its own."""
        return self.package_versions.at(at)

    def package_reminders(self) -> Reminders:
        """When clients are reminded of sessions about to expire: under the settings now."""
        return Reminders(self.packages.reminder_days, self.package_versions.version)

    def set_packages(self, settings: PackageSettings, at: datetime) -> None:
        """Settings → Packages: record the new settings, in force from `at`."""
        checked = settings.check()
        current = self.packages
        if current.catalogue and checked.catalogue and checked.currency != current.currency:
            msg = (
                f"currency: the catalogue's prices are amounts of {current.currency}; remove its "
                "packages first to sell them in another currency (packages already bought keep "
                "theirs)."
            )
            raise InvalidPackageSettings([msg])
        if checked != current:
            since = self.package_versions.since_for(at)
            self._change_packages(settings=checked.to_record(), since=since)

    def set_time_settings(self, settings: TimeSettings) -> None:
        """Settings → Time: the tenant's time zone and quiet hours. The clock reads them when
        it next looks, so they apply from the next tick; nothing already ticked moves."""
        checked = settings.check()
        if checked != self.time_settings:
            self._change_time_settings(**checked.to_record())

    def get_milestone(self, milestone_id: str) -> Milestone:
        """The milestone with this id, or `MilestoneNotFound`."""
        try:
            return self.milestones[milestone_id]
        except KeyError:
            raise MilestoneNotFound(milestone_id) from None

    def active_milestones(self) -> list[Milestone]:
        """The active milestones, fewest sessions first, then the shorter minimum length."""
        return in_reward_order(self.milestones.values())

    def rules(self) -> CountingRules:
        """What a client's record needs to count visits and reach milestones, as of now."""
        return CountingRules(
            count_discounted=self.count_discounted_sessions,
            milestones=tuple(self.active_milestones()),
            attendance=self.attendance,
            attendance_milestones=tuple(in_count_order(self.attendance_milestones.values())),
        )

    def add_milestone(
        self,
        milestone_id: str,
        session_count: int,
        message: str,
        discount_percent: int | None,
        min_minutes: int,
    ) -> None:
        """Add an active milestone: at the `session_count`th qualifying visit of at least
        `min_minutes` minutes, send `message` and, with `discount_percent`, a discount code."""
        self.check_milestone_id_is_new(milestone_id)
        self.check_milestone_fits(
            Milestone(
                milestone_id=milestone_id,
                session_count=session_count,
                message=message,
                discount_percent=discount_percent,
                min_minutes=min_minutes,
                active=True,
            )
        )
        self._add_milestone(
            milestone_id=milestone_id,
            session_count=session_count,
            message=message,
            discount_percent=discount_percent,
            min_minutes=min_minutes,
        )

    def edit_milestone(
        self,
        milestone_id: str,
        session_count: int,
        message: str,
        discount_percent: int | None,
        min_minutes: int,
    ) -> None:
        """Change a milestone's fields (not whether it is active); the same fields change nothing.

        Clients who already reached it keep it: "They never lose a reward they've earned."
        """
        current = self.get_milestone(milestone_id)
        edited = replace(
            current,
            session_count=session_count,
            message=message,
            discount_percent=discount_percent,
            min_minutes=min_minutes,
        )
        self.check_milestone_fits(edited)
        if edited != current:
            self._edit_milestone(
                milestone_id=milestone_id,
                session_count=session_count,
                message=message,
                discount_percent=discount_percent,
                min_minutes=min_minutes,
            )

    def set_milestone_active(self, milestone_id: str, active: bool) -> None:
        """Toggle a milestone ("milestones can be toggled active or inactive"); an inactive
        milestone fires for nobody and is not shown as the next reward."""
        if self.get_milestone(milestone_id).active == active:
            return
        if active:
            self._activate_milestone(milestone_id=milestone_id)
        else:
            self._deactivate_milestone(milestone_id=milestone_id)

    def delete_milestone(self, milestone_id: str) -> None:
        """Delete a milestone; its id is never used again, since clients remember reached
        milestones by id."""
        self.get_milestone(milestone_id)
        self._delete_milestone(milestone_id=milestone_id)

    def set_count_discounted_sessions(self, enabled: bool) -> None:
        """The "Count membership and package sessions" toggle. "With the toggle on, every
        completed appointment counts regardless of how it was discounted"; off, only full-price
        visits count."""
        if enabled != self.count_discounted_sessions:
            self._change_counting(count_discounted_sessions=enabled)

    def set_attendance_counting(self, source: Source, kinds: Iterable[str]) -> None:
        """Settings → General Client Settings: the source of truth and what to count."""
        settings = AttendanceSettings(source=source, kinds=frozenset(kinds)).check()
        if settings != self.attendance:
            self._change_attendance(source=settings.source.value, kinds=sorted(settings.kinds))

    def get_attendance_milestone(self, milestone_id: str) -> AttendanceMilestone:
        try:
            return self.attendance_milestones[milestone_id]
        except KeyError:
            raise MilestoneNotFound(milestone_id) from None

    def put_attendance_milestone(self, milestone: AttendanceMilestone) -> None:
        """Add an automation, or change one; one automation per count."""
        milestone.check()
        if milestone.milestone_id not in self.attendance_milestones:
            self.check_milestone_id_is_new(milestone.milestone_id)
        for other in self.attendance_milestones.values():
            if other.milestone_id != milestone.milestone_id and other.count == milestone.count:
                msg = (
                    f"Attendance milestone {other.milestone_id!r} already fires at class "
                    f"{milestone.count}: edit that one, or pick another count."
                )
                raise DuplicateMilestone(msg)
        if self.attendance_milestones.get(milestone.milestone_id) != milestone:
            self._put_attendance_milestone(
                milestone_id=milestone.milestone_id,
                count=milestone.count,
                message=milestone.message,
                discount_percent=milestone.discount_percent,
                tag=milestone.tag,
                active=milestone.active,
            )

    def change_attendance_milestone(self, milestone_id: str, **changes: Any) -> AttendanceMilestone:
        """Change some of an automation's fields (an unknown one is `MilestoneNotFound`)."""
        changed = replace(self.get_attendance_milestone(milestone_id), **changes)
        self.put_attendance_milestone(changed)
        return self.attendance_milestones[milestone_id]

    def delete_attendance_milestone(self, milestone_id: str) -> None:
        self.get_attendance_milestone(milestone_id)
        self._delete_attendance_milestone(milestone_id=milestone_id)

    def check_milestone_id_is_new(self, milestone_id: str) -> None:
        """Refuse an id in use or once used: clients remember reached milestones by id."""
        if (
            milestone_id in self.milestones
            or milestone_id in self.attendance_milestones
            or milestone_id in self.deleted_milestone_ids
        ):
            msg = f"Milestone id {milestone_id!r} is already used in this programme; use a new id."
            raise DuplicateMilestone(msg)

    def check_milestone_fits(self, milestone: Milestone) -> None:
        """Refuse invalid fields, and a second milestone at the same session count and minimum
        length: the two would always fire together, one milestone told twice."""
        check_milestone_fields(milestone)
        for other in self.milestones.values():
            if (
                other.milestone_id != milestone.milestone_id
                and other.session_count == milestone.session_count
                and other.min_minutes == milestone.min_minutes
            ):
                length = (
                    f"sessions of {milestone.min_minutes}+ minutes"
                    if milestone.min_minutes
                    else "any length"
                )
                msg = (
                    f"Milestone {other.milestone_id!r} already fires at session "
                    f"{milestone.session_count} counting {length}: edit that milestone, or pick "
                    "another session count or minimum length."
                )
                raise DuplicateMilestone(msg)

    @event("MilestoneAdded")
    def _add_milestone(
        self,
        *,
        milestone_id: str,
        session_count: int,
        message: str,
        discount_percent: int | None,
        min_minutes: int,
    ) -> None:
        self.milestones[milestone_id] = Milestone(
            milestone_id=milestone_id,
            session_count=session_count,
            message=message,
            discount_percent=discount_percent,
            min_minutes=min_minutes,
            active=True,
        )

    @event("MilestoneEdited")
    def _edit_milestone(
        self,
        *,
        milestone_id: str,
        session_count: int,
        message: str,
        discount_percent: int | None,
        min_minutes: int,
    ) -> None:
        self.milestones[milestone_id] = replace(
            self.milestones[milestone_id],
            session_count=session_count,
            message=message,
            discount_percent=discount_percent,
            min_minutes=min_minutes,
        )

    @event("MilestoneActivated")
    def _activate_milestone(self, *, milestone_id: str) -> None:
        self.milestones[milestone_id] = replace(self.milestones[milestone_id], active=True)

    @event("MilestoneDeactivated")
    def _deactivate_milestone(self, *, milestone_id: str) -> None:
        self.milestones[milestone_id] = replace(self.milestones[milestone_id], active=False)

    @event("MilestoneDeleted")
    def _delete_milestone(self, *, milestone_id: str) -> None:
        del self.milestones[milestone_id]
        self.deleted_milestone_ids.add(milestone_id)

    @event("CountingChanged")
    def _change_counting(self, *, count_discounted_sessions: bool) -> None:
        self.count_discounted_sessions = count_discounted_sessions

    @event("AttendanceCountingChanged")
    def _change_attendance(self, *, source: str, kinds: list[str]) -> None:
        self.attendance = AttendanceSettings(source=Source(source), kinds=frozenset(kinds))

    @event("AttendanceMilestonePut")
    def _put_attendance_milestone(
        self,
        *,
        milestone_id: str,
        count: int,
        message: str | None,
        discount_percent: int | None,
        tag: str | None,
        active: bool,
    ) -> None:
        self.attendance_milestones[milestone_id] = AttendanceMilestone(
            milestone_id=milestone_id,
            count=count,
            message=message,
            discount_percent=discount_percent,
            tag=tag,
            active=active,
        )

    @event("AttendanceMilestoneDeleted")
    def _delete_attendance_milestone(self, *, milestone_id: str) -> None:
        del self.attendance_milestones[milestone_id]
        self.deleted_milestone_ids.add(milestone_id)

    @event("PointsSettingsChanged")
    def _change_points(self, *, settings: dict[str, Any], since: datetime) -> None:
        self.points_versions.add(since, PointsSettings.from_record(settings))

    @event("TierSettingsChanged")
    def _change_tiers(self, *, settings: dict[str, Any], since: datetime) -> None:
        self.tier_versions.add(since, TierSettings.from_record(settings))

    @event("TimeSettingsChanged")
    def _change_time_settings(
        self, *, time_zone: str, quiet_hours: QuietHoursRecord | None
    ) -> None:
        self.time_settings = TimeSettings.from_record(
            {"time_zone": time_zone, "quiet_hours": quiet_hours}
        )

    @event("PackageSettingsChanged")
    def _change_packages(self, *, settings: dict[str, Any], since: datetime) -> None:
        self.package_versions.add(since, PackageSettings.from_record(settings))
