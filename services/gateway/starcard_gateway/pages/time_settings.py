"""Settings → Time: the time zone the business's days begin in, and its quiet hours, through the
time settings API's own route functions.

A refusal of the loyalty service names each problem by its field (``time_zone``,
``quiet_hours.start``...); the page shows each beside the field it is about.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from zoneinfo import available_timezones

from fastapi import APIRouter, Request, Response
from starcard_loyalty.api import InvalidTimeSettings

from starcard_gateway.api import time_settings as time_api
from starcard_gateway.deps import LoyaltyDep
from starcard_gateway.models.time_settings import TimeSettingsChange, TimeSettingsPublic
from starcard_gateway.pages.auth import CheckedFormDep, SessionDep
from starcard_gateway.pages.dashboard import DONE, dashboard_page
from starcard_gateway.pages.rendering import FormProblems, submit_form
from starcard_gateway.pages.sessions import Session

router = APIRouter(prefix="/dashboard", include_in_schema=False)

TIME_URL = "/dashboard/settings/time"

LABELS = {
    "time_zone": "Time zone",
    "quiet_hours": "Quiet hours",
    "quiet_start": "Quiet from",
    "quiet_end": "Quiet until",
}
FORM_FIELD_OF = {
    "quiet_hours.start": "quiet_start",
    "quiet_hours.end": "quiet_end",
    "quiet_hours": "quiet_hours",
    "time_zone": "time_zone",
}
"""The form field each of the service's problems is about, by how the problem begins (the more
precise first)."""


@cache
def place_zones() -> list[str]:
    """The zones offered as the field is typed: places (``Europe/London``) and UTC."""
    return sorted(zone for zone in available_timezones() if "/" in zone or zone == "UTC")


def _values(settings: TimeSettingsPublic) -> dict[str, str]:
    hours = settings.quiet_hours
    return {
        "time_zone": settings.time_zone,
        "quiet_hours": "" if hours is None else "on",
        "quiet_start": "21:00" if hours is None else hours.start,
        "quiet_end": "09:00" if hours is None else hours.end,
    }


def time_change(form: Mapping[str, str]) -> TimeSettingsChange:
    """The form as the API's change: both fields, quiet hours none when unticked."""
    quiet_hours = (
        {"start": form.get("quiet_start", "").strip(), "end": form.get("quiet_end", "").strip()}
        if form.get("quiet_hours") == "on"
        else None
    )
    return TimeSettingsChange.model_validate(
        {"time_zone": form.get("time_zone", "").strip(), "quiet_hours": quiet_hours}
    )


def _save(form: Mapping[str, str], session: Session, loyalty: LoyaltyDep) -> None:
    """Save through the API's route function; the service's problems go beside their fields."""
    try:
        time_api.change_time_settings(time_change(form), session.tenant_id, loyalty)
    except InvalidTimeSettings as exc:
        errors: dict[str, str] = {}
        for problem in exc.problems:
            field = next(
                name for prefix, name in FORM_FIELD_OF.items() if problem.startswith(prefix)
            )
            errors.setdefault(field, problem)
        raise FormProblems(errors) from None


def _time_page(
    request: Request,
    session: Session,
    loyalty: LoyaltyDep,
    values: Mapping[str, str],
    *,
    done: str | None = None,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return dashboard_page(
        request,
        session,
        loyalty,
        "dashboard/time_settings.html",
        section="time",
        title="Settings → Time",
        values=values,
        errors=errors or {},
        done=DONE.get(done or ""),
        zones=place_zones(),
        status_code=status_code,
    )


@router.get("/settings/time")
def time_settings(
    request: Request, session: SessionDep, loyalty: LoyaltyDep, done: str | None = None
) -> Response:
    settings = time_api.read_time_settings(session.tenant_id, loyalty)
    return _time_page(request, session, loyalty, _values(settings), done=done)


@router.post("/settings/time")
def save_time_settings(
    request: Request, form: CheckedFormDep, session: SessionDep, loyalty: LoyaltyDep
) -> Response:
    return submit_form(
        lambda: _save(form, session, loyalty),
        labels=LABELS,
        show_again=lambda errors, status: _time_page(
            request, session, loyalty, form, errors=errors, status_code=status
        ),
        then=f"{TIME_URL}?done=time-saved",
    )
