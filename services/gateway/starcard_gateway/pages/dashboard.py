"""The therapist's dashboard, under ``/dashboard``: the overview, Settings → Loyalty, Settings →
Referrals and a client's profile, as server-rendered pages with plain forms.

Every page reads and every form writes through the JSON API's own route functions
(``starcard_gateway.api.loyalty`` and ``.referrals``) with the same request models, so a page
shows and changes exactly what the API does, refused for the same reasons. Forms post back with
the session's CSRF token and, once done, redirect to a GET of the page (a reload never posts
twice), which says what changed.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request, Response, status
from pydantic import ValidationError
from starcard_events.money_format import minor_unit_exponent
from starcard_loyalty.domain.errors import UnknownTenant
from starcard_referrals.domain.programme import Delivery, Trigger

from starcard_gateway.api import loyalty as loyalty_api
from starcard_gateway.api import referrals as referrals_api
from starcard_gateway.deps import LoyaltyDep, ReadConnDep, ReferralsDep, TenantRegistryDep
from starcard_gateway.models import (
    ClientReferralsPublic,
    CountDiscountedSessions,
    MilestoneActivity,
    MilestoneFields,
    MilestonePublic,
    ReferralSettingsChange,
    ReferralSettingsPublic,
)
from starcard_gateway.pages.auth import (
    CheckedFormDep,
    PostedFormDep,
    SessionDep,
    SessionsDep,
)
from starcard_gateway.pages.rendering import (
    REFUSALS,
    PageError,
    field_errors,
    redirect,
    refusal_status,
    refusal_text,
    render,
)
from starcard_gateway.pages.sessions import (
    DASHBOARD_COOKIE,
    DASHBOARD_PATH,
    LOGIN_COOKIE,
    LOGIN_NONCE_SECONDS,
    LOGIN_PATH,
    Session,
    clear_cookie,
    same_token,
    set_cookie,
)
from starcard_gateway.tenants import key_id_of

T = TypeVar("T")

router = APIRouter(prefix="/dashboard", include_in_schema=False)

CLIENTS_PAGE_SIZE = 50
MAX_PAGE = 100_000
TOP_CLIENTS = 5
LOYALTY_URL = "/dashboard/settings/loyalty"
REFERRALS_URL = "/dashboard/settings/referrals"

DONE = {
    "counting-on": "Membership and package sessions now count toward stars.",
    "counting-off": "Only full-price sessions count toward stars now.",
    "milestone-added": "Milestone added. It is active.",
    "milestone-saved": "Milestone saved.",
    "milestone-on": "Milestone turned on.",
    "milestone-off": "Milestone turned off: it fires for nobody until it is on again.",
    "milestone-deleted": "Milestone deleted.",
    "referrals-saved": "Referral settings saved.",
    "original-saved": "Original milestone saved.",
}
"""What a form did, shown once after its redirect; a fixed text, so nothing sent is echoed."""

LOGIN_REASONS: dict[str, str | None] = {
    "signed-out": None,
    "expired": "Your session ended. Sign in again with your API key.",
    "invalid": "Your session could not be read. Sign in again with your API key.",
    "revoked": "The API key you signed in with no longer works. Sign in with a current key.",
}

MILESTONE_LABELS = {
    "session_count": "Session count",
    "message": "Message",
    "discount_percent": "Discount",
    "min_minutes": "Minimum session length",
}
REFERRAL_LABELS = {
    "reward": "Reward",
    "amount": "Amount",
    "percent": "Percentage",
    "trigger": "Trigger",
    "reward_referred": "Also reward the referred client",
    "delivery": "Delivery",
    "alert_email": "Alert email",
    "booking_page_url": "Booking page",
}


def page_context(session: Session, loyalty: LoyaltyDep, section: str) -> dict[str, Any]:
    """What every dashboard page shows: the business, the navigation, the forms' token."""
    try:
        business = loyalty.programme(session.tenant_id).name
    except UnknownTenant:
        raise PageError(
            404,
            "No loyalty programme",
            "This business has no Starcard programme open: ask your Starcard operator.",
        ) from None
    return {
        "business": business,
        "section": section,
        "csrf_token": session.csrf,
    }


