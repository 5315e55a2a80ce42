"""Retail events: products a client bought at the clinic or through its shop, and their refunds.

Retail earns points in the same account as treatments (the medspa seed: "points on product retail
purchases integrated with the same account as treatment points").
"""

from enum import StrEnum
from typing import Literal, Self

from pydantic import Field, model_validator

from starcard_events.bookings import CatalogueName, Category, PaymentMethod
from starcard_events.envelope import ClientId, Envelope, ExternalId
from starcard_events.limits import (
    MAX_COUNT,
    MAX_ORDER_LINES,
)
from starcard_events.money import Money
from starcard_events.wire import WireModel


class Channel(StrEnum):
    """Where the order was placed."""

    CLINIC = "clinic"
    SHOP = "shop"


class OrderLine(WireModel):
    """One product line of an order."""

    sku: ExternalId = Field(description="The product's stock-keeping unit; unique within an order.")
    name: CatalogueName = Field(description="The product's name as the client sees it.")
    category: Category | None = Field(
        default=None, description="The product's category (e.g. 'skincare'), if any."
    )
    quantity: int = Field(ge=1, le=MAX_COUNT, description="How many were bought.")
    amount_paid: Money = Field(
        description="What the client paid for the whole line, after discounts."
    )


def _check_one_currency_and_unique_skus(skus: list[str], currencies: list[str]) -> None:
    if len(set(skus)) != len(skus):
        msg = "each sku appears on one line only: merge the lines of the same product"
        raise ValueError(msg)
    if len(set(currencies)) > 1:
        msg = f"all lines must be in one currency (got {', '.join(sorted(set(currencies)))})"
        raise ValueError(msg)


class Order(WireModel):
    """A retail order as the platform (point of sale or shop) holds it."""

    order_id: ExternalId = Field(description="The platform's id of the order; it earns once.")
    client_id: ClientId = Field(description="The tenant's client who bought it.")
    channel: Channel = Field(default=Channel.CLINIC, description="Bought at the clinic or online.")
    lines: list[OrderLine] = Field(
        min_length=1, max_length=MAX_ORDER_LINES, description="What was bought, line by line."
    )
    payment_method: PaymentMethod = Field(description="How the order was paid for.")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _check_one_currency_and_unique_skus(
            [line.sku for line in self.lines], [line.amount_paid.currency for line in self.lines]
        )
        return self


class RefundedLine(WireModel):
    """One line of an order given back, whole or in part."""

    sku: ExternalId = Field(description="The line's sku, as in the order.")
    amount: Money | None = Field(
        default=None, description="The amount given back for the line; absent for all of it."
    )


class OrderRefund(WireModel):
    """Money given back for an order: all of it, or some lines or amounts."""

    refund_id: ExternalId = Field(
        description="The platform's id of this refund; a re-sent refund (same id) applies once."
    )
    order_id: ExternalId = Field(description="The order refunded.")
    client_id: ClientId = Field(description="The client whose order it was.")
    lines: list[RefundedLine] | None = Field(
        default=None,
        max_length=MAX_ORDER_LINES,
        description="The lines refunded; absent when the whole order is refunded.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.lines is not None:
            if not self.lines:
                msg = "lines must name at least one line, or be absent for a whole refund"
                raise ValueError(msg)
            _check_one_currency_and_unique_skus(
                [line.sku for line in self.lines],
                [line.amount.currency for line in self.lines if line.amount is not None],
            )
        return self


class ProductPurchased(Envelope[Order]):
    """A client bought products (retail), at the clinic or through its shop."""

    type: Literal["ProductPurchased"] = Field(description="Always 'ProductPurchased'.")


class OrderRefunded(Envelope[OrderRefund]):
    """A retail order was refunded, whole or by line."""

    type: Literal["OrderRefunded"] = Field(description="Always 'OrderRefunded'.")
