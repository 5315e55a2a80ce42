"""Tiers as the API and the pages write and read them: the points multiplier as a decimal string
kept in hundredths, a change touching only what it sends, a client's standing and its texts, the
members by tier, and the Settings → Tiers forms."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError
from starcard_gateway.models.points import decimal, hundredths
from starcard_gateway.models.tiers import (
    ClientTierPublic,
    TierBenefitsPublic,
    TierMultiplier,
    TierSettingsChange,
    TierSettingsPublic,
    benefit_texts,
    keep_text,
    members_by_tier,
    progress_text,
)
from starcard_gateway.pages.rendering import FormProblems
from starcard_gateway.pages.tier_settings import (
    tier_fields,
    tier_id_for,
    tiers_change,
    with_tier_added,
    with_tier_replaced,
)
from starcard_loyalty.api import (
    MAX_MULTIPLIER_HUNDREDTHS,
    DropMode,
    SpendKind,
    Tier,
    TierSettings,
)
from starcard_projections.tiers import TierMember

pytestmark = pytest.mark.unit

MULTIPLIER = TypeAdapter[Decimal](TierMultiplier)
SETTINGS = TierSettings(enabled=True)
"""Regular (everyone's), VIP from £1,000, Elite from £2,500."""


@given(st.integers(min_value=100, max_value=MAX_MULTIPLIER_HUNDREDTHS))
def test_every_multiplier_the_service_keeps_is_written_and_read_back_exactly(kept: int) -> None:
    written = MULTIPLIER.dump_json(decimal(kept)).decode().strip('"')

    assert hundredths(MULTIPLIER.validate_json(f'"{written}"', strict=True)) == kept


@pytest.mark.parametrize("sent", ["0.5", "0", "10.01", "11", "1.555", "1e1", "", 2, 1.5, True])
def test_a_multiplier_below_one_above_ten_or_not_a_string_is_refused(sent: object) -> None:
    with pytest.raises(ValidationError, match="from 1 to 10"):
        MULTIPLIER.validate_python(sent)


def test_settings_are_read_back_as_they_are_kept() -> None:
    public = TierSettingsPublic.from_settings(SETTINGS)

    assert public.counts == [SpendKind.PACKAGE, SpendKind.RETAIL, SpendKind.TREATMENT]
    assert [tier.points_multiplier for tier in public.tiers] == [Decimal(1)] * 3
    sent = TierSettingsChange.model_validate(public.model_dump(mode="json"))
    assert sent.applied_to(TierSettings()) == SETTINGS


def test_a_change_touches_only_what_it_sends() -> None:
    change = TierSettingsChange.model_validate({"keep_days": 30, "warn_days": None})

    changed = change.applied_to(SETTINGS)

    assert (changed.keep_days, changed.warn_days) == (30, None)
    assert (changed.enabled, changed.tiers, changed.drop) == (
        True,
        SETTINGS.tiers,
        DropMode.ONE_TIER,
    )


@pytest.mark.parametrize("field", ["enabled", "tiers", "counts", "drop", "keep_days"])
def test_only_the_warning_can_be_unset(field: str) -> None:
    with pytest.raises(ValidationError, match=f"{field} cannot be null"):
        TierSettingsChange.model_validate({field: None})


def test_a_tier_name_is_kept_without_surrounding_blanks() -> None:
    change = TierSettingsChange.model_validate(
        {"tiers": [{"tier_id": "all", "name": "  Everyone ", "entry_minor": 0}]}
    )

    assert change.applied_to(SETTINGS).tiers == (Tier("all", "Everyone", 0),)


# -- a client's standing -----------------------------------------------------------------------


def member(tier_id: str | None, spend: int, drops_on: date | None, shortfall: int) -> TierMember:
    return TierMember("ada", tier_id, spend, drops_on, shortfall, None, None)


def test_a_client_without_a_membership_is_in_the_first_tier_with_no_spend() -> None:
    tier = ClientTierPublic.from_member("ada", SETTINGS, None)

    assert (tier.tier.tier_id, tier.spend.amount_minor, tier.drops_on) == ("regular", 0, None)
    assert tier.next_tier is not None
    assert tier.next_tier.text == "£1,000.00 more to reach VIP"
    assert (tier.secure_until, tier.shortfall, tier.keep_text) == (None, None, None)


def test_a_vip_is_secure_until_the_day_before_the_drop() -> None:
    tier = ClientTierPublic.from_member(
        "ada", SETTINGS, member("vip", 120_000, date(2027, 3, 2), 15_000)
    )

    assert tier.secure_until == date(2027, 3, 1)
    assert tier.benefits.priority_booking is True
    assert tier.next_tier is not None
    assert (tier.next_tier.tier_id, tier.next_tier.needed.amount_minor) == ("elite", 130_000)
    assert tier.keep_text == (
        "VIP is secure until 1 March 2027; it drops on 2 March 2027 unless £150.00 is spent "
        "before then"
    )


def test_at_the_top_there_is_no_next_tier_and_a_removed_tier_is_the_first() -> None:
    assert (
        ClientTierPublic.from_member("ada", SETTINGS, member("elite", 1, None, 0)).next_tier is None
    )
    gone = ClientTierPublic.from_member("ada", SETTINGS, member("gold", 10, None, 0))
    assert gone.tier.tier_id == "regular"


@pytest.mark.parametrize(
    ("needed", "currency", "text"),
    [
        (12_000, "GBP", "£120.00 more to reach VIP"),
        (1_000, "JPY", "1,000 JPY more to reach VIP"),
        (0, "GBP", "VIP is reached with the next purchase"),
    ],
)
def test_progress_reads_as_money_to_go(needed: int, currency: str, text: str) -> None:
    assert progress_text("VIP", needed, currency) == text


def test_keep_text_names_the_last_secure_day_and_the_drop() -> None:
    assert keep_text("Elite", date(2027, 1, 1), 5_000, "EUR") == (
        "Elite is secure until 31 December 2026; it drops on 1 January 2027 unless €50.00 is "
        "spent before then"
    )


def test_benefits_read_as_a_list() -> None:
    benefits = TierBenefitsPublic(
        treatment_discount_percent=10,
        product_discount_percent=0,
        priority_booking=True,
        complimentary_service_id="hand-massage",
        points_multiplier=Decimal("1.50"),
    )

    assert benefit_texts(benefits) == [
        "10% off treatments",
        "Priority booking",
        "A complimentary hand-massage with a treatment",
        "1.5\N{MULTIPLICATION SIGN} points",
    ]


def test_members_never_moved_or_in_a_removed_tier_count_in_the_first() -> None:
    counts: dict[str | None, int] = {None: 4, "regular": 1, "vip": 2, "gold": 3}

    assert members_by_tier(SETTINGS, counts) == [8, 2, 0]


# -- Settings → Tiers --------------------------------------------------------------------------


def test_a_tier_s_form_reads_amounts_in_the_currency() -> None:
    form = {
        "name": "Gold",
        "entry": "1,500.50",
        "stay": "",
        "treatment_discount_percent": "",
        "product_discount_percent": "5",
        "points_multiplier": "2",
        "priority_booking": "on",
    }

    tier = tier_fields(form, "gold", "GBP").to_domain()

    assert tier == Tier(
        "gold",
        "Gold",
        150_050,
        product_discount_percent=5,
        priority_booking=True,
        points_multiplier_hundredths=200,
    )


def test_the_first_tier_s_form_has_no_threshold() -> None:
    assert tier_fields({"name": "Everyone"}, "regular", "GBP").entry_minor == 0


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"name": "Gold", "entry": "ten"}, "entry"),
        ({"name": "Gold", "entry": "10.001"}, "entry"),
        ({"name": "Gold", "entry": "10", "stay": "-1"}, "stay"),
        ({"name": "Gold", "entry": ""}, "entry"),
        ({"name": "", "entry": "10"}, "name"),
        ({"name": "Gold", "entry": "10", "points_multiplier": "0.5"}, "points_multiplier"),
        (
            {"name": "Gold", "entry": "10", "treatment_discount_percent": "101"},
            "treatment_discount_percent",
        ),
    ],
)
def test_a_tier_s_form_is_refused_at_the_field_to_fix(form: dict[str, str], field: str) -> None:
    with pytest.raises(FormProblems) as refused:
        tier_fields(form, "gold", "GBP")

    assert list(refused.value.errors) == [field]


