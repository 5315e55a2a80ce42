"""Attendance milestones, the studio's counting policy (Arketa's "client milestones").

"Milestones track how many classes a client has attended." A tenant chooses the source of truth
(every booking counts, or only the classes the client checked in to) and which kinds count (group
classes, appointments, videos); a cancelled booking never counts. A client's total is their
"original milestone" (classes taken before the business used Starcard) plus what Starcard
counted: "A client has 1 class booked ... You add 49 to their original milestone. Their total
milestone now shows as 50."

At the counts the tenant picks (10th, 50th, 100th...) an automation fires once per client: a
congratulations email, a reward (a discount code, through the same one-outstanding-code queue
as the loyalty milestones), and/or a tag that puts the client in a marketing segment. Milestones
at or below the client's original count were passed before Starcard and do not fire.

The counting settings "apply to all clients going forward": like the loyalty toggle, the count
is re-derived from the recorded bookings under the current settings, and an automation already
fired is never taken back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from starcard_events.limits import (
    MAX_COUNT,
    MAX_MESSAGE_LENGTH,
    MAX_PERCENT,
    MIN_PERCENT,
    has_control_characters,
)

from starcard_loyalty.domain.errors import InvalidMilestone

KINDS = ("group_class", "appointment", "video")
"""What a service can be (`ServiceKind` on the wire); the tenant picks which kinds count."""

TAG = re.compile(r"^[a-z0-9][a-z0-9 _-]{0,49}$")


class Source(StrEnum):
    """The source of truth: bookings, or only checked-in attendance."""

    BOOKINGS = "bookings"
    CHECK_INS = "check_ins"


@dataclass(frozen=True)
class AttendanceSettings:
    """ "By default, Arketa counts all class bookings"; `kinds` are the kinds that count."""

    source: Source = Source.BOOKINGS
    kinds: frozenset[str] = frozenset(KINDS)

    def check(self) -> AttendanceSettings:
        unknown = sorted(self.kinds - set(KINDS))
        if unknown:
            msg = f"Unknown kinds {unknown}: choose among {list(KINDS)}."
            raise InvalidMilestone([msg])
        if not self.kinds:
            raise InvalidMilestone(["Choose at least one kind to count, or nothing ever counts."])
        return self


@dataclass(frozen=True)
class Booked:
    """A booking of the client as attendance counting sees it."""

    kind: str
    starts_at: datetime
    checked_in: bool


def counts(booked: Booked, settings: AttendanceSettings) -> bool:
    """The booking counts: of a counted kind and, when only check-ins count, checked in (a
    completed appointment is attended). Cancellations are left out by the caller."""
    if booked.kind not in settings.kinds:
        return False
    return settings.source is Source.BOOKINGS or booked.checked_in


def attended(bookings: Iterable[Booked], settings: AttendanceSettings) -> int:
    return sum(counts(booked, settings) for booked in bookings)


@dataclass(frozen=True)
class AttendanceMilestone:
    """An automation at the `count`th class: an email `message`, a reward `discount_percent`,
    and/or a `tag`; at least one of them."""

    milestone_id: str
    count: int
    message: str | None
    discount_percent: int | None
    tag: str | None
    active: bool

    def check(self) -> AttendanceMilestone:
        problems = []
        if self.count < 1:
            problems.append(
                f"The count must be at least 1 (got {self.count}), e.g. 10 for the 10th class."
            )
        if self.count > MAX_COUNT:
            problems.append(f"The count must be at most {MAX_COUNT} (got {self.count}).")
        if self.message is not None and not self.message.strip():
            problems.append("The message must not be blank: leave it out to send no email.")
        if self.message is not None and len(self.message) > MAX_MESSAGE_LENGTH:
            problems.append(f"The message must be at most {MAX_MESSAGE_LENGTH} characters.")
        if self.message is not None and has_control_characters(self.message):
            problems.append("The message must not contain control characters: write plain text.")
        percent = self.discount_percent
        if percent is not None and not MIN_PERCENT <= percent <= MAX_PERCENT:
            problems.append(
                f"The reward must be between {MIN_PERCENT} and {MAX_PERCENT} percent, or left out."
            )
        if self.tag is not None and not TAG.fullmatch(self.tag):
            problems.append(
                f"The tag {self.tag!r} must be 1 to 50 lowercase letters, digits, spaces, '-' or "
                "'_', starting with a letter or digit."
            )
        if self.message is None and self.discount_percent is None and self.tag is None:
            problems.append("An automation needs an email message, a reward or a tag.")
        if self.discount_percent is not None and self.message is None:
            problems.append("A reward is emailed with a message: write the message too.")
        if problems:
            raise InvalidMilestone(problems)
        return self


def in_count_order(milestones: Iterable[AttendanceMilestone]) -> list[AttendanceMilestone]:
    """The active automations, lowest count first."""
    return sorted(
        (milestone for milestone in milestones if milestone.active),
        key=lambda milestone: (milestone.count, milestone.milestone_id),
    )
