"""What became of a campaign's message on each channel, as the notifier reports it.

The notifier publishes an outcome when a channel of a message settles: delivered (the SMTP server
or the SMS provider accepted it) or not delivered (suppressed: no address, no consent, STOP; or
given up after the last failed attempt). Each is recorded once per channel: a fact published
again (the notifier's relay restarted) or read again changes nothing, and the first outcome of a
channel stands, since a settled channel never changes at the notifier either.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from starcard_campaigns.domain.ids import message_outcomes_id

__all__ = ["Channel", "MessageOutcomes"]

Channel = Literal["email", "sms"]


class MessageOutcomes(Aggregate):
    """Started with `MessageOutcomes(tenant_id=..., notification_id=...)` at the first outcome
    of the message; its id is `message_outcomes_id(tenant_id, notification_id)`."""

    @staticmethod
    def create_id(tenant_id: str, notification_id: UUID) -> UUID:
        return message_outcomes_id(tenant_id, notification_id)

    @event("Started")
    def __init__(self, *, tenant_id: str, notification_id: UUID) -> None:
        self.tenant_id = tenant_id
        self.notification_id = notification_id
        self.delivered: dict[Channel, datetime] = {}
        """Channel → when it was handed over."""
        self.not_delivered: dict[Channel, str] = {}
        """Channel → why it will not go out."""

    def is_delivered(self, channel: Channel) -> bool:
        return channel in self.delivered

    def has_outcome(self, channel: Channel) -> bool:
        return channel in self.delivered or channel in self.not_delivered

    def record_delivered(self, channel: Channel, at: datetime) -> None:
        """The channel's message was handed over at `at`; known already, nothing changes."""
        if not self.has_outcome(channel):
            self._deliver(channel=channel, at=at)

    def record_not_delivered(self, channel: Channel, reason: str) -> None:
        """The channel's message will not go out, for `reason`; known already, nothing changes."""
        if not self.has_outcome(channel):
            self._fail_to_deliver(channel=channel, reason=reason)

    @event("Delivered")
    def _deliver(self, channel: Channel, at: datetime) -> None:
        self.delivered[channel] = at

    @event("NotDelivered")
    def _fail_to_deliver(self, channel: Channel, reason: str) -> None:
        self.not_delivered[channel] = reason