def _page_number(page: str | None) -> int:
    try:
        return min(max(1, int(page or 1)), MAX_PAGE)
    except ValueError:
        return 1


# -- signing in and out --------------------------------------------------------------------


def _login_page(
    request: Request, *, reason: str | None, error: str | None, status_code: int = 200
) -> Response:
    """The login form, with a fresh nonce in a cookie and the form both (double submit), so
    another site cannot sign the browser in with a key of its choosing."""
    nonce = secrets.token_urlsafe(24)
    response = render(
        request,
        "dashboard/login.html",
        {
            "title": "Sign in",
            "nonce": nonce,
            "notice": LOGIN_REASONS.get(reason or ""),
            "error": error,
        },
        status_code=status_code,
    )
    set_cookie(response, request, LOGIN_COOKIE, nonce, path=LOGIN_PATH, max_age=LOGIN_NONCE_SECONDS)
    return response


@router.get("/login")
def login_form(request: Request, reason: str | None = None) -> Response:
    return _login_page(request, reason=reason, error=None)


@router.post("/login")
def login(
    request: Request, form: PostedFormDep, sessions: SessionsDep, tenants: TenantRegistryDep
) -> Response:
    nonce = request.cookies.get(LOGIN_COOKIE)
    if not nonce or not same_token(form.get("nonce"), nonce):
        return _login_page(
            request,
            reason=None,
            error="The sign-in form had expired. Paste your API key again.",
            status_code=400,
        )
    api_key = form.get("api_key", "").strip()
    tenant_id = tenants.authenticate(api_key) if api_key else None
    key_id = key_id_of(api_key)
    if tenant_id is None or key_id is None:
        return _login_page(
            request,
            reason=None,
            error="That API key is not valid, or it has been revoked. Check it and try again: "
            "it starts with sc_.",
            status_code=401,
        )
    cookie, _session = sessions.sign(tenant_id, key_id, now=datetime.now(UTC))
    response = redirect("/dashboard")
    set_cookie(response, request, DASHBOARD_COOKIE, cookie, path=DASHBOARD_PATH)
    clear_cookie(response, LOGIN_COOKIE, path=LOGIN_PATH)
    return response


@router.post("/logout")
def logout(form: CheckedFormDep) -> Response:
    del form  # the CSRF check is the point: no other site can sign the therapist out
    response = redirect("/dashboard/login")
    clear_cookie(response, DASHBOARD_COOKIE, path=DASHBOARD_PATH)
    return response


# -- overview ------------------------------------------------------------------------------


@router.get("")
def overview(
    request: Request, session: SessionDep, loyalty: LoyaltyDep, conn: ReadConnDep
) -> Response:
    tenant_id = session.tenant_id
    settings = loyalty_api.read_settings(tenant_id, loyalty)
    top = loyalty_api.list_most_loyal_clients(tenant_id, conn, limit=TOP_CLIENTS, offset=0)
    return render(
        request,
        "dashboard/overview.html",
        {
            **page_context(session, loyalty, "overview"),
            "title": "Dashboard",
            "summary": referrals_api.read_summary(tenant_id, conn),
            "top": top,
            "active_milestones": sum(1 for m in settings.milestones if m.active),
            "milestones": len(settings.milestones),
        },
    )


