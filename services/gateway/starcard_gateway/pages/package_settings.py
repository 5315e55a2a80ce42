"""Settings → Packages: the catalogue of pre-paid packages the till sells (add one, edit one on
its own page, stop or start selling one), with each package's price per session and what it
saves against single sessions; and how packages are kept: the refund policy, the expiry reminder
and the currency, through the package settings API's own route function and models.

Each form changes only what it shows, on the settings as stored when it is saved (the loyalty
service's ``change_package_settings``), so adding a package and changing the policies at once
both land; a form carrying the version it was shown with (a package's edit, the policies) is
refused if the settings moved on since, saying to reload, so no one undoes a change they have
not seen. Amounts are typed in the catalogue's currency ("270.00"), kept in minor units.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError
from starcard_loyalty.api import InvalidPackageSettings, LoyaltyService, Package, PackageSettings

from starcard_gateway.api.package_settings import package_settings
from starcard_gateway.deps import LoyaltyDep
from starcard_gateway.models.package_settings import (
    PackageFields,
    PackagePolicies,
    PackagePublic,
    PackageSettingsPublic,
    with_package,
)
from starcard_gateway.pages.auth import CheckedFormDep, SessionDep
from starcard_gateway.pages.dashboard import DONE, dashboard_page
from starcard_gateway.pages.form_values import VERSION_FIELD, id_from_name, shown_version
from starcard_gateway.pages.money_fields import major_units, typed_amount
from starcard_gateway.pages.rendering import FormProblems, PageError, field_errors, submit_form
from starcard_gateway.pages.sessions import Session

router = APIRouter(prefix="/dashboard", include_in_schema=False)

PACKAGES_URL = "/dashboard/settings/packages"
SECTION = "package-settings"

REFUND_NAMES = {
    "pro_rata": "Pro rata: the unused sessions' share of the price paid",
    "less_sessions_used": "Less the sessions used: the price paid less each used session at the "
    "single-session price (the discount is earned by using the whole package)",
}
VALID_FROM_NAMES = {"purchase": "From the purchase", "first_use": "From the first session used"}
LABELS = {
    "refund_policy": "Refund policy",
    "reminder_days": "Reminder",
    "currency": "Currency",
    "name": "Name",
    "service_ids": "Services",
    "categories": "Categories",
    "sessions": "Sessions",
    "price": "Package price",
    "single_session_price": "Single-session price",
    "validity_days": "Validity",
    "valid_from": "Validity counts",
    "bonus_points": "Bonus points",
    # The API's names of the amounts, as the fields typed in the currency's units are labelled.
    "price_minor": "Package price",
    "single_session_price_minor": "Single-session price",
}
FORM_FIELD_OF = {"price_minor": "price", "single_session_price_minor": "single_session_price"}
"""A package's amounts are typed in the currency's units, in fields of their own names."""


def policies_values(settings: PackageSettingsPublic) -> dict[str, str]:
    """The refund policy, reminder and currency as their form shows them, with the version."""
    return {
        "refund_policy": settings.refund_policy.value,
        "reminder_days": "" if settings.reminder_days is None else str(settings.reminder_days),
        "currency": settings.currency,
        VERSION_FIELD: str(settings.version),
    }


def policies_change(form: Mapping[str, str]) -> PackagePolicies:
    """The policies form as the API's model; raises ``ValidationError``. A blank reminder is
    none."""
    return PackagePolicies.model_validate(
        {
            "refund_policy": form.get("refund_policy", ""),
            "reminder_days": form.get("reminder_days", "").strip() or None,
            "currency": form.get("currency", "").strip().upper(),
        }
    )


def _listed(text: str) -> list[str]:
    """ "a, b ,,c" -> ["a", "b", "c"]: what a comma-separated field lists."""
    return [each.strip() for each in text.split(",") if each.strip()]


def package_values(package: PackagePublic, currency: str) -> dict[str, str]:
    """A package as its form shows it: amounts in the currency's units, lists comma-separated."""
    single = package.single_session_price_minor
    return {
        "name": package.name,
        "service_ids": ", ".join(package.service_ids),
        "categories": ", ".join(package.categories),
        "sessions": str(package.sessions),
        "price": major_units(package.price_minor, currency),
        "single_session_price": "" if single is None else major_units(single, currency),
        "validity_days": "" if package.validity_days is None else str(package.validity_days),
        "valid_from": package.valid_from.value,
        "bonus_points": "" if package.bonus_points is None else str(package.bonus_points),
    }


