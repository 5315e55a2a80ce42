"""Referral links: one per referring client, and the visits made through it.

"Each client has a personal referral link generated automatically the first time they visit their
portal." The link's code is drawn by the caller (`secrets.token_urlsafe` in production): 96
random bits, so nobody finds a link by guessing. Two aggregates, saved together when the link is
made: `ReferralLink`, found from the code (what a visit or a booking names), and `ClientLink`,
found from the client (what the portal asks for), which also makes "one link per client" an
event-store uniqueness rule rather than a race.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from starcard_referrals.domain.ids import client_link_id, link_id

CODE_BYTES = 12
"""96 random bits, 16 URL-safe characters."""

CodeSource = Callable[[int], str]
"""Draws a URL-safe code from that many random bytes; in production `secrets.token_urlsafe`."""


def referral_code(draw: CodeSource) -> str:
    return draw(CODE_BYTES)


class VisitOutcome(StrEnum):
    INVITED = "invited"
    OWN_LINK = "own_link"
    """The link's own client followed it: no referral (recorded, so the board can say why)."""


class ReferralLink(Aggregate):
    """A referring client's link, with everyone who followed it (each visitor once)."""

    @staticmethod
    def create_id(tenant_id: str, code: str) -> UUID:
        return link_id(tenant_id, code)

    @event("Created")
    def __init__(self, *, tenant_id: str, code: str, client_id: str, created_at: datetime) -> None:
        self.tenant_id = tenant_id
        self.code = code
        self.client_id = client_id
        self.created_at = created_at
        self.visits: dict[str, datetime] = {}

    def record_visit(self, visitor_id: str, at: datetime) -> VisitOutcome | None:
        """A visit to the booking page through the link; a visitor seen before changes nothing.

        The platform's visitor id is compared with the link's client: a client signed in to the
        booking page is known by their client id, and following your own link invites nobody.
        """
        if visitor_id in self.visits:
            return None
        outcome = VisitOutcome.OWN_LINK if visitor_id == self.client_id else VisitOutcome.INVITED
        self._visit(visitor_id=visitor_id, visited_at=at, outcome=outcome.value)
        return outcome

    @event("Visited")
    def _visit(self, *, visitor_id: str, visited_at: datetime, outcome: str) -> None:
        self.visits[visitor_id] = visited_at


class ClientLink(Aggregate):
    """Which link is the client's; made once, never changed."""

    @staticmethod
    def create_id(tenant_id: str, client_id: str) -> UUID:
        return client_link_id(tenant_id, client_id)

    @event("Created")
    def __init__(self, *, tenant_id: str, client_id: str, code: str) -> None:
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.code = code