# -- Settings → Loyalty --------------------------------------------------------------------


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
    return render(
        request,
        "dashboard/loyalty.html",
        {
            **page_context(session, loyalty, "loyalty"),
            "title": "Settings → Loyalty",
            "settings": loyalty_api.read_settings(tenant_id, loyalty),
            "clients": clients,
            "page": page,
            "pages": max(1, -(-clients.count // CLIENTS_PAGE_SIZE)),
            "first_rank": offset + 1,
            "done": DONE.get(done or ""),
            "values": values or {"min_minutes": "0"},
            "errors": errors or {},
        },
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
    return _loyalty_page(request, session, loyalty, conn, page=_page_number(page), done=done)


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
    try:
        loyalty_api.add_milestone(milestone_fields(form), session.tenant_id, loyalty)
    except ValidationError as exc:
        errors = field_errors(exc, MILESTONE_LABELS)
        return _loyalty_page(
            request, session, loyalty, conn, values=form, errors=errors, status_code=422
        )
    except REFUSALS as exc:
        return _loyalty_page(
            request,
            session,
            loyalty,
            conn,
            values=form,
            errors={"form": refusal_text(exc)},
            status_code=refusal_status(exc) or 422,
        )
    return redirect(f"{LOYALTY_URL}?done=milestone-added#milestones")


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
    return render(
        request,
        "dashboard/milestone_edit.html",
        {
            **page_context(session, loyalty, "loyalty"),
            "title": "Edit milestone",
            "milestone": milestone,
            "values": shown,
            "errors": errors or {},
        },
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
    try:
        loyalty_api.edit_milestone(milestone_id, milestone_fields(form), session.tenant_id, loyalty)
    except ValidationError as exc:
        errors = field_errors(exc, MILESTONE_LABELS)
        return _edit_page(
            request, session, loyalty, milestone, values=form, errors=errors, status_code=422
        )
    except REFUSALS as exc:
        return _edit_page(
            request,
            session,
            loyalty,
            milestone,
            values=form,
            errors={"form": refusal_text(exc)},
            status_code=refusal_status(exc) or 422,
        )
    return redirect(f"{LOYALTY_URL}?done=milestone-saved#milestones")


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


# -- Settings → Referrals ------------------------------------------------------------------


def major_units(amount_minor: int, currency: str) -> str:
    """Minor units as the amount field shows them: 1000 GBP -> "10.00", 500 JPY -> "500"."""
    exponent = minor_unit_exponent(currency)
    return f"{Decimal(amount_minor).scaleb(-exponent):.{exponent}f}"


def minor_units(text: str, currency: str) -> int | None:
    """What was typed in the amount field, in minor units; None unless it is a plain amount
    in the currency's decimals ("10", "10.5", "10.50", "1,000")."""
    try:
        amount = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount < 0:
        return None
    scaled = amount.scaleb(minor_unit_exponent(currency))
    if scaled != scaled.to_integral_value():
        return None
    return int(scaled)


def _referral_values(settings: ReferralSettingsPublic) -> dict[str, str]:
    amount = settings.reward.amount
    return {
        "reward_type": "percent" if settings.reward.percent is not None else "amount",
        "amount": "" if amount is None else major_units(amount.amount_minor, amount.currency),
        "currency": "GBP" if amount is None else amount.currency,
        "percent": "" if settings.reward.percent is None else str(settings.reward.percent),
        "trigger": settings.trigger.value,
        "reward_referred": "on" if settings.reward_referred else "",
        "delivery": settings.delivery.value,
        "alert_email": settings.alert_email or "",
        "booking_page_url": settings.booking_page_url or "",
    }


class FormProblems(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def referral_change(form: Mapping[str, str]) -> ReferralSettingsChange:
    """The whole form as the API's settings change; raises ``FormProblems`` for an amount that
    is not one, ``ValidationError`` for what the API's model refuses."""
    reward: dict[str, Any]
    if form.get("reward_type") == "percent":
        reward = {"percent": form.get("percent", "").strip() or None}
    else:
        currency = form.get("currency", "").strip().upper()
        minor = minor_units(form.get("amount", ""), currency)
        if minor is None:
            raise FormProblems({"amount": "Amount: write it as a number, e.g. 10.00."})
        reward = {"amount": {"amount_minor": minor, "currency": currency}}
    return ReferralSettingsChange.model_validate(
        {
            "reward": reward,
            "trigger": form.get("trigger", ""),
            "reward_referred": form.get("reward_referred") == "on",
            "delivery": form.get("delivery", ""),
            "alert_email": form.get("alert_email", "").strip() or None,
            "booking_page_url": form.get("booking_page_url", "").strip() or None,
        }
    )


def _referrals_page(
    request: Request,
    session: Session,
    loyalty: LoyaltyDep,
    values: Mapping[str, str],
    *,
    done: str | None = None,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "dashboard/referrals.html",
        {
            **page_context(session, loyalty, "referrals"),
            "title": "Settings → Referrals",
            "values": values,
            "errors": errors or {},
            "done": DONE.get(done or ""),
            "triggers": list(Trigger),
            "deliveries": list(Delivery),
        },
        status_code=status_code,
    )


@router.get("/settings/referrals")
def referral_settings(
    request: Request,
    session: SessionDep,
    loyalty: LoyaltyDep,
    referrals: ReferralsDep,
    done: str | None = None,
) -> Response:
    try:
        settings = referrals_api.read_settings(session.tenant_id, referrals)
    except REFUSALS as exc:
        raise PageError(refusal_status(exc) or 404, "No referral programme", str(exc)) from None
    return _referrals_page(request, session, loyalty, _referral_values(settings), done=done)


@router.post("/settings/referrals")
def save_referral_settings(
    request: Request,
    form: CheckedFormDep,
    session: SessionDep,
    loyalty: LoyaltyDep,
    referrals: ReferralsDep,
) -> Response:
    try:
        referrals_api.change_settings(referral_change(form), session.tenant_id, referrals)
    except FormProblems as exc:
        return _referrals_page(request, session, loyalty, form, errors=exc.errors, status_code=422)
    except ValidationError as exc:
        errors = field_errors(exc, REFERRAL_LABELS)
        return _referrals_page(request, session, loyalty, form, errors=errors, status_code=422)
    except REFUSALS as exc:
        return _referrals_page(
            request,
            session,
            loyalty,
            form,
            errors={"form": refusal_text(exc)},
            status_code=refusal_status(exc) or 422,
        )
    return redirect(f"{REFERRALS_URL}?done=referrals-saved")


# -- a client's profile --------------------------------------------------------------------


def _found(read: Callable[[], T]) -> T | None:
    """What the API route reads, or None where it answers 404 (no record, no card)."""
    try:
        return read()
    except HTTPException as exc:
        if exc.status_code == status.HTTP_404_NOT_FOUND:
            return None
        raise


@router.get("/clients")
def find_client(session: SessionDep, client_id: str = "") -> Response:
    """The overview's "open a client" form."""
    del session  # only a signed-in therapist is sent on
    if not client_id.strip():
        return redirect("/dashboard")
    return redirect(f"/dashboard/clients/{quote(client_id.strip(), safe='')}")


@router.get("/clients/{client_id}")
def client_profile(
    request: Request,
    client_id: str,
    *,
    session: SessionDep,
    loyalty: LoyaltyDep,
    conn: ReadConnDep,
    done: str | None = None,
) -> Response:
    tenant_id = session.tenant_id
    summary = _found(lambda: loyalty_api.read_client_summary(client_id, tenant_id, conn))
    card = _found(lambda: loyalty_api.loyalty_card(conn, tenant_id, client_id))
    referrals: ClientReferralsPublic = referrals_api.list_client_referrals(
        client_id, tenant_id, conn
    )
    if summary is None and not referrals.count and referrals.link_code is None:
        raise PageError(
            404,
            "No such client",
            f"Starcard has no record of a client {client_id!r}: no completed session, no "
            "referral. Check the client's id.",
            action=("/dashboard", "Back to the dashboard"),
        )
    return render(
        request,
        "dashboard/client.html",
        {
            **page_context(session, loyalty, "clients"),
            "title": f"Client {client_id}",
            "client_id": client_id,
            "summary": summary,
            "card": card,
            "referrals": referrals,
            "done": DONE.get(done or ""),
        },
    )
