"""Packages as the API and the pages write and read them: the catalogue read back as it is
kept, a replacement or a single package changing what it should, the Settings → Packages forms,
and a package at checkout."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from starcard_gateway.models.checkout import (
    PackageBalancePublic,
    PackageQuotePublic,
    PackageQuoteRequest,
)
from starcard_gateway.models.package_settings import (
    PackageFields,
    PackagePolicies,
    PackagePublic,
    PackageSettingsPublic,
    PackageSettingsReplacement,
    with_package,
    without_package,
)
from starcard_gateway.models.packages import sessions_text
from starcard_gateway.pages.package_settings import (
    package_fields,
    package_values,
    per_session_minor,
    validity_text,
)
from starcard_gateway.pages.rendering import FormProblems
from starcard_loyalty.api import (
    Package,
    PackageHoldings,
    PackageSettings,
    PackageTerms,
    RefundPolicy,
    ValidFrom,
)
from starcard_loyalty.domain.packages import Bought, Reminders
from starcard_projections.packages import ClientPackage

pytestmark = pytest.mark.unit

FACIALS = Package(
    "facial-x3",
    PackageTerms("Three facials", 3, categories=("facials",), single_session_minor=10_000),
    price_minor=27_000,
)
MASSAGES = Package(
    "massage-x10",
    PackageTerms(
        "Ten massages",
        10,
        service_ids=("deep-tissue-60",),
        validity_days=365,
        valid_from=ValidFrom.FIRST_USE,
        bonus_points=500,
    ),
    price_minor=60_000,
    active=False,
)
CLINIC = PackageSettings(
    catalogue=(FACIALS, MASSAGES), refund_policy=RefundPolicy.LESS_SESSIONS_USED, reminder_days=7
)


def as_sent(public: PackageSettingsPublic) -> dict[str, Any]:
    """What a caller sends back after a GET: the body, less what is worked out."""
    body = public.model_dump(mode="json")
    for package in body["catalogue"]:
        del package["saving_minor"]
    return body


def test_settings_are_read_back_as_they_are_kept_and_send_back_unchanged() -> None:
    public = PackageSettingsPublic.from_settings(CLINIC, 4)

    assert public.version == 4
    assert [each.saving_minor for each in public.catalogue] == [3_000, None]
    sent = PackageSettingsReplacement.model_validate(as_sent(public))
    assert sent.version == 4
    assert sent.replacing(PackageSettings()) == CLINIC


packages = st.builds(
    lambda n, sessions, price, single, days, first_use, bonus, active: Package(
        f"p{n}",
        PackageTerms(
            f"Package {n}",
            sessions,
            categories=(f"category {n}",),
            single_session_minor=single,
            validity_days=days,
            valid_from=ValidFrom.FIRST_USE if first_use else ValidFrom.PURCHASE,
            bonus_points=bonus,
        ),
        price_minor=price,
        active=active,
    ),
    st.integers(0, 1_000),
    st.integers(1, 1_000),
    st.integers(1, 10**9),
    st.none() | st.integers(1, 10**9),
    st.none() | st.integers(1, 3_660),
    st.booleans(),
    st.none() | st.integers(0, 10**6),
    st.booleans(),
)


@given(st.lists(packages, max_size=5, unique_by=lambda each: each.package_id))
def test_any_catalogue_makes_the_round_trip_through_the_api(catalogue: list[Package]) -> None:
    settings = PackageSettings(catalogue=tuple(catalogue))
    body = json.dumps(as_sent(PackageSettingsPublic.from_settings(settings, 0)))

    assert PackageSettingsReplacement.model_validate_json(body).replacing(CLINIC) == settings


def test_the_saving_is_written_but_never_read() -> None:
    body = as_sent(PackageSettingsPublic.from_settings(CLINIC, 0))
    body["catalogue"][0]["saving_minor"] = 3_000

    with pytest.raises(ValidationError, match="saving_minor"):
        PackageSettingsReplacement.model_validate(body)


def test_a_package_s_prices_are_in_the_catalogue_s_currency() -> None:
    fields = PackageFields.model_validate(
        {"name": " Three facials ", "categories": ["facials"], "sessions": 3, "price_minor": 9}
    )

    package = fields.to_domain("facial-x3", "JPY")

    assert (package.terms.name, package.terms.currency, package.price_minor) == (
        "Three facials",
        "JPY",
        9,
    )


def test_the_policies_change_only_themselves() -> None:
    policies = PackagePolicies.model_validate(
        {"refund_policy": "pro_rata", "reminder_days": None, "currency": "GBP"}
    )

    changed = policies.applied_to(CLINIC)

    assert (changed.refund_policy, changed.reminder_days) == (RefundPolicy.PRO_RATA, None)
    assert changed.catalogue == CLINIC.catalogue


def test_one_package_replaces_its_namesake_where_it_stands_or_comes_last() -> None:
    cheaper = Package(FACIALS.package_id, FACIALS.terms, price_minor=25_000)
    peel = Package("peel", PackageTerms("Peels", 5, categories=("peels",)), price_minor=40_000)

    assert with_package(CLINIC, cheaper).catalogue == (cheaper, MASSAGES)
    assert with_package(CLINIC, peel).catalogue == (FACIALS, MASSAGES, peel)
    assert without_package(CLINIC, "facial-x3").catalogue == (MASSAGES,)


# -- the Settings → Packages forms ---------------------------------------------------------------

FORM = {
    "name": "Three facials",
    "categories": "facials, , peels ",
    "service_ids": "",
    "sessions": "3",
    "price": "270",
    "single_session_price": "100.00",
    "validity_days": "",
    "valid_from": "purchase",
    "bonus_points": "",
}


def test_the_package_form_reads_amounts_in_the_currency_and_blanks_as_none() -> None:
    fields = package_fields(FORM, "GBP", active=True)

    assert fields.model_dump() == {
        "name": "Three facials",
        "service_ids": [],
        "categories": ["facials", "peels"],
        "sessions": 3,
        "price_minor": 27_000,
        "single_session_price_minor": 10_000,
        "validity_days": None,
        "valid_from": ValidFrom.PURCHASE,
        "bonus_points": None,
        "active": True,
    }


@pytest.mark.parametrize(
    ("typed", "field", "message"),
    [
        ({"price": "a lot"}, "price", "Package price: an amount in GBP, such as 1000.00."),
        ({"price": ""}, "price", "Package price: an amount in GBP."),
        ({"price": "1.005"}, "price", "Package price: an amount in GBP, such as 1000.00."),
        ({"price": "0"}, "price", "Package price: Input should be greater than 0."),
        ({"sessions": "0"}, "sessions", "Sessions: Input should be greater than or equal to 1."),
        ({"validity_days": "soon"}, "validity_days", "Validity: Input should be a valid integer"),
    ],
)
def test_the_package_form_names_the_field_to_fix(
    typed: dict[str, str], field: str, message: str
) -> None:
    with pytest.raises(FormProblems) as refused:
        package_fields(FORM | typed, "GBP", active=True)

    assert refused.value.errors[field].startswith(message)


def test_a_package_is_shown_in_its_form_as_it_is_read_back() -> None:
    public = PackagePublic.from_domain(MASSAGES)

    values = package_values(public, "GBP")

    assert (values["price"], values["service_ids"], values["valid_from"]) == (
        "600.00",
        "deep-tissue-60",
        "first_use",
    )
    assert package_fields(values, "GBP", active=False).to_domain("massage-x10", "GBP") == MASSAGES


@pytest.mark.parametrize(
    ("price", "sessions", "each"), [(27_000, 3, 9_000), (10_000, 3, 3_333), (5, 2, 3), (1, 3, 0)]
)
def test_a_session_costs_the_price_shared_out_to_the_nearest_minor_unit(
    price: int, sessions: int, each: int
) -> None:
    package = Package("p", PackageTerms("P", sessions, categories=("c",)), price_minor=price)

    assert per_session_minor(PackagePublic.from_domain(package)) == each


def test_the_validity_reads_as_a_person_says_it() -> None:
    texts = [
        validity_text(PackagePublic.from_domain(each))
        for each in (FACIALS, MASSAGES, Package("p", PackageTerms("P", 1, validity_days=1), 1))
    ]

    assert texts == ["No expiry", "365 days from the first session", "1 day from purchase"]


# -- checkout --------------------------------------------------------------------------------------


def test_a_quote_with_no_package_says_so() -> None:
    assert PackageQuotePublic.of(None).model_dump() == {"payable": False, "package": None}


def test_a_package_at_checkout_shows_its_sessions_left_and_its_expiry() -> None:
    holdings = PackageHoldings(tenant_id="t", client_id="ada")
    terms = PackageTerms("Three facials", 3, categories=("facials",), validity_days=30)
    holdings.buy(
        Bought("p1", terms, "facial-x3", 27_000, datetime(2027, 1, 4, tzinfo=UTC)), Reminders(7)
    )
    balance = holdings.holdings().balances["p1"]

    assert PackageBalancePublic.from_balance(balance).model_dump() == {
        "purchase_id": "p1",
        "package_id": "facial-x3",
        "name": "Three facials",
        "sessions": 3,
        "sessions_used": 0,
        "sessions_left": 3,
        "expires_on": date(2027, 2, 3),
    }


def test_the_moment_of_a_quote_carries_its_offset() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        PackageQuoteRequest.model_validate(
            {"client_id": "ada", "service": {"id": "facial"}, "at": "2027-01-04T10:00:00"}
        )


@pytest.mark.parametrize(
    ("status", "left", "closed", "refund", "text"),
    [
        ("active", 2, 0, None, "2 of 3 sessions left · use them before 12 November 2026"),
        ("used_up", 0, 0, None, "All 3 sessions used"),
        ("expired", 0, 1, None, "Expired on 12 November 2026 with 1 session unused"),
        ("refunded", 0, 1, 8_500, "Refunded: £85.00 for 1 unused session"),
        ("refunded", 0, 2, 17_000, "Refunded: £170.00 for 2 unused sessions"),
    ],
)
def test_a_package_reads_as_the_client_would_say_it(
    status: str, left: int, closed: int, refund: int | None, text: str
) -> None:
    row = ClientPackage(
        purchase_id="p1",
        package_id="facial-x3",
        name="Facial x3",
        sessions=3,
        used=3 - left - closed,
        left=left,
        closed=closed,
        status=status,
        bought_on=date(2026, 8, 14),
        expires_on=date(2026, 11, 12),
        price_minor=25_500,
        currency="GBP",
        deferred_minor=0,
        refund_minor=refund,
    )

    assert sessions_text(row) == text
