"""Settings → Referrals: the reward (an amount or a percentage), its trigger and delivery, the
referred client's welcome code, through the referrals API's own route functions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request, Response
from starcard_referrals.api import Delivery, Trigger

from starcard_gateway.api import referrals as referrals_api
from starcard_gateway.deps import LoyaltyDep, ReferralsDep
from starcard_gateway.models.referrals import ReferralSettingsChange, ReferralSettingsPublic
from starcard_gateway.pages.auth import CheckedFormDep, SessionDep
from starcard_gateway.pages.dashboard import DONE, dashboard_page
from starcard_gateway.pages.money_fields import major_units, minor_units
from starcard_gateway.pages.rendering import (
    REFUSALS,
    FormProblems,
    PageError,
    refusal_status,
    submit_form,
)
from starcard_gateway.pages.sessions import Session

router = APIRouter(prefix="/dashboard", include_in_schema=False)

REFERRALS_URL = "/dashboard/settings/referrals"

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
    return dashboard_page(
        request,
        session,
        loyalty,
        "dashboard/referrals.html",
        section="referrals",
        title="Settings → Referrals",
        values=values,
        errors=errors or {},
        done=DONE.get(done or ""),
        triggers=list(Trigger),
        deliveries=list(Delivery),
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
    return submit_form(
        lambda: referrals_api.change_settings(referral_change(form), session.tenant_id, referrals),
        labels=REFERRAL_LABELS,
        show_again=lambda errors, status: _referrals_page(
            request, session, loyalty, form, errors=errors, status_code=status
        ),
        then=f"{REFERRALS_URL}?done=referrals-saved",
    )