def test_the_settings_form_reads_blanks_as_none() -> None:
    change = tiers_change(
        {
            "currency": " gbp ",
            "window_months": "6",
            "count_treatment": "on",
            "keep_days": "",
            "drop": "to_spend",
            "warn_days": "",
        }
    )

    settings = change.applied_to(SETTINGS)
    assert (settings.enabled, settings.currency, settings.window_months) == (False, "GBP", 6)
    assert (settings.counts, settings.keep_days, settings.warn_days) == (
        frozenset({SpendKind.TREATMENT}),
        0,
        None,
    )
    assert settings.tiers == SETTINGS.tiers


@pytest.mark.parametrize(
    ("name", "taken", "found"),
    [
        ("Gold Plus", set(), "gold-plus"),
        ("VIP", {"vip"}, "vip-2"),
        ("VIP", {"vip", "vip-2"}, "vip-3"),
        ("★★", set(), "tier"),
    ],
)
def test_a_new_tier_s_id_comes_from_its_name(name: str, taken: set[str], found: str) -> None:
    assert tier_id_for(name, taken) == found


def test_a_tier_added_goes_in_its_place_by_threshold_and_an_edit_stays_in_place() -> None:
    gold = Tier("gold", "Gold", 175_000)

    added = with_tier_added(SETTINGS.tiers, gold)
    edited = with_tier_replaced(added, Tier("gold", "Gold", 300_000))

    assert [tier.tier_id for tier in added] == ["regular", "vip", "gold", "elite"]
    assert [tier.entry_minor for tier in edited] == [0, 100_000, 300_000, 250_000]
