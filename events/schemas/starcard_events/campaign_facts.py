"""Campaign facts Starcard publishes (`starcard.campaigns.v1`), keyed by client.

A campaign decides a reward another service gives: a birthday or anniversary reward of bonus
points is granted by the loyalty service, which keeps the client's points account. The fact names
the offer that decided it, so however often it is published (a relay restarted after a crash
publishes it again), the points are granted once.
"""

from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field, StringConstraints

from starcard_events.envelope import ClientId, Envelope
from starcard_events.wire import WireModel

PointsCampaign = Literal["birthday", "anniversary"]
"""The campaigns whose reward may be bonus points (re-engagement's is always a booking offer)."""


class CampaignPointsGrant(WireModel):
    """Bonus points a campaign's offer gives a client."""

    offer_id: UUID = Field(
        description=(
            "The campaign's offer (one per campaign, client and occasion): the grant's id, so the "
            "points are granted once however often the fact arrives."
        )
    )
    client_id: ClientId = Field(description="The client the points are for.")
    campaign: PointsCampaign = Field(description="The campaign whose reward it is.")
    occasion: Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")] = Field(
        description="The year of the birthday or anniversary celebrated, e.g. '2027'."
    )


class CampaignPointsGranted(Envelope[CampaignPointsGrant]):
    """A campaign rewarded a client with bonus points: the business's points programme grants
    its bonus for other programmes (none while points are off), dated ``occurred_at`` (the moment
    the offer was decided)."""

    type: Literal["CampaignPointsGranted"] = Field(description="Always 'CampaignPointsGranted'.")
