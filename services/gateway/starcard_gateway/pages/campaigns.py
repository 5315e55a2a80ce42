"""Campaigns: how each campaign did against its hold-out group (per month or week, and as a CSV
download), each campaign's settings (birthday, anniversary, re-engagement) and what they share
(the booking link, the hold-out share, the attribution window), through the campaigns API's own
route functions and models.

The forms share one page, so each form's fields are named with its own prefix
(``birthday-discount_percent``, ``shared-booking_url``): every field has an id of its own, and a
refused form shows its errors beside its own fields. Each form changes only its own campaign (or
the shared settings), on the settings as stored when it is saved.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError
from starcard_campaigns.api import CAMPAIGNS, MAX_DAYS_BEFORE, MAX_VALID_DAYS, Campaign, Period

from starcard_gateway.api import campaigns as campaigns_api
from starcard_gateway.deps import CampaignsDep, LoyaltyDep
from starcard_gateway.models.campaigns import (
    SETTINGS_CHANGES,
    OfferSettingsChange,
    OfferSettingsPublic,
    ReengagementSettingsPublic,
    SharedSettingsChange,
    SharedSettingsPublic,
)
from starcard_gateway.pages.auth import CheckedFormDep, SessionDep
from starcard_gateway.pages.dashboard import dashboard_page
from starcard_gateway.pages.rendering import FormProblems, PageError, field_errors, submit_form
from starcard_gateway.pages.sessions import Session

router = APIRouter(prefix="/dashboard", include_in_schema=False)

CAMPAIGNS_URL = "/dashboard/campaigns"
SHARED = "shared"
"""The prefix of the shared settings' form."""

CAMPAIGN_NAMES: dict[Campaign, str] = {
    "birthday": "Birthday",
    "anniversary": "Anniversary",
    "reengagement": "Re-engagement",
}
LABELS = {
    "enabled": "On",
    "discount_percent": "Discount",
    "valid_days": "Code valid for",
    "message": "Message",
    "days_before": "Days before",
    "reward": "Reward",
    "add_on": "Complimentary add-on",
    "steps_days": "Days after the last visit",
    "category_steps": "Categories with their own days",
    "booking_url": "Booking link",
    "holdout_percent": "Hold-out group",
    "attribution_days": "Attribution window",
}
DONE = {
    "shared-saved": "Campaign settings saved. They apply from tomorrow's offers.",
    **{
        f"{campaign}-saved": f"{name} campaign saved. It applies from tomorrow's offers: offers "
        "already sent keep theirs."
        for campaign, name in CAMPAIGN_NAMES.items()
    },
}
"""What a form did, shown once after its redirect; a fixed text, so nothing sent is echoed."""

REWARD_NAMES = {
    "discount": "A discount code",
    "add_on": "A code for a complimentary add-on",
    "points": "Bonus points (the points programme's granted bonus)",
}

STEPS_EXAMPLE = "60, 90, 120"
CATEGORY_EXAMPLE = "Injectables = 100, 130, 160"


# -- the forms ---------------------------------------------------------------------------------


def _prefixed(prefix: str, fields: Mapping[str, str]) -> dict[str, str]:
    return {f"{prefix}-{name}": value for name, value in fields.items()}


def _days(text: str) -> list[str]:
    """ "60, 90,120" -> ["60", "90", "120"]: the whole numbers are the model's to check."""
    return [each.strip() for each in text.split(",") if each.strip()]


def _category_steps(text: str) -> dict[str, list[str]]:
    """ "Injectables = 100, 130" per line (or "Injectables: 100, 130"); raises `FormProblems`."""
    steps: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        name, sign, days = line.replace(":", "=", 1).partition("=")
        if not sign or not name.strip() or not _days(days):
            message = (
                f"{LABELS['category_steps']}: write one category a line, as category = days "
                f"(e.g. {CATEGORY_EXAMPLE}); {line.strip()!r} is not."
            )
            raise FormProblems({"category_steps": message})
        steps[name.strip()] = _days(days)
    return steps


