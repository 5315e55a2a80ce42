"""Settings → Tiers: whether tiers are on, the currency, the window, what spend counts, how tiers
drop and the warning before a drop; the tiers themselves (add one, edit one on its own page,
remove one) with their members, through the tiers API's own route functions.

Each form changes only what it shows, on the settings as stored when it is saved (the loyalty
service's ``change_tier_settings``), so two people editing different tiers at once both keep
their edit. Amounts are typed in the programme's currency ("1,000.00"), kept in minor units.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError
from starcard_loyalty.api import InvalidTierSettings, LoyaltyService, Tier, TierSettings

from starcard_gateway.api import tiers as tiers_api
from starcard_gateway.deps import LoyaltyDep, ReadConnDep
from starcard_gateway.models.tiers import (
    TierFields,
    TierPublic,
    TierSettingsChange,
    TierSettingsPublic,
)
from starcard_gateway.pages.auth import CheckedFormDep, SessionDep
from starcard_gateway.pages.dashboard import DONE, dashboard_page
from starcard_gateway.pages.form_values import VERSION_FIELD, id_from_name, shown_version
from starcard_gateway.pages.money_fields import major_units, typed_amount
from starcard_gateway.pages.rendering import FormProblems, PageError, field_errors, submit_form
from starcard_gateway.pages.sessions import Session

router = APIRouter(prefix="/dashboard", include_in_schema=False)

TIERS_URL = "/dashboard/settings/tiers"
LEVELS_URL = f"{TIERS_URL}/levels"

COUNT_NAMES = {
    "treatment": "Treatments",
    "retail": "Retail products",
    "package": "Package purchases",
}
DROP_NAMES = {
    "one_tier": "One tier down at a time: a client has time to win the lower tier's place "
    "again before the next drop",
    "to_spend": "Straight to the tier the spend in the window matches",
}
LABELS = {
    "enabled": "Tiers",
    "currency": "Currency",
    "window_months": "Window",
    "counts": "What counts",
    "keep_days": "Keep period",
    "drop": "Drops",
    "warn_days": "Warning",
    "stack_with_codes": "Discount codes",
    "tier_id": "Tier",
    "name": "Name",
    "entry": "Spend to reach it",
    "stay": "Spend to keep it",
    "treatment_discount_percent": "Treatment discount",
    "product_discount_percent": "Product discount",
    "priority_booking": "Priority booking",
    "complimentary_service_id": "Complimentary service",
    "points_multiplier": "Points multiplier",
}
FORM_FIELD_OF = {"entry_minor": "entry", "stay_minor": "stay"}
"""A tier's amounts are typed in the currency's units, in fields of their own names."""


def _values(settings: TierSettingsPublic) -> dict[str, str]:
    """The settings as the form shows them."""
    values = {
        "enabled": "on" if settings.enabled else "",
        "currency": settings.currency,
        "window_months": str(settings.window_months),
        "keep_days": str(settings.keep_days),
        "drop": settings.drop.value,
        "warn_days": "" if settings.warn_days is None else str(settings.warn_days),
        "stack_with_codes": "on" if settings.stack_with_codes else "",
    }
    for kind in settings.counts:
        values[f"count_{kind.value}"] = "on"
    return values


def tiers_change(form: Mapping[str, str]) -> TierSettingsChange:
    """The settings form as the API's change (every field but the tiers); raises
    ``ValidationError``. A blank keep period is none (0), a blank warning no warning."""
    return TierSettingsChange.model_validate(
        {
            "enabled": form.get("enabled") == "on",
            "currency": form.get("currency", "").strip().upper(),
            "window_months": form.get("window_months", "").strip(),
            "counts": [kind for kind in COUNT_NAMES if form.get(f"count_{kind}") == "on"],
            "keep_days": form.get("keep_days", "").strip() or "0",
            "drop": form.get("drop", ""),
            "warn_days": form.get("warn_days", "").strip() or None,
            "stack_with_codes": form.get("stack_with_codes") == "on",
        }
    )


def tier_values(tier: TierPublic, currency: str) -> dict[str, str]:
    """A tier as its form shows it: amounts in the currency's units."""
    return {
        "name": tier.name,
        "entry": major_units(tier.entry_minor, currency),
        "stay": "" if tier.stay_minor is None else major_units(tier.stay_minor, currency),
        "treatment_discount_percent": str(tier.treatment_discount_percent),
        "product_discount_percent": str(tier.product_discount_percent),
        "priority_booking": "on" if tier.priority_booking else "",
        "complimentary_service_id": tier.complimentary_service_id or "",
        "points_multiplier": str(tier.points_multiplier),
    }


def _amount(form: Mapping[str, str], name: str, currency: str) -> int | None:
    """The amount typed in `name`, in minor units (None when blank); raises `FormProblems`."""
    return typed_amount(form, name, currency, LABELS[name])


