"""What the routers' models share: the error body, the paging limits, an optional percent
field, a field never null, and money as the API writes it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from starcard_events.limits import MAX_COUNT, MAX_PERCENT, MIN_PERCENT
from starcard_events.money import Money


class ErrorPublic(BaseModel):
    detail: str = Field(
        description="What went wrong, and what to change: a refused request names each field "
        "at fault and what it should be.",
        examples=["session_count: Input should be less than or equal to 100000 (got 250000)."],
    )


MAX_PAGE_SIZE = 200
"""The most rows one page of a list returns."""

MAX_OFFSET = MAX_COUNT * 100
"""The furthest a list can be paged: ten million rows, more than any tenant has clients."""


def optional_percent(description: str, example: int) -> Any:
    """A percent-off field (`MIN_PERCENT` to `MAX_PERCENT`) that is null when there is none."""
    return Field(
        default=None, ge=MIN_PERCENT, le=MAX_PERCENT, description=description, examples=[example]
    )


def never_null(schema: dict[str, Any]) -> None:
    """Document a field that may be left out but not sent as null (its model refuses null):
    the field's own description and examples stay."""
    branches = [branch for branch in schema.pop("anyOf", []) if branch.get("type") != "null"]
    schema.pop("default", None)
    if len(branches) == 1:
        for key, value in branches[0].items():
            schema.setdefault(key, value)
    else:
        schema["anyOf"] = branches


def money(amount_minor: int, currency: str) -> Money:
    """An amount in minor units, as the API writes money."""
    return Money(amount_minor=amount_minor, currency=currency)


def money_by_currency(by_currency: dict[str, int]) -> list[Money]:
    """Amounts kept by currency, one `Money` each, in currency order."""
    return [money(amount, currency) for currency, amount in sorted(by_currency.items())]
