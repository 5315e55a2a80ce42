"""The attendance router's models (studios): what counts toward a client's attendance
milestone, the automations at the Nth class, a client's original count, the class check-in
screen's count, and tag segments."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from starcard_events.bookings import ServiceKind
from starcard_events.limits import MAX_COUNT, MAX_MESSAGE_LENGTH, TEXT_PATTERN
from starcard_loyalty.api import (
    KINDS,
    TAG,
    AttendanceMilestone,
    AttendanceSettings,
    LoyaltyProgramme,
    Source,
)
from starcard_projections.attendance import CheckInCount, SegmentMember, TagCount

from starcard_gateway.models.common import optional_percent

INCLUDES_THIS_CLASS = "Includes this class"


class AttendanceCounting(BaseModel):
    """What counts toward a client's attendance milestone (Settings, General Client Settings)."""

    model_config = ConfigDict(extra="forbid")

    source: Source = Field(
        description="The source of truth. `bookings` (the default): every booking counts. "
        "`check_ins`: only the classes the client checked in to (a completed appointment is "
        "attended). A cancelled booking never counts.",
        examples=["check_ins"],
    )
    kinds: list[ServiceKind] = Field(
        json_schema_extra={"minItems": 1},
        description="What to count, at least one: `group_class`, `appointment`, `video`. A "
        "check-in whose booking is not known counts as a `group_class`.",
        examples=[["group_class", "appointment"]],
    )

    @classmethod
    def from_settings(cls, settings: AttendanceSettings) -> AttendanceCounting:
        kinds = [ServiceKind(kind) for kind in KINDS if kind in settings.kinds]
        return cls(source=settings.source, kinds=kinds)


