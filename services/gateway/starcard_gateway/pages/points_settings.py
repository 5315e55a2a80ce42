"""Settings → Points: earning rates, what pays and earns, bonuses, expiry and redemption, the
service bonuses (add, delete) and the clients by points, through the points API's own route
functions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from starcard_events.bookings import PaymentMethod
from starcard_loyalty.api import Expiry, LoyaltyService, ServiceBonus

from starcard_gateway.api import points as points_api
from starcard_gateway.deps import LoyaltyDep, ReadConnDep
from starcard_gateway.models.points import (
    PointsSettingsChange,
    PointsSettingsPublic,
    ServiceBonusFields,
)
from starcard_gateway.pages.auth import CheckedFormDep, SessionDep
from starcard_gateway.pages.dashboard import DONE, dashboard_page, page_number
from starcard_gateway.pages.rendering import FormProblems, redirect, submit_form
from starcard_gateway.pages.sessions import Session

router = APIRouter(prefix="/dashboard", include_in_schema=False)

POINTS_URL = "/dashboard/settings/points"
CLIENTS_PAGE_SIZE = 50

PAYMENT_NAMES = {
    "card": "Card",
    "cash": "Cash",
    "other": "Other payments",
    "membership_credit": "Membership credit",
    "package": "Package",
    "gift_card": "Gift card",
    "credit": "Referral credit",
    "points": "Points",
}
EXPIRY_NAMES = {
    "never": "Never",
    "after_days": "A number of days after they are earned",
    "end_of_month": "At the end of the month they are earned in",
    "end_of_year": "At the end of the year they are earned in",
}
LABELS = {
    "enabled": "Points programme",
    "treatment_rate": "Treatment rate",
    "category_rates": "Rates by category",
    "retail_rate": "Retail rate",
    "earning_payment_methods": "Payments that earn",
    "rebook_within_days": "Rebooking window",
    "rebook_bonus_points": "Rebooking bonus",
    "package_bonus_points": "Package bonus",
    "granted_bonus_points": "Bonus from other programmes",
    "expiry": "Expiry",
    "expiry_days": "Days points last",
    "expiry_notice_days": "Notice before expiry",
    "points_per_currency_unit": "Points worth one currency unit",
    "min_redeem_points": "Fewest points used at once",
    "max_bill_percent": "Most of a bill points pay",
    "bonus_id": "Name",
    "target": "Service or category",
    "multiplier": "Multiplier",
    "points": "Extra points",
    "service_bonuses": "Bonus",
}


def _values(settings: PointsSettingsPublic) -> dict[str, str]:
    """The settings as the form shows them."""
    values = {
        "enabled": "on" if settings.enabled else "",
        "treatment_rate": str(settings.treatment_rate),
        "category_rates": "\n".join(
            f"{name} = {rate}" for name, rate in settings.category_rates.items()
        ),
        "retail_rate": str(settings.retail_rate),
        "expiry": settings.expiry.value,
    }
    for name in (
        "rebook_within_days",
        "rebook_bonus_points",
        "package_bonus_points",
        "granted_bonus_points",
        "expiry_days",
        "expiry_notice_days",
        "points_per_currency_unit",
        "min_redeem_points",
        "max_bill_percent",
    ):
        value = getattr(settings, name)
        values[name] = "" if value is None else str(value)
    for method in settings.earning_payment_methods:
        values[f"pay_{method.value}"] = "on"
    return values


def _category_rates(text: str) -> dict[str, str]:
    """ "injectables = 2" per line (or "injectables: 2"); raises `FormProblems`."""
    rates: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        name, sign, rate = line.replace(":", "=", 1).partition("=")
        if not sign or not name.strip() or not rate.strip():
            message = (
                f"Rates by category: write one category a line, as name = rate (e.g. "
                f"injectables = 2); {line.strip()!r} is not."
            )
            raise FormProblems({"category_rates": message})
        rates[name.strip()] = rate.strip()
    return rates


def points_change(form: Mapping[str, str]) -> PointsSettingsChange:
    """The settings form as the API's change (every field but the service bonuses); raises
    ``FormProblems`` or ``ValidationError``. A blank number is none (days) or 0 (points)."""

    def days(name: str) -> str | None:
        return form.get(name, "").strip() or None

    def points(name: str) -> str:
        return form.get(name, "").strip() or "0"

    expiry = form.get("expiry", "")
    return PointsSettingsChange.model_validate(
        {
            "enabled": form.get("enabled") == "on",
            "treatment_rate": form.get("treatment_rate", "").strip(),
            "category_rates": _category_rates(form.get("category_rates", "")),
            "retail_rate": form.get("retail_rate", "").strip(),
            "earning_payment_methods": [
                method.value for method in PaymentMethod if form.get(f"pay_{method.value}") == "on"
            ],
            "rebook_within_days": days("rebook_within_days"),
            "rebook_bonus_points": points("rebook_bonus_points"),
            "package_bonus_points": points("package_bonus_points"),
            "granted_bonus_points": points("granted_bonus_points"),
            "expiry": expiry,
            "expiry_days": days("expiry_days") if expiry == Expiry.AFTER_DAYS else None,
            "expiry_notice_days": days("expiry_notice_days"),
            "points_per_currency_unit": form.get("points_per_currency_unit", "").strip(),
            "min_redeem_points": points("min_redeem_points"),
            "max_bill_percent": form.get("max_bill_percent", "").strip(),
        }
    )


def _bonus(form: Mapping[str, str]) -> ServiceBonusFields:
    """The add-a-bonus form as the API's bonus; raises ``ValidationError``."""
    target = form.get("target", "").strip() or None
    on_service = form.get("applies_to") == "service"
    return ServiceBonusFields.model_validate(
        {
            "bonus_id": form.get("bonus_id", "").strip(),
            "service_id": target if on_service else None,
            "category": None if on_service else target,
            "multiplier": form.get("multiplier", "").strip() or None,
            "points": form.get("points", "").strip() or None,
        }
    )


