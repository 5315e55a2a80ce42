"""Delivery facts the notifier publishes (`starcard.deliveries.v1`), keyed by client.

What became of a message on each of its channels: handed over (the SMTP server or the SMS
provider accepted it) or not delivered (suppressed, or given up after the last failed attempt). A
failed attempt that will be retried is no fact yet. The campaigns service counts them in its
results; a platform may too.

Each fact carries the ``event_id`` of the notification's event it comes from, so a fact published
again (a relay restarted after a crash) has the same id: consumers dedupe by it. No address and no
phone number travels here: the client is named by id only.
"""

from typing import Annotated, Literal, TypeAlias
from uuid import UUID

from pydantic import Field, StringConstraints

from starcard_events.envelope import ClientId, Envelope, Moment
from starcard_events.notifications import NoticeKind
from starcard_events.wire import WireModel

DeliveryChannel = Literal["email", "sms"]
"""How a message went out: each message has an email, and a campaign's offer an SMS too."""

MAX_REASON_LENGTH = 500


class Outcome(WireModel):
    """Which message, and which of its channels."""

    notification_id: UUID = Field(
        description="The notification (the `notification_id` of the request that asked for it)."
    )
    client_id: ClientId = Field(description="The client it is to or about.")
    kind: NoticeKind = Field(description="Which message it is.")
    channel: DeliveryChannel = Field(description="The channel: `email` or `sms`.")


class Delivery(Outcome):
    """A message the SMTP server or the SMS provider accepted."""

    delivered_at: Moment = Field(
        description="When the SMTP server or the SMS provider accepted it. Accepted is as far as "
        "Starcard sees: whether it reached the inbox or the phone is the receiver's to know."
    )


class NonDelivery(Outcome):
    """A message that will not go out on a channel."""

    reason: Annotated[str, StringConstraints(min_length=1, max_length=MAX_REASON_LENGTH)] = Field(
        description="Why, in words safe to show (never the server's own text): e.g. 'no email on "
        "file', 'no SMS consent', 'the SMTP server refused the recipient'.",
        examples=["no email on file"],
    )


class MessageDelivered(Envelope[Delivery]):
    """The SMTP server or the SMS provider accepted a message (once per notification and
    channel)."""

    type: Literal["MessageDelivered"] = Field(description="Always 'MessageDelivered'.")


class MessageNotDelivered(Envelope[NonDelivery]):
    """A message was suppressed (no address, no consent, the client replied STOP) or given up
    after its last attempt failed (once per notification and channel)."""

    type: Literal["MessageNotDelivered"] = Field(description="Always 'MessageNotDelivered'.")


DeliveryFact: TypeAlias = Annotated[
    MessageDelivered | MessageNotDelivered, Field(discriminator="type")
]
"""Everything on ``starcard.deliveries.v1``, told apart by its `type`."""