class AttendanceMilestoneFields(BaseModel):
    """An automation at a client's `count`th class: an email, a reward and/or a tag; at least
    one of them. Sent to add one (POST) or to change one (PUT)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "anyOf": [
                {"required": ["message"], "properties": {"message": {"type": "string"}}},
                {
                    "required": ["tag"],
                    "properties": {
                        "tag": {"type": "string"},
                        "discount_percent": {"type": "null"},
                    },
                },
            ]
        },
    )

    count: int = Field(
        ge=1,
        le=MAX_COUNT,
        description=f"The class that fires it: 10 for the 10th class (1 to {MAX_COUNT}).",
        examples=[10],
    )
    message: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_MESSAGE_LENGTH,
        json_schema_extra={"pattern": TEXT_PATTERN},
        description="The congratulations email the client receives; null for no email. Up to "
        f"{MAX_MESSAGE_LENGTH} characters, not blank, no control characters.",
        examples=["10 classes! Thank you for practising with us."],
    )
    discount_percent: int | None = optional_percent(
        "A reward: percent off, sent as a single-use code with the message (write one); null "
        "for none. It waits its turn behind a code the client has not used yet.",
        15,
    )
    tag: str | None = Field(
        default=None,
        json_schema_extra={"pattern": TAG.pattern},
        description="A tag that puts the client in a marketing segment: 1 to 50 lowercase "
        "letters, digits, spaces, '-' or '_', starting with a letter or digit; null for none.",
        examples=["ten-classes"],
    )


class AttendanceMilestonePublic(BaseModel):
    milestone_id: str = Field(description="The automation's id within the tenant's programme.")
    count: int = Field(description="The class that fires it.")
    message: str | None = Field(description="The congratulations email, or null.")
    discount_percent: int | None = Field(description="The reward's percent off, or null.")
    tag: str | None = Field(description="The tag it gives the client, or null.")
    active: bool = Field(description="Whether it fires; an inactive one fires for nobody.")

    @classmethod
    def from_domain(cls, milestone: AttendanceMilestone) -> AttendanceMilestonePublic:
        return cls(**asdict(milestone))


class AttendanceMilestonesPublic(BaseModel):
    data: list[AttendanceMilestonePublic] = Field(
        description="Every automation, active or not, lowest count first."
    )
    count: int = Field(description="How many automations there are.")

    @classmethod
    def from_programme(cls, programme: LoyaltyProgramme) -> AttendanceMilestonesPublic:
        ordered = sorted(
            programme.attendance_milestones.values(), key=lambda m: (m.count, m.milestone_id)
        )
        data = [AttendanceMilestonePublic.from_domain(milestone) for milestone in ordered]
        return cls(data=data, count=len(data))


class OriginalCount(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int = Field(
        ge=0,
        le=MAX_COUNT,
        description="The classes the client took before the business used Starcard; 0 clears "
        "it. Automations at or below it were passed before and do not fire.",
        examples=[49],
    )


class OriginalCountPublic(BaseModel):
    client_id: str = Field(description="The tenant's id for the client.")
    original: int = Field(description="The original count as it now stands.")
    total: int = Field(
        description="The client's milestone count: the original count plus what Starcard "
        "counted under the current settings.",
        examples=[50],
    )


class NextAttendanceMilestonePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    milestone_id: str = Field(description="The automation.")
    count: int = Field(description="The class that fires it.")
    to_go: int = Field(description="Classes after this one until it fires; 0: this is the one.")


class CheckInCountPublic(BaseModel):
    """One client's milestone on the class check-in screen."""

    client_id: str = Field(description="The tenant's id for the client.")
    booking_id: str = Field(description="The class booking asked about.")
    kind: ServiceKind = Field(
        description="The class's kind: its booking's when known, else the one asked about."
    )
    booking_known: bool = Field(
        description="Whether Starcard has seen this booking yet; if not, it is counted as a new "
        "class of `kind`."
    )
    count: int = Field(
        description="The client's milestone count, this class included when it counts, even "
        "before check-in. Checking in does not count it again.",
        examples=[10],
    )
    including_this_one: bool = Field(
        description="This class is in `count`. False when it will not count: cancelled, or of "
        "a kind the business does not count."
    )
    tooltip: str | None = Field(
        description=f'"{INCLUDES_THIS_CLASS}" when `including_this_one`; else null.',
        examples=[INCLUDES_THIS_CLASS],
    )
    next_milestone: NextAttendanceMilestonePublic | None = Field(
        description="The first active automation at or after `count` (the one this class "
        "fires when `to_go` is 0); null when there is none."
    )

    @classmethod
    def from_count(cls, client_id: str, booking_id: str, found: CheckInCount) -> CheckInCountPublic:
        upcoming = found.next_milestone
        return cls(
            client_id=client_id,
            booking_id=booking_id,
            kind=ServiceKind(found.kind),
            booking_known=found.booking_known,
            count=found.count,
            including_this_one=found.including_this_one,
            tooltip=INCLUDES_THIS_CLASS if found.including_this_one else None,
            next_milestone=None
            if upcoming is None
            else NextAttendanceMilestonePublic.model_validate(upcoming),
        )


class TagPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    tag: str = Field(description="The tag, as the automation gives it.")
    clients: int = Field(description="How many clients have it.")


class TagsPublic(BaseModel):
    data: list[TagPublic] = Field(description="Every tag given, alphabetically.")
    count: int = Field(description="How many tags there are.")

    @classmethod
    def from_tags(cls, tags: list[TagCount]) -> TagsPublic:
        return cls(data=[TagPublic.model_validate(tag) for tag in tags], count=len(tags))


class SegmentMemberPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    client_id: str = Field(description="The tenant's id for the client.")
    tagged_at: datetime = Field(description="When an automation gave them the tag.")


class SegmentPublic(BaseModel):
    tag: str = Field(description="The segment's tag.")
    data: list[SegmentMemberPublic] = Field(description="One page of its clients, by client id.")
    count: int = Field(description="How many clients have the tag in all.")

    @classmethod
    def from_page(cls, tag: str, members: list[SegmentMember], count: int) -> SegmentPublic:
        data = [SegmentMemberPublic.model_validate(member) for member in members]
        return cls(tag=tag, data=data, count=count)
