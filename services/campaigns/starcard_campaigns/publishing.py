"""What the campaigns service publishes through its outbox relay.

A birthday reward granted asks the notifier (``starcard.notifications.v1``) to email the client
their code, keyed by the client. The request's id derives from the reward's event, so a reward
published again after a crash or a restart is the same email, sent once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from starcard_events.notifications import Notice
from starcard_runtime.outbound import Outbound, notification_id, notification_request

if TYPE_CHECKING:
    from starcard_campaigns.application import CampaignsService

__all__ = ["CampaignsPublisher"]

GRANTED = "BirthdayReward.Granted"
"""The one event published so far (a stored topic is ``<module>:<qualified name>``)."""


class CampaignsPublisher:
    """Translates campaign domain events into outbound records (the relay's ``translate``)."""

    def __init__(self, service: CampaignsService, topic: Callable[[str], str]) -> None:
        self._service = service
        self._topic = topic
        self._tenant_names: dict[str, str] = {}

    @staticmethod
    def reads(stored_topic: str) -> bool:
        """Whether events stored under `stored_topic` publish anything (the relay decodes no
        other: a birthday noted, a code issued, a setting changed...)."""
        return stored_topic.endswith(f":{GRANTED}")

    def __call__(self, event: Any) -> Sequence[Outbound]:
        if type(event).__qualname__ != GRANTED:
            return ()
        return [self._birthday_reward(event)]

    def _birthday_reward(self, granted: Any) -> Outbound:
        """The birthday code's email: what the reward was granted with, whatever the settings
        say now."""
        notice = Notice(
            notification_id=notification_id(granted),
            client_id=granted.client_id,
            kind="birthday_reward",
            tenant_name=self._tenant_name(granted.tenant_id),
            message=granted.message,
            discount_percent=granted.discount_percent,
            code=granted.code,
            expires_at=granted.expires_at,
        )
        return notification_request(
            granted,
            notice,
            owner=(granted.tenant_id, granted.client_id),
            at=granted.issued_at,
            resolve=self._topic,
        )

    def _tenant_name(self, tenant_id: str) -> str:
        if tenant_id not in self._tenant_names:
            self._tenant_names[tenant_id] = self._service.programme(tenant_id).name
        return self._tenant_names[tenant_id]