def _points_page(
    request: Request,
    session: Session,
    loyalty: LoyaltyDep,
    conn: ReadConnDep,
    *,
    page: int = 1,
    done: str | None = None,
    values: Mapping[str, str] | None = None,
    bonus_values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    bonus_errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The page; after a refused form, with what was typed and what to fix."""
    tenant_id = session.tenant_id
    settings = points_api.read_points_settings(tenant_id, loyalty)
    offset = (page - 1) * CLIENTS_PAGE_SIZE
    clients = points_api.list_clients_by_points(
        tenant_id, conn, limit=CLIENTS_PAGE_SIZE, offset=offset
    )
    context: dict[str, Any] = {
        "settings": settings,
        "values": values if values is not None else _values(settings),
        "bonus_values": bonus_values or {"applies_to": "service"},
        "errors": errors or {},
        "bonus_errors": bonus_errors or {},
        "payment_names": PAYMENT_NAMES,
        "expiry_names": EXPIRY_NAMES,
        "clients": clients,
        "page": page,
        "pages": max(1, -(-clients.count // CLIENTS_PAGE_SIZE)),
        "first_rank": offset + 1,
        "done": DONE.get(done or ""),
    }
    return dashboard_page(
        request,
        session,
        loyalty,
        "dashboard/points.html",
        section="points",
        title="Settings → Points",
        status_code=status_code,
        **context,
    )


@router.get("/settings/points")
def points_settings(
    request: Request,
    *,
    session: SessionDep,
    loyalty: LoyaltyDep,
    conn: ReadConnDep,
    page: str | None = None,
    done: str | None = None,
) -> Response:
    return _points_page(request, session, loyalty, conn, page=page_number(page), done=done)


@router.post("/settings/points")
def save_points_settings(
    request: Request,
    form: CheckedFormDep,
    session: SessionDep,
    loyalty: LoyaltyDep,
    conn: ReadConnDep,
) -> Response:
    return submit_form(
        lambda: points_api.change_points_settings(points_change(form), session.tenant_id, loyalty),
        labels=LABELS,
        show_again=lambda errors, status: _points_page(
            request, session, loyalty, conn, values=form, errors=errors, status_code=status
        ),
        then=f"{POINTS_URL}?done=points-saved",
    )


def _change_bonuses(
    loyalty: LoyaltyService,
    tenant_id: str,
    change: Callable[[tuple[ServiceBonus, ...]], tuple[ServiceBonus, ...]],
) -> None:
    """Add or remove a bonus on the settings as stored when the change is saved, so two people
    editing bonuses at once both keep their edit."""
    loyalty.change_points_settings(
        tenant_id,
        lambda settings: replace(settings, service_bonuses=change(settings.service_bonuses)),
        datetime.now(UTC),
    )


@router.post("/settings/points/bonuses")
def add_bonus(
    request: Request,
    form: CheckedFormDep,
    session: SessionDep,
    loyalty: LoyaltyDep,
    conn: ReadConnDep,
) -> Response:
    tenant_id = session.tenant_id

    def add() -> None:
        added = _bonus(form).to_domain()
        _change_bonuses(loyalty, tenant_id, lambda bonuses: (*bonuses, added))

    return submit_form(
        add,
        labels=LABELS,
        show_again=lambda errors, status: _points_page(
            request,
            session,
            loyalty,
            conn,
            bonus_values=form,
            bonus_errors=errors,
            status_code=status,
        ),
        then=f"{POINTS_URL}?done=bonus-added#bonuses",
    )


@router.post("/settings/points/bonuses/{bonus_id}/delete")
def delete_bonus(
    bonus_id: str, form: CheckedFormDep, session: SessionDep, loyalty: LoyaltyDep
) -> Response:
    del form  # checked for its CSRF token; the button carries nothing else
    tenant_id = session.tenant_id
    _change_bonuses(
        loyalty,
        tenant_id,
        lambda bonuses: tuple(bonus for bonus in bonuses if bonus.bonus_id != bonus_id),
    )
    return redirect(f"{POINTS_URL}?done=bonus-deleted#bonuses")
