"""Studios' attendance milestones on the dashboard: Settings → Attendance (what counts, the
automations, the tags they give) and the class check-in screen's count.

As the rest of the dashboard, every page reads and writes through the JSON API's own route
functions (``starcard_gateway.api.attendance``) with the same request models. A client's
attendance count and original milestone are on their profile (``dashboard.client_profile``),
posted back here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError
from starcard_events.bookings import ServiceKind
from starcard_loyalty.api import KINDS

from starcard_gateway.api import attendance as attendance_api
from starcard_gateway.deps import LoyaltyDep, ReadConnDep
from starcard_gateway.models.attendance import (
    AttendanceCounting,
    AttendanceMilestoneFields,
    AttendanceMilestonePublic,
    OriginalCount,
)
from starcard_gateway.models.loyalty import MilestoneActivity
from starcard_gateway.pages.auth import CheckedFormDep, SessionDep
from starcard_gateway.pages.dashboard import dashboard_page
from starcard_gateway.pages.rendering import (
    REFUSALS,
    PageError,
    field_errors,
    redirect,
    refusal_status,
    refusal_text,
    submit_form,
)
from starcard_gateway.pages.sessions import Session

router = APIRouter(prefix="/dashboard", include_in_schema=False)

ATTENDANCE_URL = "/dashboard/settings/attendance"
SEGMENT_PAGE_SIZE = 100

KIND_NAMES = {"group_class": "Group classes", "appointment": "Appointments", "video": "Videos"}
KIND_NAME = {"group_class": "Group class", "appointment": "Appointment", "video": "Video"}
DONE = {
    "counting-saved": "What counts is saved. Every client's count now follows it.",
    "automation-added": "Automation added. It is active.",
    "automation-saved": "Automation saved.",
    "automation-on": "Automation turned on.",
    "automation-off": "Automation turned off: it fires for nobody until it is on again.",
    "automation-deleted": "Automation deleted.",
}
LABELS = {
    "count": "Class count",
    "message": "Congratulations email",
    "discount_percent": "Reward",
    "tag": "Tag",
    "source": "Source of truth",
    "kinds": "What to count",
}


def _refused(exc: Exception) -> PageError:
    return PageError(
        refusal_status(exc) or 422,
        "Not changed",
        refusal_text(exc),
        action=(ATTENDANCE_URL, "Back to Settings → Attendance"),
    )


# -- Settings → Attendance -------------------------------------------------------------------


def _attendance_page(
    request: Request,
    session: Session,
    loyalty: LoyaltyDep,
    conn: ReadConnDep,
    *,
    done: str | None = None,
    counting: Mapping[str, str] | None = None,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The page; after a refused form, with what was chosen or typed and what to fix."""
    tenant_id = session.tenant_id
    current = attendance_api.read_attendance_counting(tenant_id, loyalty)
    shown = counting or {
        "source": current.source.value,
        **{f"kind_{kind.value}": "on" for kind in current.kinds},
    }
    return dashboard_page(
        request,
        session,
        loyalty,
        "dashboard/attendance.html",
        section="attendance",
        title="Settings → Attendance",
        counting=shown,
        kinds=KINDS,
        kind_names=KIND_NAMES,
        automations=attendance_api.list_attendance_milestones(tenant_id, loyalty),
        tags=attendance_api.list_tags(tenant_id, conn),
        done=DONE.get(done or ""),
        values=values or {},
        errors=errors or {},
        status_code=status_code,
    )


@router.get("/settings/attendance")
def attendance_settings(
    request: Request,
    session: SessionDep,
    loyalty: LoyaltyDep,
    conn: ReadConnDep,
    done: str | None = None,
) -> Response:
    return _attendance_page(request, session, loyalty, conn, done=done)


