"""Facts Starcard publishes for booking platforms (`starcard.loyalty.v1`), keyed by client.

Platforms react to these without polling (show a star, print a code on the receipt). Each carries
the ``event_id`` of the aggregate event it comes from: consumers dedupe by it.
"""

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints

from starcard_events.envelope import BookingId, ClientId, Envelope, ExternalId
from starcard_events.limits import MAX_COUNT, MAX_PERCENT, MIN_PERCENT
from starcard_events.package_facts import PackageFact
from starcard_events.points_facts import PointsFact
from starcard_events.tier_facts import TierChanged
from starcard_events.wire import WireModel

Code = Annotated[str, StringConstraints(pattern=r"^[A-Z]+-[A-Z0-9]{8}$")]


class Visit(WireModel):
    client_id: ClientId = Field(description="The client.")
    booking_id: BookingId = Field(description="The completed booking.")
    minutes: int = Field(ge=0, description="The visit's length (back-to-back parts summed).")


class Milestone(WireModel):
    client_id: ClientId = Field(description="The client.")
    milestone_id: ExternalId = Field(description="The tenant's milestone.")
    session_count: int = Field(ge=1, le=MAX_COUNT, description="The visit number that reached it.")


class Reward(WireModel):
    client_id: ClientId = Field(description="The client.")
    milestone_id: ExternalId = Field(description="The milestone it rewards.")
    code: Code | None = Field(description="The single-use code, if the reward has a discount.")
    discount_percent: int | None = Field(
        ge=MIN_PERCENT, le=MAX_PERCENT, description="Percentage off."
    )
    expires_at: AwareDatetime | None = Field(description="When the code stops working.")


class Redemption(WireModel):
    client_id: ClientId = Field(description="The client.")
    code: Code = Field(description="The code redeemed.")
    booking_id: BookingId = Field(description="The booking it was redeemed on.")


class StarEarned(Envelope[Visit]):
    """A completed visit counted as a star under the tenant's rules at the time."""

    type: Literal["StarEarned"] = Field(description="Always 'StarEarned'.")


class MilestoneReached(Envelope[Milestone]):
    """A client's count reached a milestone (once per client and milestone)."""

    type: Literal["MilestoneReached"] = Field(description="Always 'MilestoneReached'.")


class RewardIssued(Envelope[Reward]):
    """A reward fired: the email is on its way and the code, if any, is valid."""

    type: Literal["RewardIssued"] = Field(description="Always 'RewardIssued'.")


class RewardRedeemed(Envelope[Redemption]):
    """A reward's code was used at checkout or on a booking."""

    type: Literal["RewardRedeemed"] = Field(description="Always 'RewardRedeemed'.")


LoyaltyFact = (
    StarEarned
    | MilestoneReached
    | RewardIssued
    | RewardRedeemed
    | PointsFact
    | TierChanged
    | PackageFact
)
"""Everything on ``starcard.loyalty.v1``: stars, milestones, rewards, points movements, tier
changes and package balances."""
