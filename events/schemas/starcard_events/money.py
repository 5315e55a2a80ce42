"""Money on the wire: integer minor units and an ISO 4217 currency. Never a float.

Percentages, the other way a discount is expressed, live here too.
"""

from decimal import Decimal
from typing import Annotated

from pydantic import Field, StrictInt, StringConstraints

from starcard_events.limits import MAX_AMOUNT_MINOR, MAX_PERCENT
from starcard_events.wire import WireModel

__all__ = ["MAX_AMOUNT_MINOR", "CurrencyCode", "Money", "Percentage"]

CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]

Percentage = Annotated[Decimal, Field(gt=0, le=MAX_PERCENT)]
"""A percentage off, above 0 and at most 100 (e.g. 10 or 12.5)."""


class Money(WireModel):
    """An amount of money: integer minor units (pence, cents) of one currency."""

    amount_minor: StrictInt = Field(
        ge=0,
        le=MAX_AMOUNT_MINOR,
        description=(
            "Amount in the currency's minor unit, as a JSON integer (e.g. 4500 for GBP 45.00). "
            "Never negative; floats and strings are refused."
        ),
    )
    currency: CurrencyCode = Field(
        description="ISO 4217 currency code, three uppercase letters (e.g. GBP, USD, EUR)."
    )