@router.post("/settings/attendance/counting")
def set_counting(
    request: Request,
    form: CheckedFormDep,
    session: SessionDep,
    loyalty: LoyaltyDep,
    conn: ReadConnDep,
) -> Response:
    def write() -> None:
        body = AttendanceCounting.model_validate(
            {
                "source": form.get("source", ""),
                "kinds": [kind for kind in KINDS if form.get(f"kind_{kind}") == "on"],
            }
        )
        attendance_api.set_attendance_counting(body, session.tenant_id, loyalty)

    return submit_form(
        write,
        labels=LABELS,
        show_again=lambda errors, status: _attendance_page(
            request, session, loyalty, conn, counting=form, errors=errors, status_code=status
        ),
        then=f"{ATTENDANCE_URL}?done=counting-saved",
        refusal_field="counting",
    )


def automation_fields(form: Mapping[str, str]) -> AttendanceMilestoneFields:
    """The form as the API's body (blank fields are none); raises ``ValidationError``."""
    return AttendanceMilestoneFields.model_validate(
        {
            "count": form.get("count", "").strip(),
            "message": form.get("message", "").strip() or None,
            "discount_percent": form.get("discount_percent", "").strip() or None,
            "tag": form.get("tag", "").strip() or None,
        }
    )


@router.post("/settings/attendance/automations")
def add_automation(
    request: Request,
    form: CheckedFormDep,
    session: SessionDep,
    loyalty: LoyaltyDep,
    conn: ReadConnDep,
) -> Response:
    return submit_form(
        lambda: attendance_api.add_attendance_milestone(
            automation_fields(form), session.tenant_id, loyalty
        ),
        labels=LABELS,
        show_again=lambda errors, status: _attendance_page(
            request, session, loyalty, conn, values=form, errors=errors, status_code=status
        ),
        then=f"{ATTENDANCE_URL}?done=automation-added#automations",
    )


def _automation(
    session: Session, loyalty: LoyaltyDep, milestone_id: str
) -> AttendanceMilestonePublic:
    listed = attendance_api.list_attendance_milestones(session.tenant_id, loyalty)
    for automation in listed.data:
        if automation.milestone_id == milestone_id:
            return automation
    raise PageError(
        404,
        "No such automation",
        "It may have been deleted meanwhile.",
        action=(ATTENDANCE_URL, "Back to Settings → Attendance"),
    )


