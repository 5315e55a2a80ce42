"""Amounts of money as an email shows them: right to the minor unit of their currency."""

import pytest
from starcard_events.money_format import format_money, minor_unit_exponent

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("amount_minor", "currency", "shown"),
    [
        (1000, "GBP", "£10.00"),
        (1000, "USD", "$10.00"),
        (1000, "EUR", "€10.00"),
        (1250, "CHF", "12.50 CHF"),
        (5, "GBP", "£0.05"),
        (0, "USD", "$0.00"),
        (123456789, "GBP", "£1,234,567.89"),
        (1000, "JPY", "1,000 JPY"),
        (500, "KRW", "500 KRW"),
        (12345, "KWD", "12.345 KWD"),
    ],
)
def test_an_amount_is_shown_in_its_currency_correct_to_the_minor_unit(
    amount_minor: int, currency: str, shown: str
) -> None:
    assert format_money(amount_minor, currency) == shown


@pytest.mark.parametrize(
    ("currency", "exponent"),
    [("GBP", 2), ("CHF", 2), ("JPY", 0), ("ISK", 0), ("VND", 0), ("BHD", 3)],
)
def test_the_minor_unit_follows_iso_4217(currency: str, exponent: int) -> None:
    assert minor_unit_exponent(currency) == exponent


def test_the_largest_amount_on_the_wire_is_exact() -> None:
    assert format_money(2**53 - 1, "USD") == "$90,071,992,547,409.91"


def test_a_negative_amount_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        format_money(-1, "GBP")