def tier_fields(form: Mapping[str, str], tier_id: str, currency: str) -> TierFields:
    """A tier's form as the API's tier; raises ``FormProblems``. Without an entry field (the
    first tier's form has none: it is everyone's), the entry is 0. Blank discounts are 0, a
    blank multiplier is 1."""
    entry = 0 if "entry" not in form else _amount(form, "entry", currency)
    if entry is None:
        raise FormProblems({"entry": f"{LABELS['entry']}: an amount in {currency}."})
    stay = _amount(form, "stay", currency) if "entry" in form else None
    try:
        return TierFields.model_validate(
            {
                "tier_id": tier_id,
                "name": form.get("name", "").strip(),
                "entry_minor": entry,
                "stay_minor": stay,
                "treatment_discount_percent": form.get("treatment_discount_percent", "").strip()
                or "0",
                "product_discount_percent": form.get("product_discount_percent", "").strip() or "0",
                "priority_booking": form.get("priority_booking") == "on",
                "complimentary_service_id": form.get("complimentary_service_id", "").strip()
                or None,
                "points_multiplier": form.get("points_multiplier", "").strip() or "1",
            }
        )
    except ValidationError as exc:
        errors = field_errors(exc, LABELS)
        raise FormProblems(
            {FORM_FIELD_OF.get(name, name): text for name, text in errors.items()}
        ) from None


def tier_id_for(name: str, taken: set[str]) -> str:
    """A new tier's id from its name: "Gold Plus" -> "gold-plus", "gold-plus-2" when taken."""
    return id_from_name(name, taken, "tier")


def with_tier_added(tiers: tuple[Tier, ...], added: Tier) -> tuple[Tier, ...]:
    """The tiers with `added` in its place by threshold (after those needing no more)."""
    below = [tier for tier in tiers if tier.entry_minor <= added.entry_minor]
    above = [tier for tier in tiers if tier.entry_minor > added.entry_minor]
    return (*below, added, *above)


def with_tier_replaced(tiers: tuple[Tier, ...], edited: Tier) -> tuple[Tier, ...]:
    """The tiers with the one of `edited`'s id replaced, where it stands; refused if it was
    removed meanwhile."""
    if all(tier.tier_id != edited.tier_id for tier in tiers):
        msg = f"No tier {edited.name!r} any more: it was removed meanwhile. Add it again."
        raise InvalidTierSettings([msg])
    return tuple(edited if tier.tier_id == edited.tier_id else tier for tier in tiers)


def _change_tiers(
    loyalty: LoyaltyService,
    tenant_id: str,
    change: Callable[[TierSettings], tuple[Tier, ...]],
) -> None:
    """Change the tiers on the settings as stored when the change is saved."""
    loyalty.change_tier_settings(
        tenant_id, lambda settings: replace(settings, tiers=change(settings)), datetime.now(UTC)
    )


