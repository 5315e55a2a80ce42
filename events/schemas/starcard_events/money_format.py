"""Amounts of money as a client reads them: "£10.00", "$10.00", "€10.00", "12.50 CHF".

Amounts are integer minor units of an ISO 4217 currency (``starcard_events.money``), so
the decimals shown follow the currency's minor unit: two for most, none for the yen.
"""

from __future__ import annotations

__all__ = ["format_money", "minor_unit_exponent"]

SYMBOLS = {"GBP": "£", "USD": "$", "EUR": "€"}
"""Currencies written with a symbol before the amount; any other is written as a code after it."""

MINOR_UNIT_EXPONENTS = {
    **dict.fromkeys(
        (
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}
"""ISO 4217 currencies whose minor unit is not a hundredth (the default)."""

DEFAULT_EXPONENT = 2


def minor_unit_exponent(currency: str) -> int:
    """How many decimals `currency` has: 2 for GBP (pence), 0 for JPY, 3 for KWD."""
    return MINOR_UNIT_EXPONENTS.get(currency, DEFAULT_EXPONENT)


def format_money(amount_minor: int, currency: str) -> str:
    """`amount_minor` of `currency` as written in an email: "£1,250.00", "1,000 JPY".

    Integer arithmetic throughout, so the amount is exact to the minor unit.
    """
    if amount_minor < 0:
        msg = "an amount of money is never negative"
        raise ValueError(msg)
    exponent = minor_unit_exponent(currency)
    major, minor = divmod(amount_minor, 10**exponent)
    number = f"{major:,}.{minor:0{exponent}d}" if exponent else f"{major:,}"
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{number}" if symbol else f"{number} {currency}"
