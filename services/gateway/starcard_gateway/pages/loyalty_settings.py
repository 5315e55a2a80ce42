"""Settings → Loyalty: the count-discounted toggle, the milestones (add, edit, turn on and off,
delete) and every client by stars, through the loyalty API's own route functions."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request, Response

from starcard_gateway.api import loyalty as loyalty_api
from starcard_gateway.deps import LoyaltyDep, ReadConnDep
from starcard_gateway.models.loyalty import (
    CountDiscountedSessions,
    MilestoneActivity,
    MilestoneFields,
    MilestonePublic,
)
from starcard_gateway.pages.auth import CheckedFormDep, SessionDep
from starcard_gateway.pages.dashboard import DONE, dashboard_page, page_number
from starcard_gateway.pages.rendering import (
    PageError,
    redirect,
    submit_form,
)
from starcard_gateway.pages.sessions import Session

router = APIRouter(prefix="/dashboard", include_in_schema=False)

CLIENTS_PAGE_SIZE = 50

LOYALTY_URL = "/dashboard/settings/loyalty"

MILESTONE_LABELS = {
    "session_count": "Session count",
    "message": "Message",
    "discount_percent": "Discount",
    "min_minutes": "Minimum session length",
}


def _loyalty_page(
    request: Request,
    session: Session,
    loyalty: LoyaltyDep,
    conn: ReadConnDep,
    *,
    page: int = 1,
    done: str | None = None,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The page; after a refused add, with what was typed and what to fix."""
    tenant_id = session.tenant_id
    offset = (page - 1) * CLIENTS_PAGE_SIZE
    clients = loyalty_api.list_most_loyal_clients(
        tenant_id, conn, limit=CLIENTS_PAGE_SIZE, offset=offset
    )
    return dashboard_page(
        request,
        session,
        loyalty,
        "dashboard/loyalty.html",
        section="loyalty",
        title="Settings → Loyalty",
        settings=loyalty_api.read_settings(tenant_id, loyalty),
        clients=clients,
        page=page,
        pages=max(1, -(-clients.count // CLIENTS_PAGE_SIZE)),
        first_rank=offset + 1,
        done=DONE.get(done or ""),
        values=values or {"min_minutes": "0"},
        errors=errors or {},
        status_code=status_code,
    )


@router.get("/settings/loyalty")
def loyalty_settings(
    request: Request,
    *,
    session: SessionDep,
    loyalty: LoyaltyDep,
    conn: ReadConnDep,
    page: str | None = None,
    done: str | None = None,
) -> Response:
    return _loyalty_page(request, session, loyalty, conn, page=page_number(page), done=done)


@router.post("/settings/loyalty/counting")
def set_counting(form: CheckedFormDep, session: SessionDep, loyalty: LoyaltyDep) -> Response:
    enabled = form.get("enabled") == "true"
    body = CountDiscountedSessions(enabled=enabled)
    loyalty_api.set_count_discounted_sessions(body, session.tenant_id, loyalty)
    return redirect(f"{LOYALTY_URL}?done=counting-{'on' if enabled else 'off'}")


def milestone_fields(form: Mapping[str, str]) -> MilestoneFields:
    """The add/edit form's fields as the API's body; raises ``ValidationError``. A blank
    discount is none, a blank minimum is 0 (every length counts)."""
    return MilestoneFields.model_validate(
        {
            "session_count": form.get("session_count", "").strip(),
            "message": form.get("message", "").strip(),
            "discount_percent": form.get("discount_percent", "").strip() or None,
            "min_minutes": form.get("min_minutes", "").strip() or "0",
        }
    )


@router.post("/settings/loyalty/milestones")
def add_milestone(
    request: Request,
    form: CheckedFormDep,
    session: SessionDep,
    loyalty: LoyaltyDep,
    conn: ReadConnDep,
) -> Response:
    return submit_form(
        lambda: loyalty_api.add_milestone(milestone_fields(form), session.tenant_id, loyalty),
        labels=MILESTONE_LABELS,
        show_again=lambda errors, status: _loyalty_page(
            request, session, loyalty, conn, values=form, errors=errors, status_code=status
        ),
        then=f"{LOYALTY_URL}?done=milestone-added#milestones",
    )


def _milestone(session: Session, loyalty: LoyaltyDep, milestone_id: str) -> MilestonePublic:
    settings = loyalty_api.read_settings(session.tenant_id, loyalty)
    for milestone in settings.milestones:
        if milestone.milestone_id == milestone_id:
            return milestone
    raise PageError(
        404,
        "No such milestone",
        "It may have been deleted meanwhile.",
        action=(LOYALTY_URL, "Back to Settings → Loyalty"),
    )


def _edit_page(
    request: Request,
    session: Session,
    loyalty: LoyaltyDep,
    milestone: MilestonePublic,
    *,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    shown = values or {
        "session_count": str(milestone.session_count),
        "message": milestone.message,
        "discount_percent": ""
        if milestone.discount_percent is None
        else str(milestone.discount_percent),
        "min_minutes": str(milestone.min_minutes),
    }
    return dashboard_page(
        request,
        session,
        loyalty,
        "dashboard/milestone_edit.html",
        section="loyalty",
        title="Edit milestone",
        milestone=milestone,
        values=shown,
        errors=errors or {},
        status_code=status_code,
    )


@router.get("/settings/loyalty/milestones/{milestone_id}")
def edit_milestone_form(
    request: Request, milestone_id: str, session: SessionDep, loyalty: LoyaltyDep
) -> Response:
    return _edit_page(request, session, loyalty, _milestone(session, loyalty, milestone_id))


@router.post("/settings/loyalty/milestones/{milestone_id}")
def edit_milestone(
    request: Request,
    milestone_id: str,
    form: CheckedFormDep,
    session: SessionDep,
    loyalty: LoyaltyDep,
) -> Response:
    milestone = _milestone(session, loyalty, milestone_id)
    return submit_form(
        lambda: loyalty_api.edit_milestone(
            milestone_id, milestone_fields(form), session.tenant_id, loyalty
        ),
        labels=MILESTONE_LABELS,
        show_again=lambda errors, status: _edit_page(
            request, session, loyalty, milestone, values=form, errors=errors, status_code=status
        ),
        then=f"{LOYALTY_URL}?done=milestone-saved#milestones",
    )


@router.post("/settings/loyalty/milestones/{milestone_id}/active")
def set_milestone_active(
    milestone_id: str, form: CheckedFormDep, session: SessionDep, loyalty: LoyaltyDep
) -> Response:
    active = form.get("active") == "true"
    _milestone(session, loyalty, milestone_id)
    loyalty_api.set_milestone_active(
        milestone_id, MilestoneActivity(active=active), session.tenant_id, loyalty
    )
    return redirect(f"{LOYALTY_URL}?done=milestone-{'on' if active else 'off'}#milestones")


@router.post("/settings/loyalty/milestones/{milestone_id}/delete")
def delete_milestone(
    milestone_id: str, form: CheckedFormDep, session: SessionDep, loyalty: LoyaltyDep
) -> Response:
    del form  # checked for its CSRF token; the button carries nothing else
    _milestone(session, loyalty, milestone_id)
    loyalty_api.delete_milestone(milestone_id, session.tenant_id, loyalty)
    return redirect(f"{LOYALTY_URL}?done=milestone-deleted#milestones")
