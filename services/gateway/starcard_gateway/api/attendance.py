"""Attendance milestones (studios) under ``/v1/loyalty``: what counts, the automations, a
client's original count, the class check-in screen's count, and the segments tags make.

Settings and automations are read from and written to the tenant's programme, so a change shows
at once; counts, tags and segments come from the ``read`` schema, a moment behind the pipeline.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Path, Query, status
from starcard_events.bookings import ServiceKind
from starcard_events.envelope import EXTERNAL_ID_PATTERN
from starcard_loyalty.api import TAG, AttendanceMilestone, LoyaltyService
from starcard_projections.attendance import check_in_count, segment, tags

from starcard_gateway.api.loyalty import ClientIdPath, PageOffset, PageSize
from starcard_gateway.deps import LoyaltyDep, ReadConnDep, TenantDep, tenant_router
from starcard_gateway.errors import refusal
from starcard_gateway.models.attendance import (
    AttendanceCounting,
    AttendanceMilestoneFields,
    AttendanceMilestonePublic,
    AttendanceMilestonesPublic,
    CheckInCountPublic,
    OriginalCount,
    OriginalCountPublic,
    SegmentPublic,
    TagsPublic,
)
from starcard_gateway.models.loyalty import MilestoneActivity

UNKNOWN = refusal(404, "No such automation in the tenant's programme.")
TAKEN = refusal(409, "Another automation fires at that count.")

AutomationIdPath = Annotated[
    str, Path(pattern=EXTERNAL_ID_PATTERN, description="The automation's id, as it was added.")
]

router = tenant_router("/v1/loyalty", "attendance")


@router.get(
    "/settings/attendance",
    summary="What counts toward attendance milestones: source of truth and kinds",
)
def read_attendance_counting(tenant_id: TenantDep, loyalty: LoyaltyDep) -> AttendanceCounting:
    """By default every booking of every kind counts."""
    return AttendanceCounting.from_settings(loyalty.programme(tenant_id).attendance)


@router.put(
    "/settings/attendance",
    summary="Choose what counts toward attendance milestones",
)
def set_attendance_counting(
    body: AttendanceCounting, tenant_id: TenantDep, loyalty: LoyaltyDep
) -> AttendanceCounting:
    """Applies to every client at once: counts are re-derived from the bookings under the new
    settings. Automations that already fired stay fired. No kind at all is refused (422)."""
    settings = loyalty.set_attendance_counting(
        tenant_id, source=body.source, kinds=[kind.value for kind in body.kinds]
    )
    return AttendanceCounting.from_settings(settings)


@router.get(
    "/attendance-milestones",
    summary="Every attendance automation, lowest count first",
)
def list_attendance_milestones(
    tenant_id: TenantDep, loyalty: LoyaltyDep
) -> AttendanceMilestonesPublic:
    return AttendanceMilestonesPublic.from_programme(loyalty.programme(tenant_id))


@router.post(
    "/attendance-milestones",
    status_code=status.HTTP_201_CREATED,
    summary="Add an attendance automation (active from the start)",
    responses=TAKEN,
)
def add_attendance_milestone(
    body: AttendanceMilestoneFields, tenant_id: TenantDep, loyalty: LoyaltyDep
) -> AttendanceMilestonePublic:
    """Fires once per client, when their count first reaches `count`: emails the message (with
    the reward's code) and/or tags them. Counts at or below a client's original count were passed
    before Starcard and do not fire for them.

    Refused (422, saying what to fix): no email, reward or tag; a reward without a message; a
    malformed tag."""
    added = AttendanceMilestone(milestone_id=str(uuid.uuid4()), active=True, **body.model_dump())
    return AttendanceMilestonePublic.from_domain(loyalty.put_attendance_milestone(tenant_id, added))


def change_attendance_milestone(
    loyalty: LoyaltyService, tenant_id: str, milestone_id: str, **changes: Any
) -> AttendanceMilestonePublic:
    changed = loyalty.change_attendance_milestone(tenant_id, milestone_id, **changes)
    return AttendanceMilestonePublic.from_domain(changed)


@router.put(
    "/attendance-milestones/{milestone_id}",
    summary="Change an attendance automation's fields (not whether it is active)",
    responses={**UNKNOWN, **TAKEN},
)
def edit_attendance_milestone(
    milestone_id: AutomationIdPath,
    body: AttendanceMilestoneFields,
    tenant_id: TenantDep,
    loyalty: LoyaltyDep,
) -> AttendanceMilestonePublic:
    """Clients it already fired for keep what they got; a field left out is cleared. Refused
    (422) as when adding."""
    return change_attendance_milestone(loyalty, tenant_id, milestone_id, **body.model_dump())


@router.patch(
    "/attendance-milestones/{milestone_id}",
    summary="Turn an attendance automation on or off",
    responses=UNKNOWN,
)
def set_attendance_milestone_active(
    milestone_id: AutomationIdPath,
    body: MilestoneActivity,
    tenant_id: TenantDep,
    loyalty: LoyaltyDep,
) -> AttendanceMilestonePublic:
    return change_attendance_milestone(loyalty, tenant_id, milestone_id, active=body.active)


@router.delete(
    "/attendance-milestones/{milestone_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an attendance automation; its id is never used again",
    responses=UNKNOWN,
)
def delete_attendance_milestone(
    milestone_id: AutomationIdPath, tenant_id: TenantDep, loyalty: LoyaltyDep
) -> None:
    loyalty.delete_attendance_milestone(tenant_id, milestone_id)


@router.put(
    "/clients/{client_id}/original-count",
    summary="Set a client's original milestone: classes taken before Starcard",
)
def set_original_count(
    client_id: ClientIdPath, body: OriginalCount, tenant_id: TenantDep, loyalty: LoyaltyDep
) -> OriginalCountPublic:
    """Added to what Starcard counts for the client's total: 1 class booked and an original 49
    make 50. Automations the new total reaches fire now."""
    total = loyalty.set_original_count(tenant_id, client_id, body.count, datetime.now(UTC))
    return OriginalCountPublic(client_id=client_id, original=body.count, total=total)


@router.get(
    "/clients/{client_id}/attendance",
    summary="The class check-in screen: the client's milestone count, this class included",
)
def read_check_in_count(
    client_id: ClientIdPath,
    tenant_id: TenantDep,
    conn: ReadConnDep,
    booking_id: Annotated[
        str,
        Query(
            pattern=EXTERNAL_ID_PATTERN,
            description="The client's booking of the class being run.",
        ),
    ],
    kind: Annotated[
        ServiceKind,
        Query(description="The class's kind, used while Starcard has not seen the booking."),
    ] = ServiceKind.GROUP_CLASS,
) -> CheckInCountPublic:
    """The count includes the current class even before the client is checked in, shown as
    "including this one" with a tooltip, so a milestone can be celebrated as it happens."""
    found = check_in_count(conn, tenant_id, client_id, booking_id, kind.value)
    return CheckInCountPublic.from_count(client_id, booking_id, found)


@router.get("/tags", summary="Every tag attendance automations gave, with its client count")
def list_tags(tenant_id: TenantDep, conn: ReadConnDep) -> TagsPublic:
    return TagsPublic.from_tags(tags(conn, tenant_id))


@router.get("/segments/{tag}", summary="The clients an attendance automation tagged, a page")
def read_segment(
    tag: Annotated[
        str,
        Path(pattern=TAG.pattern, description="The tag, as listed by `GET /v1/loyalty/tags`."),
    ],
    tenant_id: TenantDep,
    conn: ReadConnDep,
    limit: PageSize = 50,
    offset: PageOffset = 0,
) -> SegmentPublic:
    """An unknown tag is an empty segment."""
    members, count = segment(conn, tenant_id, tag, limit=limit, offset=offset)
    return SegmentPublic.from_page(tag, members, count)