def package_fields(form: Mapping[str, str], currency: str, *, active: bool) -> PackageFields:
    """A package's form as the API's package; raises ``FormProblems``. A blank validity is no
    expiry, blank bonus points the points programme's package bonus."""
    price = typed_amount(form, "price", currency, LABELS["price"])
    single = typed_amount(form, "single_session_price", currency, LABELS["single_session_price"])
    if price is None:
        raise FormProblems({"price": f"{LABELS['price']}: an amount in {currency}."})
    try:
        return PackageFields.model_validate(
            {
                "name": form.get("name", "").strip(),
                "service_ids": _listed(form.get("service_ids", "")),
                "categories": _listed(form.get("categories", "")),
                "sessions": form.get("sessions", "").strip(),
                "price_minor": price,
                "single_session_price_minor": single,
                "validity_days": form.get("validity_days", "").strip() or None,
                "valid_from": form.get("valid_from", "purchase"),
                "bonus_points": form.get("bonus_points", "").strip() or None,
                "active": active,
            }
        )
    except ValidationError as exc:
        errors = field_errors(exc, LABELS)
        raise FormProblems(
            {FORM_FIELD_OF.get(name, name): text for name, text in errors.items()}
        ) from None


def per_session_minor(package: PackagePublic) -> int:
    """What one session of the package costs, to the nearest minor unit (halves up)."""
    return (2 * package.price_minor + package.sessions) // (2 * package.sessions)


def validity_text(package: PackagePublic) -> str:
    """ "180 days from purchase", "90 days from the first session", "No expiry"."""
    days = package.validity_days
    if days is None:
        return "No expiry"
    start = "purchase" if package.valid_from.value == "purchase" else "the first session"
    return f"{days} {'day' if days == 1 else 'days'} from {start}"


def _stored(settings: PackageSettings, package_id: str, name: str) -> Package:
    """The package as stored now; refused if it was removed meanwhile."""
    package = settings.package(package_id)
    if package is None:
        msg = f"No package {name!r} any more: it was removed meanwhile. Add it again."
        raise InvalidPackageSettings([msg])
    return package


def _change(
    loyalty: LoyaltyService,
    tenant_id: str,
    change: Callable[[PackageSettings], PackageSettings],
    *,
    version: int | None = None,
) -> None:
    loyalty.change_package_settings(tenant_id, change, datetime.now(UTC), expected_version=version)


