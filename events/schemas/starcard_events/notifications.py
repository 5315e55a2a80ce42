"""Messages the services ask the notifier to send (`starcard.notifications.v1`).

Published by a service's outbox relay, keyed ``tenant_id:client_id``. The notifier holds the
clients' contact details itself (from the booking topic), so no request carries an address.
"""

from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints

from starcard_events.envelope import ClientId, Envelope
from starcard_events.wire import WireModel


class RewardNotice(WireModel):
    """A reward has fired for a client: the milestone's message, and its code when it has one."""

    notification_id: UUID = Field(
        description=(
            "Derived from the cause (the reward's aggregate event), so a re-published request is "
            "the same notification; also the email's Message-ID."
        )
    )
    client_id: ClientId = Field(description="The client to notify.")
    kind: Literal["reward_issued"] = Field(description="Which template to use.")
    tenant_name: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        description="The business's name, as the client knows it."
    )
    message: Annotated[str, StringConstraints(min_length=1, max_length=2000)] = Field(
        description="The tenant's personal note for this milestone."
    )
    discount_percent: int | None = Field(
        default=None, ge=1, le=100, description="Percentage off, when the reward has a code."
    )
    code: Annotated[str, StringConstraints(pattern=r"^[A-Z]+-[A-Z0-9]{8}$")] | None = Field(
        default=None, description="The single-use discount code, when the reward has one."
    )
    expires_at: AwareDatetime | None = Field(
        default=None, description="When the code stops working."
    )


class NotificationRequested(Envelope[RewardNotice]):
    """A service asks the notifier to tell a client something."""

    type: Literal["NotificationRequested"] = Field(description="Always 'NotificationRequested'.")
