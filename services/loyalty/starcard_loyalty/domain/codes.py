"""Single-use discount codes: how one is made, how long it lasts, and what it is worth.

"Discount codes use the format LOYAL-XXXXXXXX, are single-use, and are valid for 12 months. They
work at checkout just like any other discount code."

The characters come from the caller (the application passes `secrets.choice`), so the domain stays
deterministic under test; a code's aggregate id is `discount_code_id(code)`, so a code issued twice
is refused by the event store like any other version conflict, and the batch that drew it is
re-run with fresh codes.
"""

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from starcard_events.limits import MAX_AMOUNT_MINOR

from starcard_loyalty.domain.errors import (
    CodeAlreadyRedeemed,
    CodeExpired,
    CodeOfAnotherClient,
    InvalidAmount,
)
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
    "discount_minor",
    "is_loyalty_code",
    "loyalty_code",
    "normalize_code",
]

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
"""Digits and capitals without 0/O, 1/I/L: nothing a client can misread from an email."""

LOYALTY_CODE_PREFIX = "LOYAL-"
CODE_LENGTH = 8

ISO_4217 = re.compile(r"[A-Z]{3}")

CodeGenerator = Callable[[], str]
"""Draws a fresh code; in production `partial(loyalty_code, secrets.choice)`."""

CodeStatus = Literal["outstanding", "redeemed", "expired"]


def loyalty_code(choose: Callable[[str], str]) -> str:
    """``LOYAL-`` and eight characters, each picked by `choose` from `CODE_ALPHABET`.

    With `secrets.choice` that is 31⁸ (about 8.5e11) codes, drawn from a cryptographically
    secure source, so a code cannot be guessed from the ones a client has seen.
    """
    return LOYALTY_CODE_PREFIX + "".join(choose(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str:
    """A code as typed at a till: surrounding spaces and lower case do not matter."""
    return text.strip().upper()


def is_loyalty_code(text: str) -> bool:
    """The text looks like a loyalty code (other discount codes belong to other programmes)."""
    return normalize_code(text).startswith(LOYALTY_CODE_PREFIX)


@dataclass(frozen=True)
class Months:
    """A length of time in calendar months."""

    count: int

    def after(self, moment: datetime) -> datetime:
        """The same day of the month `count` months later, at the same time in the same zone;
        a day the later month lacks becomes its last day (29 February → 28 February)."""
        months = moment.month - 1 + self.count
        year, month = moment.year + months // 12, months % 12 + 1
        day = min(moment.day, calendar.monthrange(year, month)[1])
        return moment.replace(year=year, month=month, day=day)


CODE_VALIDITY = Months(12)
"""Codes "are valid for 12 months" from the moment the reward fires."""


def code_expiry(issued_at: datetime) -> datetime:
    """When a code issued at `issued_at` stops working: 12 months later, to the minute."""
    return CODE_VALIDITY.after(issued_at)


def check_money(amount_minor: int, currency: str) -> None:
    """An amount to discount: whole minor units, not negative, of an ISO 4217 currency, and no
    more than a JSON number carries exactly."""
    if not 0 <= amount_minor <= MAX_AMOUNT_MINOR:
        msg = (
            f"The amount must be 0 to {MAX_AMOUNT_MINOR} minor units (got {amount_minor}): "
            "send it as whole minor units, e.g. 4500 for 45.00."
        )
        raise InvalidAmount(msg)
    if not ISO_4217.fullmatch(currency):
        msg = f"The currency must be an ISO 4217 code such as GBP or EUR (got {currency!r})."
        raise InvalidAmount(msg)


def discount_minor(amount_minor: int, percent: int) -> int:
    """`percent` off `amount_minor`, rounded half up to the minor unit, never above the amount.

    Integer arithmetic only: 10% of 4,995 pence is 500 (499.5 rounded up), never 499.49999….
    """
    if amount_minor < 0:
        msg = f"The amount must not be negative (got {amount_minor} minor units)."
        raise InvalidAmount(msg)
    return min(amount_minor, (amount_minor * percent + 50) // 100)


class DiscountCode(Aggregate):
    """One single-use code of one client of one tenant: issued → redeemed | expired.

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
        self.code = code
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.discount_percent = discount_percent
        self.milestone_id = milestone_id
        self.issued_at = issued_at
        self.expires_at = expires_at
        self.booking_id: str | None = None
        self.redeemed_at: datetime | None = None
        self.expired_at: datetime | None = None

    def status(self, at: datetime) -> CodeStatus:
        """Where the code stands at `at`: a code past its expiry is expired even before the
        expiry is recorded."""
        if self.booking_id is not None:
            return "redeemed"
        if self.expired_at is not None or at >= self.expires_at:
            return "expired"
        return "outstanding"

    def redeem(self, booking_id: str, client_id: str, at: datetime) -> None:
        """Use the code on a booking, once. The same booking again changes nothing, so a
        checkout retried, or a booking event re-sent, redeems it once."""
        self.check_is_clients(client_id)
        if self.booking_id == booking_id:
            return
        self.check_redeemable(client_id, at)
        self._redeem(booking_id=booking_id, redeemed_at=at)

    def expire(self, at: datetime) -> None:
        """Record that the code ran out unused; a used or recorded expiry stays as it is.

        `expired_at` is the moment it stopped working, not when the expiry was noticed, so every
        way time reaches the service records the same fact.
        """
        if self.status(at) == "expired" and self.expired_at is None:
            self._expire(expired_at=self.expires_at)

    def check_is_clients(self, client_id: str) -> None:
        """Only the client who earned the code can use it."""
        if client_id != self.client_id:
            raise CodeOfAnotherClient(self.code)

    def check_redeemable(self, client_id: str, at: datetime) -> None:
        """The client's code, unused, and still valid at `at`."""
        self.check_is_clients(client_id)
        match self.status(at):
            case "redeemed":
                raise CodeAlreadyRedeemed(self.code)
            case "expired":
                raise CodeExpired(self.code, self.expires_at)
            case "outstanding":
                pass

    def discount_on(self, amount_minor: int) -> int:
        """What the code takes off `amount_minor`."""
        return discount_minor(amount_minor, self.discount_percent)

    @event("Redeemed")
    def _redeem(self, *, booking_id: str, redeemed_at: datetime) -> None:
        self.booking_id = booking_id
        self.redeemed_at = redeemed_at

    @event("Expired")
    def _expire(self, *, expired_at: datetime) -> None:
        self.expired_at = expired_at
