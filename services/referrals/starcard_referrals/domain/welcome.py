"""The referred client's welcome code: single use, ``REF-XXXXXXXX``, valid 12 months.

"When enabled, the new client automatically receives a single-use discount code for the same
amount, emailed to them as soon as they complete their first booking." It works at checkout like a
loyalty code, because it is one: the kernel's single-use code (``starcard_kernel.codes``), the
same alphabet, the same refusals (expired, used, another client's, another tenant's — the last one
answered exactly like a code never issued), worth the referral programme's reward value.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import event
from starcard_kernel.codes import SingleUseCode, draw_code, normalize_code

from starcard_referrals.domain.ids import welcome_code_id
from starcard_referrals.domain.values import RewardValue

WELCOME_CODE_PREFIX = "REF-"


def welcome_code(choose: Callable[[str], str]) -> str:
    """``REF-`` and eight characters picked by `choose` (`secrets.choice`) from the alphabet."""
    return draw_code(WELCOME_CODE_PREFIX, choose)


def is_welcome_code(text: str) -> bool:
    return normalize_code(text).startswith(WELCOME_CODE_PREFIX)


class WelcomeCode(SingleUseCode):
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
        self._open(
            code=code,
            tenant_id=tenant_id,
            client_id=client_id,
            issued_at=issued_at,
            expires_at=expires_at,
        )
        self.value = RewardValue.from_event(value)


WelcomeCode.recorded_before_the_kernel()