def _text(form: Mapping[str, str], name: str) -> str:
    """A text area's text, with the line breaks browsers send (CRLF) as plain line breaks."""
    return form.get(name, "").replace("\r\n", "\n")


def campaign_change(campaign: Campaign, form: Mapping[str, str]) -> OfferSettingsChange:
    """The campaign's form (fields prefixed with the campaign) as the API's change; raises
    ``FormProblems`` naming the prefixed fields at fault."""
    model = SETTINGS_CHANGES[campaign]

    def field(name: str) -> str:
        return form.get(f"{campaign}-{name}", "").strip()

    fields: dict[str, Any] = {
        "enabled": field("enabled") == "on",
        "discount_percent": field("discount_percent"),
        "valid_days": field("valid_days"),
        "message": _text(form, f"{campaign}-message"),
    }
    if "days_before" in model.model_fields:
        fields["days_before"] = field("days_before")
    if "reward" in model.model_fields:
        fields["reward"] = field("reward") or "discount"
        fields["add_on"] = field("add_on") or None
    try:
        if "steps_days" in model.model_fields:
            fields["steps_days"] = _days(field("steps_days"))
            fields["category_steps"] = _category_steps(_text(form, f"{campaign}-category_steps"))
        return model.model_validate(fields)
    except FormProblems as exc:
        raise FormProblems(_prefixed(campaign, exc.errors)) from None
    except ValidationError as exc:
        raise FormProblems(_prefixed(campaign, field_errors(exc, LABELS))) from None


def shared_change(form: Mapping[str, str]) -> SharedSettingsChange:
    """The shared settings' form as the API's change; a blank booking link is none."""
    try:
        return SharedSettingsChange.model_validate(
            {
                "booking_url": form.get(f"{SHARED}-booking_url", "").strip() or None,
                "holdout_percent": form.get(f"{SHARED}-holdout_percent", "").strip(),
                "attribution_days": form.get(f"{SHARED}-attribution_days", "").strip(),
            }
        )
    except ValidationError as exc:
        raise FormProblems(_prefixed(SHARED, field_errors(exc, LABELS))) from None


def campaign_values(campaign: Campaign, settings: OfferSettingsPublic) -> dict[str, str]:
    """A campaign's settings as its form shows them."""
    values = {
        name: str(value)
        for name, value in settings.model_dump().items()
        if isinstance(value, int | str) and not isinstance(value, bool)
    }
    values["enabled"] = "on" if settings.enabled else ""
    if isinstance(settings, ReengagementSettingsPublic):
        values["steps_days"] = ", ".join(map(str, settings.steps_days))
        values["category_steps"] = "\n".join(
            f"{name} = {', '.join(map(str, days))}"
            for name, days in settings.category_steps.items()
        )
    return _prefixed(campaign, values)


def shared_values(settings: SharedSettingsPublic) -> dict[str, str]:
    return _prefixed(
        SHARED,
        {
            "booking_url": settings.booking_url or "",
            "holdout_percent": str(settings.holdout_percent),
            "attribution_days": str(settings.attribution_days),
        },
    )


# -- the page ----------------------------------------------------------------------------------


def _period(period: str | None) -> Period:
    return "week" if period == "week" else "month"


def _settings(tenant_id: str, campaigns: CampaignsDep) -> dict[Campaign, OfferSettingsPublic]:
    return {
        "birthday": campaigns_api.read_birthday_settings(tenant_id, campaigns),
        "anniversary": campaigns_api.read_anniversary_settings(tenant_id, campaigns),
        "reengagement": campaigns_api.read_reengagement_settings(tenant_id, campaigns),
    }


