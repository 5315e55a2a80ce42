"""The refusals every service's codes and money raise, as types the edges translate once (an HTTP
status, a dead letter's reason).

Each message says what is wrong in words a therapist, a receptionist or a platform can act on, and
never says anything about another tenant: another tenant's code is simply not found.
"""

from __future__ import annotations

from datetime import datetime


class CodeRefusal(Exception):
    """A single-use code that cannot be used as asked."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class CodeNotFound(CodeRefusal):
    """No code like this was issued by this tenant.

    Also raised for another tenant's code, with the same message: a tenant never learns that
    another tenant's code exists.
    """

    def __init__(self, code: str) -> None:
        super().__init__(
            f"No discount code {code!r} was issued by this business: check the code as typed.",
            code,
        )


class CodeOfAnotherClient(CodeRefusal):
    """The code was issued to another client of the tenant; only that client can use it."""

    def __init__(self, code: str) -> None:
        super().__init__(
            f"Discount code {code!r} belongs to another client: a code can only be used by the "
            "client it was issued to.",
            code,
        )


class CodeExpired(CodeRefusal):
    """The code was not used before its expiry."""

    def __init__(self, code: str, expires_at: datetime) -> None:
        super().__init__(
            f"Discount code {code!r} expired on {expires_at.date().isoformat()}: codes are valid "
            "for 12 months from the moment they are issued.",
            code,
        )
        self.expires_at = expires_at


class CodeAlreadyRedeemed(CodeRefusal):
    """The code was already used on another booking: codes are single-use."""

    def __init__(self, code: str) -> None:
        super().__init__(
            f"Discount code {code!r} was already used on another booking: each code is single-use.",
            code,
        )


UNUSABLE_CODE = (CodeNotFound, CodeOfAnotherClient, CodeExpired, CodeAlreadyRedeemed)
"""Why a code found on a booking was not redeemed. The platform already took the discount, so
none of these refuses the booking: it is logged, and the booking is processed as usual."""


class InvalidAmount(ValueError):
    """An amount that cannot be worked with: negative, too large, or without a currency code."""


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies met (a credit in GBP against a price in EUR)."""

    def __init__(self, expected: str, given: str) -> None:
        super().__init__(f"This reward is in {expected}; the amount is in {given}.")
        self.expected = expected
        self.given = given