def _packages_page(
    request: Request,
    session: Session,
    loyalty: LoyaltyDep,
    *,
    done: str | None = None,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    new_package: Mapping[str, str] | None = None,
    new_package_errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The page; after a refused form, with what was typed and what to fix."""
    settings = package_settings(loyalty, session.tenant_id)
    context: dict[str, Any] = {
        "settings": settings,
        "per_session": {each.package_id: per_session_minor(each) for each in settings.catalogue},
        "validity": {each.package_id: validity_text(each) for each in settings.catalogue},
        "values": values if values is not None else policies_values(settings),
        "errors": errors or {},
        "new_package": new_package or {"valid_from": "purchase"},
        "new_package_errors": new_package_errors or {},
        "refund_names": REFUND_NAMES,
        "valid_from_names": VALID_FROM_NAMES,
        "done": DONE.get(done or ""),
    }
    return dashboard_page(
        request,
        session,
        loyalty,
        "dashboard/package_settings.html",
        section=SECTION,
        title="Settings → Packages",
        status_code=status_code,
        **context,
    )


@router.get("/settings/packages")
def package_settings_page(
    request: Request, *, session: SessionDep, loyalty: LoyaltyDep, done: str | None = None
) -> Response:
    return _packages_page(request, session, loyalty, done=done)


@router.post("/settings/packages")
def save_package_policies(
    request: Request, form: CheckedFormDep, session: SessionDep, loyalty: LoyaltyDep
) -> Response:
    return submit_form(
        lambda: _change(
            loyalty,
            session.tenant_id,
            policies_change(form).applied_to,
            version=shown_version(form),
        ),
        labels=LABELS,
        show_again=lambda errors, status: _packages_page(
            request, session, loyalty, values=form, errors=errors, status_code=status
        ),
        then=f"{PACKAGES_URL}?done=packages-saved",
    )


@router.post("/settings/packages/catalogue")
def add_package(
    request: Request, form: CheckedFormDep, session: SessionDep, loyalty: LoyaltyDep
) -> Response:
    tenant_id = session.tenant_id

    def add() -> None:
        currency = loyalty.programme(tenant_id).packages.currency
        fields = package_fields(form, currency, active=True)

        def added(stored: PackageSettings) -> PackageSettings:
            taken = {each.package_id for each in stored.catalogue}
            package_id = id_from_name(fields.name, taken, "package")
            return with_package(stored, fields.to_domain(package_id, stored.currency))

        _change(loyalty, tenant_id, added)

    return submit_form(
        add,
        labels=LABELS,
        show_again=lambda errors, status: _packages_page(
            request,
            session,
            loyalty,
            new_package=form,
            new_package_errors=errors,
            status_code=status,
        ),
        then=f"{PACKAGES_URL}?done=package-added#catalogue",
    )


def _package(settings: PackageSettingsPublic, package_id: str) -> PackagePublic:
    for package in settings.catalogue:
        if package.package_id == package_id:
            return package
    raise PageError(
        404,
        "No such package",
        "It may have been removed meanwhile.",
        action=(PACKAGES_URL, "Back to Settings → Packages"),
    )


def _edit_page(
    request: Request,
    session: Session,
    loyalty: LoyaltyDep,
    package_id: str,
    *,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    settings = package_settings(loyalty, session.tenant_id)
    package = _package(settings, package_id)
    shown = package_values(package, settings.currency) | {VERSION_FIELD: str(settings.version)}
    return dashboard_page(
        request,
        session,
        loyalty,
        "dashboard/package_edit.html",
        section=SECTION,
        title=f"Edit the {package.name} package",
        package=package,
        currency=settings.currency,
        values=values or shown,
        errors=errors or {},
        valid_from_names=VALID_FROM_NAMES,
        status_code=status_code,
    )


@router.get("/settings/packages/catalogue/{package_id}")
def edit_package_form(
    request: Request, package_id: str, session: SessionDep, loyalty: LoyaltyDep
) -> Response:
    return _edit_page(request, session, loyalty, package_id)


@router.post("/settings/packages/catalogue/{package_id}")
def edit_package(
    request: Request,
    package_id: str,
    form: CheckedFormDep,
    session: SessionDep,
    loyalty: LoyaltyDep,
) -> Response:
    settings = package_settings(loyalty, session.tenant_id)
    package = _package(settings, package_id)

    def save() -> None:
        fields = package_fields(form, settings.currency, active=package.active)

        def edited(stored: PackageSettings) -> PackageSettings:
            active = _stored(stored, package_id, package.name).active
            edit = fields.to_domain(package_id, stored.currency)
            return with_package(stored, replace(edit, active=active))

        _change(loyalty, session.tenant_id, edited, version=shown_version(form))

    return submit_form(
        save,
        labels=LABELS,
        show_again=lambda errors, status: _edit_page(
            request, session, loyalty, package_id, values=form, errors=errors, status_code=status
        ),
        then=f"{PACKAGES_URL}?done=package-saved#catalogue",
    )


@router.post("/settings/packages/catalogue/{package_id}/active")
def sell_package(
    request: Request,
    package_id: str,
    form: CheckedFormDep,
    session: SessionDep,
    loyalty: LoyaltyDep,
) -> Response:
    """Stop selling a package (clients keep what they bought), or sell it again."""
    active = form.get("active") == "true"
    name = _package(package_settings(loyalty, session.tenant_id), package_id).name

    def switched(stored: PackageSettings) -> PackageSettings:
        return with_package(stored, replace(_stored(stored, package_id, name), active=active))

    return submit_form(
        lambda: _change(loyalty, session.tenant_id, switched),
        labels=LABELS,
        show_again=lambda errors, status: _packages_page(
            request, session, loyalty, errors=errors, status_code=status
        ),
        then=f"{PACKAGES_URL}?done={'package-on' if active else 'package-off'}#catalogue",
    )
