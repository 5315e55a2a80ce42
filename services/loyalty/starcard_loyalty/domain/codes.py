"""Loyalty reward codes: ``LOYAL-XXXXXXXX``, single-use, valid 12 months, a percentage off.

"Discount codes use the format LOYAL-XXXXXXXX, are single-use, and are valid for 12 months. They
work at checkout just like any other discount code." How a code is drawn, how long it lasts and
how it is used is the kernel's (``starcard_kernel.codes``); a loyalty code adds its prefix, the
milestone it rewards and the percentage it takes off.
"""

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import event
from starcard_kernel.codes import (
    CODE_ALPHABET,
    CODE_LENGTH,
    CODE_VALIDITY,
    CodeGenerator,
    CodeStatus,
    Months,
    SingleUseCode,
    code_expiry,
    draw_code,
    normalize_code,
)
from starcard_kernel.money import check_money, percent_of

from starcard_loyalty.domain.ids import discount_code_id

__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "CODE_VALIDITY",
    "LOYALTY_CODE_PREFIX",
    "CodeGenerator",
    "CodeStatus",
    "DiscountCode",
    "Months",
    "check_money",
    "code_expiry",
    "is_loyalty_code",
    "loyalty_code",
    "normalize_code",
]

LOYALTY_CODE_PREFIX = "LOYAL-"


def loyalty_code(choose: Callable[[str], str]) -> str:
    """``LOYAL-`` and eight characters, each picked by `choose` from `CODE_ALPHABET`."""
    return draw_code(LOYALTY_CODE_PREFIX, choose)


def is_loyalty_code(text: str) -> bool:
    """The text looks like a loyalty code (other discount codes belong to other programmes)."""
    return normalize_code(text).startswith(LOYALTY_CODE_PREFIX)


class DiscountCode(SingleUseCode):
    """One loyalty reward's code: issued → redeemed | expired (``SingleUseCode``).

    Created with `DiscountCode(code=..., tenant_id=..., client_id=..., discount_percent=...,
    milestone_id=..., issued_at=..., expires_at=...)`; its id is `discount_code_id(code)`. It is
    written together with the client's `ClientLoyalty`, which holds the same code as its
    outstanding reward: the two always agree.
    """

    @staticmethod
    def create_id(code: str) -> UUID:
        """The code itself is the natural key, so the checkout finds it without a lookup."""
        return discount_code_id(code)

    @event("Issued")
    def __init__(
        self,
        *,
        code: str,
        tenant_id: str,
        client_id: str,
        discount_percent: int,
        milestone_id: str,
        issued_at: datetime,
        expires_at: datetime,
    ) -> None:
        self._open(
            code=code,
            tenant_id=tenant_id,
            client_id=client_id,
            issued_at=issued_at,
            expires_at=expires_at,
        )
        self.discount_percent = discount_percent
        self.milestone_id = milestone_id

    def discount_on(self, amount_minor: int) -> int:
        """What the code takes off `amount_minor`."""
        return percent_of(amount_minor, self.discount_percent)


DiscountCode.recorded_before_the_kernel()
