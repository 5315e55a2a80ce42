"""Tier facts Starcard publishes for booking platforms (`starcard.loyalty.v1`), keyed by client.

A client's membership tier moves up when the spend in the rolling window reaches a tier, and down
when purchases age out of the window or a refund takes the spend below what the tier needs. Each
fact carries the ``event_id`` of the membership event it comes from: consumers dedupe by it.
"""

import datetime as dt
from typing import Literal

from pydantic import Field

from starcard_events.envelope import ClientId, Envelope, ExternalId
from starcard_events.money import Money
from starcard_events.wire import WireModel

TierReason = Literal[
    "spend_reached",
    "spend_left_window",
    "refunded",
    "keep_period_ended",
    "settings_changed",
    "corrected",
]
"""Why the tier moved: the spend reached it; purchases left the window; a refund; the hold of a
tier whose spend had fallen short ended (its keep period, or the time after a one-tier drop); the
business changed its thresholds; or a purchase or refund reported late showed an earlier change
never happened."""


class TierChange(WireModel):
    """A client's move from one tier to another."""

    client_id: ClientId = Field(description="The client.")
    from_tier: ExternalId = Field(description="The tier the client had (the tenant's tier id).")
    to_tier: ExternalId = Field(description="The tier the client has now.")
    direction: Literal["up", "down"] = Field(description="Whether it is an upgrade or a drop.")
    reason: TierReason = Field(description="Why the tier moved.")
    spend: Money = Field(description="The client's spend in the rolling window after it.")
    drops_on: dt.date | None = Field(
        default=None,
        description="The day the new tier drops unless the client spends more (none: it cannot).",
    )


class TierChanged(Envelope[TierChange]):
    """A client's membership tier went up or down."""

    type: Literal["TierChanged"] = Field(description="Always 'TierChanged'.")
