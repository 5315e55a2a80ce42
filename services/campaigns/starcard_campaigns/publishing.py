"""What the campaigns service publishes through its outbox relay.

An offer sent asks the notifier (``starcard.notifications.v1``) to tell the client their reward,
by email (and by SMS, to a client who agreed to it), keyed by the client; an offer held out asks
nothing. An offer of bonus points also publishes `CampaignPointsGranted` (``starcard.campaigns.v1``,
keyed by the client) for the loyalty service to grant them. The ids of both derive from the offer's
event (and the points' grant is the offer's id), so an offer published again after a crash or a
restart is the same message, sent once, and the same points, granted once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from starcard_events.campaign_facts import CampaignPointsGrant, CampaignPointsGranted
from starcard_events.notifications import Notice, NoticeKind
from starcard_events.topics import CAMPAIGN_FACTS
from starcard_runtime.outbound import (
    Outbound,
    client_record,
    notification_id,
    notification_request,
)

if TYPE_CHECKING:
    from starcard_campaigns.application import CampaignsService

__all__ = ["CampaignsPublisher"]

DECIDED = "Offer.Decided"
"""The one event published (a stored topic is ``<module>:<qualified name>``)."""

KINDS: dict[str, NoticeKind] = {
    "birthday": "birthday_reward",
    "anniversary": "anniversary_offer",
    "reengagement": "reengagement_offer",
}
"""The message of each campaign's offer."""


class CampaignsPublisher:
    """Translates campaign domain events into outbound records (the relay's ``translate``)."""

    def __init__(self, service: CampaignsService, topic: Callable[[str], str]) -> None:
        self._service = service
        self._topic = topic
        self._tenant_names: dict[str, str] = {}

    @staticmethod
    def reads(stored_topic: str) -> bool:
        """Whether events stored under `stored_topic` publish anything (the relay decodes no
        other: a visit noted, a code issued, a setting changed...)."""
        return stored_topic.endswith(f":{DECIDED}")

    def __call__(self, event: Any) -> Sequence[Outbound]:
        if type(event).__qualname__ != DECIDED or event.terms is None:
            return ()  # held out: the client is told nothing
        if event.terms.get("reward") == "points":
            return [self._points(event), self._offer(event)]
        return [self._offer(event)]

    def _points(self, decided: Any) -> Outbound:
        """The points the offer gives, for the loyalty service to grant once (by the offer)."""
        grant = CampaignPointsGrant(
            offer_id=decided.originator_id,
            client_id=decided.client_id,
            campaign=decided.campaign,
            occasion=decided.occasion,
        )
        return client_record(
            CAMPAIGN_FACTS,
            CampaignPointsGranted,
            decided,
            grant,
            owner=(decided.tenant_id, decided.client_id),
            at=decided.decided_at,
            resolve=self._topic,
        )

    def _offer(self, decided: Any) -> Outbound:
        """The offer's message: what it was made with, whatever the settings say now (terms
        stored before add-ons existed have none)."""
        terms = decided.terms
        notice = Notice(
            notification_id=notification_id(decided),
            client_id=decided.client_id,
            kind=KINDS[decided.campaign],
            tenant_name=self._tenant_name(decided.tenant_id),
            message=terms["message"],
            discount_percent=terms["discount_percent"],
            code=terms["code"],
            add_on=terms.get("add_on"),
            expires_at=terms["expires_at"],
            valid_until=terms.get("valid_until"),
            booking_url=terms["booking_url"],
            send_after=terms["send_after"],
        )
        return notification_request(
            decided,
            notice,
            owner=(decided.tenant_id, decided.client_id),
            at=decided.decided_at,
            resolve=self._topic,
        )

    def _tenant_name(self, tenant_id: str) -> str:
        if tenant_id not in self._tenant_names:
            self._tenant_names[tenant_id] = self._service.programme(tenant_id).name
        return self._tenant_names[tenant_id]
