"""The single-use code lifecycle every programme's codes share: drawn, issued, redeemed once,
expired.

"Discount codes use the format LOYAL-XXXXXXXX, are single-use, and are valid for 12 months. They
work at checkout just like any other discount code." A loyalty reward's code, a referred client's
welcome code (and the points, package and campaign codes to come) differ in their prefix and in
what they are worth; how they are drawn, how long they last and how they are used is here, once.

The characters come from the caller (the application passes `secrets.choice`), so the domain stays
deterministic under test. A code's aggregate id is derived from the code itself, so a code drawn
twice is refused by the event store like any other version conflict, and the work that drew it is
run again with a fresh code.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import register_topic

from starcard_kernel.refusals import CodeAlreadyRedeemed, CodeExpired, CodeOfAnotherClient

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
"""Digits and capitals without 0/O, 1/I/L: nothing a client can misread from an email."""

CODE_LENGTH = 8

CodeGenerator = Callable[[], str]
"""Draws a fresh code; in production `partial(draw_code, PREFIX, secrets.choice)`."""

CodeStatus = Literal["outstanding", "redeemed", "expired"]


def draw_code(prefix: str, choose: Callable[[str], str]) -> str:
    """`prefix` and eight characters, each picked by `choose` from `CODE_ALPHABET`.

    With `secrets.choice` that is 31⁸ (about 8.5e11) codes per prefix, drawn from a
    cryptographically secure source, so a code cannot be guessed from the ones a client has seen.
    """
    return prefix + "".join(choose(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str:
    """A code as typed at a till: surrounding spaces and lower case do not matter."""
    return text.strip().upper()


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
"""Codes "are valid for 12 months" from the moment they are issued."""


def code_expiry(issued_at: datetime) -> datetime:
    """When a code issued at `issued_at` stops working: 12 months later, to the minute."""
    return CODE_VALIDITY.after(issued_at)


class SingleUseCode(Aggregate):
    """One single-use code of one client of one tenant: issued → redeemed | expired.

    A programme's code is a subclass whose `Issued` event (its ``__init__``) records what the code
    is worth and calls :meth:`_open` with what every code has.
    """

    def _open(
        self,
        *,
        code: str,
        tenant_id: str,
        client_id: str,
        issued_at: datetime,
        expires_at: datetime,
    ) -> None:
        """What every code holds from its issue on (called by the subclass's `Issued`)."""
        self.code = code
        self.tenant_id = tenant_id
        self.client_id = client_id
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
        """Record that the code ran out unused; a used code, or a recorded expiry, stays as it is.

        `expired_at` is the moment it stopped working, not when the expiry was noticed, so every
        way time reaches the service records the same fact.
        """
        if self.status(at) == "expired" and self.expired_at is None:
            self._expire(expired_at=self.expires_at)

    def check_is_clients(self, client_id: str) -> None:
        """Only the client the code was issued to can use it."""
        if client_id != self.client_id:
            raise CodeOfAnotherClient(self.code)

    def check_redeemable(self, client_id: str, at: datetime, booking_id: str | None = None) -> None:
        """The client's code, unused (or used on `booking_id` itself: a retry), and still valid
        at `at`."""
        self.check_is_clients(client_id)
        if self.booking_id is not None and self.booking_id == booking_id:
            return
        match self.status(at):
            case "redeemed":
                raise CodeAlreadyRedeemed(self.code)
            case "expired":
                raise CodeExpired(self.code, self.expires_at)
            case "outstanding":
                pass

    @classmethod
    def recorded_before_the_kernel(cls) -> None:
        """Let events a code subclass recorded before the lifecycle moved here load again.

        They name the subclass (``...:DiscountCode.Redeemed``); they are this class's events, and
        only this class's event classes apply them. Call once, after defining the subclass.
        """
        for name in ("Redeemed", "Expired"):
            register_topic(
                f"{cls.__module__}:{cls.__qualname__}.{name}", getattr(SingleUseCode, name)
            )

    @event("Redeemed")
    def _redeem(self, *, booking_id: str, redeemed_at: datetime) -> None:
        self.booking_id = booking_id
        self.redeemed_at = redeemed_at

    @event("Expired")
    def _expire(self, *, expired_at: datetime) -> None:
        self.expired_at = expired_at
