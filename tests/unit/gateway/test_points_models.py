"""Points settings as the API reads and writes them: rates as decimal strings, kept in hundredths,
never a float; a change touches only what it sends."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError
from starcard_events.limits import MAX_RATE_HUNDREDTHS
from starcard_gateway.models.points import (
    Multiplier,
    PointsSettingsChange,
    PointsSettingsPublic,
    Rate,
    decimal,
    expiry_text,
    hundredths,
)
from starcard_loyalty.api import Expiry, PointsSettings

pytestmark = pytest.mark.unit

RATE = TypeAdapter[Decimal](Rate)
MULTIPLIER = TypeAdapter[Decimal](Multiplier)


@given(st.integers(min_value=0, max_value=MAX_RATE_HUNDREDTHS))
def test_every_rate_the_service_keeps_is_written_and_read_back_exactly(kept: int) -> None:
    written = RATE.dump_json(decimal(kept)).decode().strip('"')

    assert hundredths(RATE.validate_json(f'"{written}"', strict=True)) == kept


@pytest.mark.parametrize(
    ("text", "kept"), [("1.5", 150), ("1.50", 150), ("0.05", 5), ("0", 0), ("1000", 100_000)]
)
def test_a_rate_is_a_decimal_string_of_at_most_two_places(text: str, kept: int) -> None:
    assert hundredths(RATE.validate_python(text)) == kept


@pytest.mark.parametrize("sent", ["1.555", "1000.01", "-1", "1e2", "", "one", 1.5, 2, True])
def test_a_rate_out_of_bounds_or_not_a_string_is_refused(sent: object) -> None:
    with pytest.raises(ValidationError, match="at most 2 decimals"):
        RATE.validate_python(sent)


@pytest.mark.parametrize(("text", "kept"), [("1.01", 101), ("2", 200), ("1000", 100_000)])
def test_a_multiplier_is_above_one(text: str, kept: int) -> None:
    assert hundredths(MULTIPLIER.validate_python(text)) == kept


@pytest.mark.parametrize("sent", ["1", "1.0", "1.00", "0.5", "1000.5"])
def test_a_multiplier_of_one_or_less_is_refused(sent: str) -> None:
    with pytest.raises(ValidationError):
        MULTIPLIER.validate_python(sent)


def test_a_change_touches_only_what_it_sends() -> None:
    current = PointsSettings(enabled=True, treatment_rate=150, expiry_notice_days=7)

    changed = PointsSettingsChange.model_validate({"retail_rate": "0.25"}).applied_to(current)

    assert changed == PointsSettings(
        enabled=True, treatment_rate=150, retail_rate=25, expiry_notice_days=7
    )


def test_leaving_expiry_after_days_clears_the_days_unless_they_are_sent() -> None:
    current = PointsSettings(expiry=Expiry.AFTER_DAYS, expiry_days=90)

    changed = PointsSettingsChange.model_validate({"expiry": "never"}).applied_to(current)

    assert (changed.expiry, changed.expiry_days) == (Expiry.NEVER, None)


def test_a_field_that_cannot_be_unset_refuses_null() -> None:
    with pytest.raises(ValidationError, match="treatment_rate cannot be null"):
        PointsSettingsChange.model_validate({"treatment_rate": None})


def test_the_settings_are_shown_with_rates_as_decimal_strings() -> None:
    shown = PointsSettingsPublic.from_settings(
        PointsSettings(treatment_rate=150, category_rates={"facials": 25})
    ).model_dump(mode="json")

    assert (shown["treatment_rate"], shown["category_rates"], shown["retail_rate"]) == (
        "1.5",
        {"facials": "0.25"},
        "0.5",
    )


def test_the_next_expiry_reads_as_a_sentence() -> None:
    assert expiry_text(date(2027, 3, 1), 1200) == "1,200 points expire on 1 March 2027"
    assert expiry_text(date(2027, 3, 1), 1) == "1 point expires on 1 March 2027"