def _edit_page(
    request: Request,
    session: Session,
    loyalty: LoyaltyDep,
    automation: AttendanceMilestonePublic,
    *,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    def text(value: Any) -> str:
        return "" if value is None else str(value)

    shown = values or {
        "count": text(automation.count),
        "message": text(automation.message),
        "discount_percent": text(automation.discount_percent),
        "tag": text(automation.tag),
    }
    return dashboard_page(
        request,
        session,
        loyalty,
        "dashboard/automation_edit.html",
        section="attendance",
        title="Edit automation",
        automation=automation,
        values=shown,
        errors=errors or {},
        status_code=status_code,
    )


@router.get("/settings/attendance/automations/{milestone_id}")
def edit_automation_form(
    request: Request, milestone_id: str, session: SessionDep, loyalty: LoyaltyDep
) -> Response:
    return _edit_page(request, session, loyalty, _automation(session, loyalty, milestone_id))


@router.post("/settings/attendance/automations/{milestone_id}")
def edit_automation(
    request: Request,
    milestone_id: str,
    form: CheckedFormDep,
    session: SessionDep,
    loyalty: LoyaltyDep,
) -> Response:
    automation = _automation(session, loyalty, milestone_id)
    return submit_form(
        lambda: attendance_api.edit_attendance_milestone(
            milestone_id, automation_fields(form), session.tenant_id, loyalty
        ),
        labels=LABELS,
        show_again=lambda errors, status: _edit_page(
            request, session, loyalty, automation, values=form, errors=errors, status_code=status
        ),
        then=f"{ATTENDANCE_URL}?done=automation-saved#automations",
    )


@router.post("/settings/attendance/automations/{milestone_id}/active")
def set_automation_active(
    milestone_id: str, form: CheckedFormDep, session: SessionDep, loyalty: LoyaltyDep
) -> Response:
    active = form.get("active") == "true"
    _automation(session, loyalty, milestone_id)
    try:
        attendance_api.set_attendance_milestone_active(
            milestone_id, MilestoneActivity(active=active), session.tenant_id, loyalty
        )
    except REFUSALS as exc:
        raise _refused(exc) from None
    return redirect(f"{ATTENDANCE_URL}?done=automation-{'on' if active else 'off'}#automations")


@router.post("/settings/attendance/automations/{milestone_id}/delete")
def delete_automation(
    milestone_id: str, form: CheckedFormDep, session: SessionDep, loyalty: LoyaltyDep
) -> Response:
    del form  # checked for its CSRF token; the button carries nothing else
    _automation(session, loyalty, milestone_id)
    try:
        attendance_api.delete_attendance_milestone(milestone_id, session.tenant_id, loyalty)
    except REFUSALS as exc:
        raise _refused(exc) from None
    return redirect(f"{ATTENDANCE_URL}?done=automation-deleted#automations")


@router.get("/segments/{tag}")
def segment_page(
    request: Request,
    tag: str,
    session: SessionDep,
    loyalty: LoyaltyDep,
    conn: ReadConnDep,
) -> Response:
    """The clients an automation tagged: a marketing segment."""
    found = attendance_api.read_segment(
        tag, session.tenant_id, conn, limit=SEGMENT_PAGE_SIZE, offset=0
    )
    return dashboard_page(
        request,
        session,
        loyalty,
        "dashboard/segment.html",
        section="attendance",
        title=f"Segment {tag}",
        segment=found,
    )


# -- the class check-in screen ---------------------------------------------------------------


@router.get("/check-in")
def check_in(
    request: Request,
    *,
    session: SessionDep,
    loyalty: LoyaltyDep,
    conn: ReadConnDep,
    client_id: str = "",
    booking_id: str = "",
    kind: str = ServiceKind.GROUP_CLASS.value,
) -> Response:
    """Look a client up for a class: their count, this class included even before check-in."""
    client_id, booking_id = client_id.strip(), booking_id.strip()
    kind = kind if kind in KINDS else ServiceKind.GROUP_CLASS.value
    found = None
    if client_id and booking_id:
        found = attendance_api.read_check_in_count(
            client_id, session.tenant_id, conn, booking_id=booking_id, kind=ServiceKind(kind)
        )
    return dashboard_page(
        request,
        session,
        loyalty,
        "dashboard/check_in.html",
        section="check-in",
        title="Class check-in",
        values={"client_id": client_id, "booking_id": booking_id, "kind": kind},
        kinds=KINDS,
        kind_name=KIND_NAME,
        found=found,
        asked=bool(client_id or booking_id),
    )


# -- a client's original milestone -----------------------------------------------------------


@router.post("/clients/{client_id}/original-count")
def set_original_count(
    client_id: str, form: CheckedFormDep, session: SessionDep, loyalty: LoyaltyDep
) -> Response:
    """Edit Client → Original Milestone: classes before the studio used Starcard."""
    profile = f"/dashboard/clients/{quote(client_id, safe='')}"
    try:
        # A blank field is a mistake to report, not a 0: it would wipe the client's history.
        body = OriginalCount.model_validate({"count": form.get("count", "").strip() or None})
        attendance_api.set_original_count(client_id, body, session.tenant_id, loyalty)
    except ValidationError as exc:
        message = " ".join(field_errors(exc, {"count": "Original milestone"}).values())
        raise PageError(
            422, "Not saved", message, action=(profile, "Back to the profile")
        ) from None
    except REFUSALS as exc:
        raise PageError(
            refusal_status(exc) or 422,
            "Not saved",
            refusal_text(exc),
            action=(profile, "Back to the profile"),
        ) from None
    return redirect(f"{profile}?done=original-saved")
