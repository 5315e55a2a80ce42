"""Amounts as a form shows and reads them: minor units to "10.00" and back, in the currency's
decimals."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, DecimalException

from starcard_events.money_format import minor_unit_exponent

from starcard_gateway.pages.rendering import FormProblems


def major_units(amount_minor: int, currency: str) -> str:
    """Minor units as the amount field shows them: 1000 GBP -> "10.00", 500 JPY -> "500"."""
    exponent = minor_unit_exponent(currency)
    return f"{Decimal(amount_minor).scaleb(-exponent):.{exponent}f}"


def minor_units(text: str, currency: str) -> int | None:
    """What was typed in the amount field, in minor units; None unless it is a plain amount
    in the currency's decimals ("10", "10.5", "10.50", "1,000")."""
    try:
        amount = Decimal(text.strip().replace(",", ""))
        if not amount.is_finite() or amount < 0 or amount.adjusted() > MAX_DIGITS:
            return None  # "1e5000" is no amount anyone means
        scaled = amount.scaleb(minor_unit_exponent(currency))
        if scaled != scaled.to_integral_value():
            return None
    except DecimalException:  # not a number
        return None
    return int(scaled)


MAX_DIGITS = 18
"""Digits before the point an amount may have: far above any bill, far below what breaks."""


def typed_amount(form: Mapping[str, str], name: str, currency: str, label: str) -> int | None:
    """The amount typed in the field `name`, in minor units (None when blank); refused as
    ``FormProblems`` naming the field (its `label`) when it is not an amount in `currency`."""
    text = form.get(name, "").strip()
    if not text:
        return None
    amount = minor_units(text, currency)
    if amount is None:
        example = major_units(100_000, currency)
        raise FormProblems({name: f"{label}: an amount in {currency}, such as {example}."})
    return amount
