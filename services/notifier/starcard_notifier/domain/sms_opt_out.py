"""A phone number's answer to our texts: STOP, until it says START again.

"A client with no SMS consent, or who replied STOP, gets no SMS; the reward still stands." The
reply is the person's own word about their phone, so it is kept on the number, not on a client's
record: it holds for every client with that number (the provider blocks the number, whichever
business the text was for), and no later record from a booking platform overrides it, until the
person replies START. Replies are taken in the order they were received (`at`), so a late copy of
an older reply changes nothing.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from starcard_notifier.domain.ids import sms_opt_out_id

__all__ = ["Reply", "SmsOptOut", "phone_number", "reply_in"]

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
"""The replies that opt a number out: the SMS industry's standard keywords (Twilio's too)."""

START_WORDS = frozenset({"START", "UNSTOP", "YES"})
"""The replies that opt a number back in."""

_NOT_DIALLED = re.compile(r"[\s().\-/]")


class Reply(StrEnum):
    STOP = "stop"
    START = "start"


def reply_in(body: str) -> Reply | None:
    """What a text means: a whole message of one keyword, in any case; None for anything else."""
    word = body.strip().upper()
    if word in STOP_WORDS:
        return Reply.STOP
    if word in START_WORDS:
        return Reply.START
    return None


def phone_number(phone: str) -> str:
    """A number as one key whatever its punctuation: "+44 7700 900-123" is "+447700900123".

    The provider reports the sender in E.164 (+ and digits); a booking platform that keeps
    numbers in another form (a national "07700 900123") must send them in E.164 for a STOP to
    find its clients and for the provider to reach them.
    """
    return _NOT_DIALLED.sub("", phone)


class SmsOptOut(Aggregate):
    """Whether a phone number opted out of our texts.

    Opened with `SmsOptOut(phone=..., at=...)` (not yet stopped); its id is
    `sms_opt_out_id(phone_number(phone))`.
    """

    @staticmethod
    def create_id(phone: str, at: datetime) -> UUID:
        return sms_opt_out_id(phone_number(phone))

    @event("Opened")
    def __init__(self, *, phone: str, at: datetime) -> None:
        self.phone = phone_number(phone)
        self.stopped = False
        self.as_of = at

    def take(self, reply: Reply, at: datetime, *, source: str) -> None:
        """Take a reply received at `at` (`source`: how it reached us), unless a later one was
        already taken; one that changes nothing records nothing."""
        if at < self.as_of:
            return
        if reply is Reply.STOP and not self.stopped:
            self._stop(at=at, source=source)
        elif reply is Reply.START and self.stopped:
            self._start(at=at, source=source)

    @event("SmsStopped")
    def _stop(self, at: datetime, source: str) -> None:
        self.stopped = True
        self.as_of = at

    @event("SmsStarted")
    def _start(self, at: datetime, source: str) -> None:
        self.stopped = False
        self.as_of = at
