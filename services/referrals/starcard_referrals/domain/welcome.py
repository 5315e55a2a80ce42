"""The referred client's welcome code: single use, ``REF-XXXXXXXX``, valid 12 months.

"When enabled, the new client automatically receives a single-use discount code for the same
amount, emailed to them as soon as they complete their first booking." It works at checkout like a
loyalty code: the same alphabet, the same refusals (expired, used, another client's, another
tenant's — the last one answered exactly like a code never issued).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from starcard_loyalty.domain.codes import CODE_ALPHABET, CODE_LENGTH, normalize_code
from starcard_loyalty.domain.errors import CodeAlreadyRedeemed, CodeExpired, CodeOfAnotherClient

from starcard_referrals.domain.ids import welcome_code_id
from starcard_referrals.domain.values import RewardValue

WELCOME_CODE_PREFIX = "REF-"


def welcome_code(choose: Callable[[str], str]) -> str:
    """``REF-`` and eight characters picked by `choose` (`secrets.choice`) from the alphabet."""
    return WELCOME_CODE_PREFIX + "".join(choose(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def is_welcome_code(text: str) -> bool:
    return normalize_code(text).startswith(WELCOME_CODE_PREFIX)


class WelcomeCode(Aggregate):
    """Created with `WelcomeCode(code=..., tenant_id=..., client_id=..., value=..., ...)`."""

    @staticmethod
    def create_id(code: str) -> UUID:
        return welcome_code_id(code)

    @event("Issued")
    def __init__(
        self,
        *,
        code: str,
        tenant_id: str,
        client_id: str,
        value: dict[str, Any],
        issued_at: datetime,
        expires_at: datetime,
    ) -> None:
        self.code = code
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.value = RewardValue.from_event(value)
        self.issued_at = issued_at
        self.expires_at = expires_at
        self.booking_id: str | None = None
        self.redeemed_at: datetime | None = None

    def check_redeemable(self, client_id: str, booking_id: str, at: datetime) -> None:
        if client_id != self.client_id:
            raise CodeOfAnotherClient(self.code)
        if self.booking_id is not None and self.booking_id != booking_id:
            raise CodeAlreadyRedeemed(self.code)
        if self.booking_id is None and at >= self.expires_at:
            raise CodeExpired(self.code, self.expires_at)

    def redeem(self, client_id: str, booking_id: str, at: datetime) -> None:
        """Use the code on a booking, once; the same booking again changes nothing."""
        self.check_redeemable(client_id, booking_id, at)
        if self.booking_id is None:
            self._redeem(booking_id=booking_id, redeemed_at=at)

    @event("Redeemed")
    def _redeem(self, *, booking_id: str, redeemed_at: datetime) -> None:
        self.booking_id = booking_id
        self.redeemed_at = redeemed_at