def _campaigns_page(
    request: Request,
    session: Session,
    loyalty: LoyaltyDep,
    campaigns: CampaignsDep,
    *,
    period: Period = "month",
    done: str | None = None,
    refused: tuple[str, Mapping[str, str]] | None = None,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The page; after a refused form (`refused`: its prefix and what was posted), that form
    with what was typed and what to fix."""
    tenant_id = session.tenant_id
    shared = campaigns_api.read_shared_settings(tenant_id, campaigns)
    settings = _settings(tenant_id, campaigns)
    values = shared_values(shared)
    for campaign, each in settings.items():
        values |= campaign_values(campaign, each)
    if refused is not None:
        prefix, posted = refused
        # An unticked box is not posted: the form's stored values all give way to what was.
        values = {k: v for k, v in values.items() if not k.startswith(f"{prefix}-")}
        values.update(posted)
    context: dict[str, Any] = {
        "results": campaigns_api.campaign_results(tenant_id, campaigns, period, None),
        "period": period,
        "shared": shared,
        "settings": settings,
        "values": values,
        "errors": errors or {},
        "refused_form": None if refused is None else refused[0],
        "campaign_names": CAMPAIGN_NAMES,
        "max_days_before": MAX_DAYS_BEFORE,
        "reward_names": REWARD_NAMES,
        "max_valid_days": MAX_VALID_DAYS,
        "steps_example": STEPS_EXAMPLE,
        "category_example": CATEGORY_EXAMPLE,
        "done": DONE.get(done or ""),
    }
    return dashboard_page(
        request,
        session,
        loyalty,
        "dashboard/campaigns.html",
        section="campaigns",
        title="Campaigns",
        status_code=status_code,
        **context,
    )


@router.get("/campaigns")
def campaigns_page(
    request: Request,
    *,
    session: SessionDep,
    loyalty: LoyaltyDep,
    campaigns: CampaignsDep,
    period: str | None = None,
    done: str | None = None,
) -> Response:
    return _campaigns_page(request, session, loyalty, campaigns, period=_period(period), done=done)


@router.get("/campaigns/results.csv")
def campaign_results_csv(
    session: SessionDep, campaigns: CampaignsDep, period: str | None = None
) -> Response:
    """The results table as the API's CSV, for the signed-in tenant."""
    results = campaigns_api.campaign_results(session.tenant_id, campaigns, _period(period), None)
    return campaigns_api.results_csv(results)


def _save(
    request: Request,
    form: Mapping[str, str],
    session: Session,
    loyalty: LoyaltyDep,
    campaigns: CampaignsDep,
    *,
    prefix: str,
    write: Callable[[], object],
) -> Response:
    """Save the form of `prefix`; a refusal shows the page again with that form as typed."""
    return submit_form(
        write,
        labels=LABELS,
        show_again=lambda errors, status: _campaigns_page(
            request,
            session,
            loyalty,
            campaigns,
            refused=(prefix, form),
            errors=errors,
            status_code=status,
        ),
        then=f"{CAMPAIGNS_URL}?done={prefix}-saved#{prefix}",
        refusal_field=f"{prefix}-form",
    )


@router.post("/campaigns/settings")
def save_shared_settings(
    request: Request,
    form: CheckedFormDep,
    session: SessionDep,
    loyalty: LoyaltyDep,
    campaigns: CampaignsDep,
) -> Response:
    return _save(
        request,
        form,
        session,
        loyalty,
        campaigns,
        prefix=SHARED,
        write=lambda: campaigns.change_shared_settings(
            session.tenant_id, **shared_change(form).changes()
        ),
    )


@router.post("/campaigns/{campaign}/settings")
def save_campaign_settings(
    request: Request,
    campaign: str,
    *,
    form: CheckedFormDep,
    session: SessionDep,
    loyalty: LoyaltyDep,
    campaigns: CampaignsDep,
) -> Response:
    known = next((each for each in CAMPAIGNS if each == campaign), None)
    if known is None:
        raise PageError(
            404,
            "No such campaign",
            f"The campaigns are {campaigns_api.CAMPAIGN_NAMES}.",
            action=(CAMPAIGNS_URL, "Back to Campaigns"),
        )
    return _save(
        request,
        form,
        session,
        loyalty,
        campaigns,
        prefix=known,
        write=lambda: campaigns_api.change_campaign(
            campaigns, loyalty, session.tenant_id, known, campaign_change(known, form).changes()
        ),
    )
