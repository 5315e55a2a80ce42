"""What a service's publisher hands its outbox relay: records in the envelope of every topic.

A publisher translates one aggregate event into zero or more records. Each record is built here,
so that every service keys, stamps and identifies its records the same way: keyed by the client
it concerns (``tenant_id:client_id``), and with an ``event_id`` derived from the aggregate event
and the topic, so a record published again after a crash is recognisably the same one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from pydantic import BaseModel
from starcard_events.notifications import NotificationRequested
from starcard_events.topics import NOTIFICATIONS, booking_key

RELAY_NAMESPACE = uuid.UUID("0b7c31f4-5a4e-4f55-9d0b-6c3a3f1e2d11")


@dataclass(frozen=True)
class Outbound:
    """One record to publish."""

    topic: str
    key: bytes
    value: bytes


Translate = Callable[[Any], Sequence[Outbound]]
"""Maps a domain event to the records it publishes (often none)."""


def derived_event_id(originator_id: uuid.UUID, originator_version: int, kind: str) -> uuid.UUID:
    """The id of a record published for an aggregate event: the same on every re-publication."""
    return uuid.uuid5(RELAY_NAMESPACE, f"{kind}:{originator_id}:{originator_version}")


def client_record(
    topic: str,
    kind: type[BaseModel],
    cause: Any,
    data: BaseModel,
    *,
    owner: tuple[str, str],
    at: datetime,
    resolve: Callable[[str], str],
) -> Outbound:
    """The record of envelope type `kind` around `data`, about the client `owner`
    (``(tenant_id, client_id)``), published for the aggregate event `cause` to `topic` (as
    `resolve` names it in this deployment, e.g. with a prefix)."""
    tenant_id, client_id = owner
    record = kind.model_validate(
        {
            "event_id": derived_event_id(cause.originator_id, cause.originator_version, topic),
            "type": kind.__name__,
            "schema_version": 1,
            "occurred_at": at,
            "tenant_id": tenant_id,
            "data": data,  # already validated: taken as it is, not dumped and parsed again
        }
    )
    return Outbound(
        topic=resolve(topic),
        key=booking_key(tenant_id, client_id),
        value=record.model_dump_json().encode(),
    )


def notification_id(cause: Any) -> uuid.UUID:
    """The id of the email the aggregate event `cause` asks for: the same on every re-publication,
    so the notifier sends it once."""
    return notification_id_of(cause.originator_id, cause.originator_version)


def notification_id_of(originator_id: uuid.UUID, originator_version: int) -> uuid.UUID:
    """`notification_id` of the event `originator_version` of aggregate `originator_id` (for a
    reader that knows the aggregate and not the event: a campaign offer is its first)."""
    return derived_event_id(originator_id, originator_version, "notification")


notification_request = partial(client_record, NOTIFICATIONS, NotificationRequested)
"""The request to the notifier (``starcard.notifications.v1``) to send a `Notice`:
``notification_request(cause, notice, owner=..., at=..., resolve=...)``."""
