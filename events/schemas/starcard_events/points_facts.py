"""Points facts Starcard publishes for booking platforms (`starcard.loyalty.v1`), keyed by client.

Every movement of a client's points account is one fact with its reason and its source, and the
balance after it, so a platform can show "+120 points for Botox" without asking. Each carries the
``event_id`` of the account event it comes from: consumers dedupe by it.
"""

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from starcard_events.envelope import ClientId, Envelope
from starcard_events.limits import MAX_MESSAGE_LENGTH, MAX_POINTS, PLAIN_TEXT_PATTERN
from starcard_events.wire import WireModel

Reason = Literal["earned", "bonus", "redeemed", "expired", "reversed", "adjusted"]
"""Why the points moved."""


class PointsMovement(WireModel):
    """One movement of a client's points."""

    client_id: ClientId = Field(description="The client.")
    points: int = Field(
        ge=-MAX_POINTS,
        le=MAX_POINTS,
        description="Points added (positive) or taken (negative) by this movement.",
    )
    balance: int = Field(
        ge=-MAX_POINTS,
        le=MAX_POINTS,
        description=(
            "The balance after it; below zero when a refund reversed points already spent."
        ),
    )
    reason: Reason = Field(description="Why the points moved.")
    source: Annotated[str, StringConstraints(max_length=300, pattern=PLAIN_TEXT_PATTERN)] = Field(
        description=(
            "What caused it: 'booking:<id>', 'order:<id>:<sku>', 'rule:<bonus>', 'expiry', or "
            "'adjustment:<id>'."
        )
    )
    note: (
        Annotated[str, StringConstraints(max_length=MAX_MESSAGE_LENGTH, pattern=PLAIN_TEXT_PATTERN)]
        | None
    ) = Field(default=None, description="The operator's note of a manual adjustment.")
    expires_on: dt.date | None = Field(
        default=None, description="When points earned by it expire (none: they never do)."
    )


class PointsEarned(Envelope[PointsMovement]):
    """Points earned by a treatment or a purchase, or granted by a bonus rule."""

    type: Literal["PointsEarned"] = Field(description="Always 'PointsEarned'.")


class PointsRedeemed(Envelope[PointsMovement]):
    """Points spent at checkout on a booking."""

    type: Literal["PointsRedeemed"] = Field(description="Always 'PointsRedeemed'.")


class PointsExpired(Envelope[PointsMovement]):
    """Points that reached their expiry date unspent."""

    type: Literal["PointsExpired"] = Field(description="Always 'PointsExpired'.")


class PointsReversed(Envelope[PointsMovement]):
    """Points taken back by a refund, or given back when a redemption's booking was refunded."""

    type: Literal["PointsReversed"] = Field(description="Always 'PointsReversed'.")


class PointsAdjusted(Envelope[PointsMovement]):
    """Points added or taken by hand, with the operator's note."""

    type: Literal["PointsAdjusted"] = Field(description="Always 'PointsAdjusted'.")


PointsFact = PointsEarned | PointsRedeemed | PointsExpired | PointsReversed | PointsAdjusted