def _tiers_page(
    request: Request,
    session: Session,
    loyalty: LoyaltyDep,
    conn: ReadConnDep,
    *,
    done: str | None = None,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    new_tier: Mapping[str, str] | None = None,
    new_tier_errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The page; after a refused form, with what was typed and what to fix."""
    tenant_id = session.tenant_id
    # The version first: a change landing between the two reads makes the form refused, never
    # lets it undo that change.
    shown = {VERSION_FIELD: str(loyalty.programme(tenant_id).tier_versions.version)}
    settings = tiers_api.read_tier_settings(tenant_id, loyalty)
    distribution = tiers_api.read_tier_distribution(tenant_id, conn, loyalty)
    context: dict[str, Any] = {
        "settings": settings,
        "values": values if values is not None else _values(settings) | shown,
        "errors": errors or {},
        "new_tier": new_tier or {"points_multiplier": "1"},
        "new_tier_errors": new_tier_errors or {},
        "members": {row.tier_id: row.members for row in distribution.data},
        "distribution": distribution,
        "count_names": COUNT_NAMES,
        "drop_names": DROP_NAMES,
        "done": DONE.get(done or ""),
    }
    return dashboard_page(
        request,
        session,
        loyalty,
        "dashboard/tiers.html",
        section="tiers",
        title="Settings → Tiers",
        status_code=status_code,
        **context,
    )


@router.get("/settings/tiers")
def tier_settings(
    request: Request,
    *,
    session: SessionDep,
    loyalty: LoyaltyDep,
    conn: ReadConnDep,
    done: str | None = None,
) -> Response:
    return _tiers_page(request, session, loyalty, conn, done=done)


@router.post("/settings/tiers")
def save_tier_settings(
    request: Request,
    form: CheckedFormDep,
    session: SessionDep,
    loyalty: LoyaltyDep,
    conn: ReadConnDep,
) -> Response:
    return submit_form(
        lambda: loyalty.change_tier_settings(
            session.tenant_id,
            tiers_change(form).applied_to,
            datetime.now(UTC),
            expected_version=shown_version(form),
        ),
        labels=LABELS,
        show_again=lambda errors, status: _tiers_page(
            request, session, loyalty, conn, values=form, errors=errors, status_code=status
        ),
        then=f"{TIERS_URL}?done=tiers-saved",
    )


@router.post("/settings/tiers/levels")
def add_tier(
    request: Request,
    form: CheckedFormDep,
    session: SessionDep,
    loyalty: LoyaltyDep,
    conn: ReadConnDep,
) -> Response:
    tenant_id = session.tenant_id

    def add() -> None:
        settings = tiers_api.read_tier_settings(tenant_id, loyalty)
        fields = tier_fields(form, "new", settings.currency)

        def added(stored: TierSettings) -> tuple[Tier, ...]:
            taken = {tier.tier_id for tier in stored.tiers}
            tier = replace(fields.to_domain(), tier_id=tier_id_for(fields.name, taken))
            return with_tier_added(stored.tiers, tier)

        _change_tiers(loyalty, tenant_id, added)

    return submit_form(
        add,
        labels=LABELS,
        show_again=lambda errors, status: _tiers_page(
            request,
            session,
            loyalty,
            conn,
            new_tier=form,
            new_tier_errors=errors,
            status_code=status,
        ),
        then=f"{TIERS_URL}?done=tier-added#tiers",
    )


def _tier(session: Session, loyalty: LoyaltyDep, tier_id: str) -> tuple[TierPublic, bool, str]:
    """The tier, whether it is the first (everyone's), and the programme's currency."""
    settings = tiers_api.read_tier_settings(session.tenant_id, loyalty)
    for index, tier in enumerate(settings.tiers):
        if tier.tier_id == tier_id:
            return tier, index == 0, settings.currency
    raise PageError(
        404,
        "No such tier",
        "It may have been removed meanwhile.",
        action=(TIERS_URL, "Back to Settings → Tiers"),
    )


def _edit_page(
    request: Request,
    session: Session,
    loyalty: LoyaltyDep,
    tier_id: str,
    *,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    version = loyalty.programme(session.tenant_id).tier_versions.version  # before the tier
    tier, first, currency = _tier(session, loyalty, tier_id)
    return dashboard_page(
        request,
        session,
        loyalty,
        "dashboard/tier_edit.html",
        section="tiers",
        title=f"Edit the {tier.name} tier",
        tier=tier,
        first=first,
        currency=currency,
        values=values or tier_values(tier, currency) | {VERSION_FIELD: str(version)},
        errors=errors or {},
        status_code=status_code,
    )


@router.get("/settings/tiers/levels/{tier_id}")
def edit_tier_form(
    request: Request, tier_id: str, session: SessionDep, loyalty: LoyaltyDep
) -> Response:
    return _edit_page(request, session, loyalty, tier_id)


@router.post("/settings/tiers/levels/{tier_id}")
def edit_tier(
    request: Request,
    tier_id: str,
    form: CheckedFormDep,
    session: SessionDep,
    loyalty: LoyaltyDep,
) -> Response:
    _, first, currency = _tier(session, loyalty, tier_id)
    shown = {name: value for name, value in form.items() if not first or name not in {"entry"}}

    def save() -> None:
        edited = tier_fields(shown, tier_id, currency).to_domain()
        loyalty.change_tier_settings(
            session.tenant_id,
            lambda s: replace(s, tiers=with_tier_replaced(s.tiers, edited)),
            datetime.now(UTC),
            expected_version=shown_version(form),
        )

    return submit_form(
        save,
        labels=LABELS,
        show_again=lambda errors, status: _edit_page(
            request, session, loyalty, tier_id, values=form, errors=errors, status_code=status
        ),
        then=f"{TIERS_URL}?done=tier-saved#tiers",
    )


@router.post("/settings/tiers/levels/{tier_id}/delete")
def remove_tier(
    request: Request,
    tier_id: str,
    *,
    form: CheckedFormDep,
    session: SessionDep,
    loyalty: LoyaltyDep,
    conn: ReadConnDep,
) -> Response:
    del form  # checked for its CSRF token; the button carries nothing else
    return submit_form(
        lambda: _change_tiers(
            loyalty,
            session.tenant_id,
            lambda s: tuple(tier for tier in s.tiers if tier.tier_id != tier_id),
        ),
        labels=LABELS,
        show_again=lambda errors, status: _tiers_page(
            request, session, loyalty, conn, errors=errors, status_code=status
        ),
        then=f"{TIERS_URL}?done=tier-removed#tiers",
    )
