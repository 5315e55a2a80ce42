"""What the HTTP API accepts (request bodies) and returns (``XPublic``, ``XsPublic``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from starcard_events.money import Money
from starcard_loyalty.application import Quote, Redemption
from starcard_loyalty.domain.client import IssuedReward
from starcard_loyalty.domain.counting import Milestone
from starcard_loyalty.domain.programme import MAX_MESSAGE_LENGTH, LoyaltyProgramme
from starcard_projections.loyalty import LoyalClient, LoyaltyCard, min_minutes_label

from starcard_gateway.tenants import Tenant


class ErrorPublic(BaseModel):
    detail: str = Field(description="What went wrong, and what to change.")


class StatusPublic(BaseModel):
    status: str = Field(description="`ok` when alive, `ready` when the database answers.")


# -- loyalty settings ------------------------------------------------------------------------


class MilestoneFields(BaseModel):
    """What a tenant sets on a milestone, when adding it (POST) or editing it (PUT)."""

    model_config = ConfigDict(extra="forbid")

    session_count: int = Field(
        ge=1,
        description="The qualifying session that triggers the reward, e.g. 5 for the 5th.",
        examples=[5],
    )
    message: str = Field(
        min_length=1,
        max_length=MAX_MESSAGE_LENGTH,
        description="The personal note the client receives.",
        examples=["Thank you for your 5th visit!"],
    )
    discount_percent: int | None = Field(
        default=None,
        ge=1,
        le=100,
        description="Percent off the next booking, sent as a single-use code; null for none.",
        examples=[10],
    )
    min_minutes: int = Field(
        default=0,
        ge=0,
        description="Only sessions of at least this many minutes count toward it; 0 means any.",
        examples=[60],
    )


class MilestoneActivity(BaseModel):
    model_config = ConfigDict(extra="forbid")

    active: bool = Field(
        description="Whether the milestone fires; an inactive one fires for nobody."
    )


class CountDiscountedSessions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(
        description="On: every completed appointment counts, however it was discounted. "
        "Off (the default): only full-price sessions count."
    )


class MilestonePublic(BaseModel):
    milestone_id: str = Field(description="The milestone's id within the tenant's programme.")
    session_count: int = Field(description="The qualifying session that triggers the reward.")
    message: str = Field(description="The personal note the client receives.")
    discount_percent: int | None = Field(description="Percent off the next booking, or null.")
    min_minutes: int = Field(description="Minimum session length that counts; 0 means any.")
    min_minutes_label: str | None = Field(
        description='The amber pill shown in the list, e.g. "60+ min"; null when any length counts.'
    )
    active: bool = Field(description="Whether the milestone fires.")

    @classmethod
    def from_domain(cls, milestone: Milestone) -> MilestonePublic:
        return cls(
            milestone_id=milestone.milestone_id,
            session_count=milestone.session_count,
            message=milestone.message,
            discount_percent=milestone.discount_percent,
            min_minutes=milestone.min_minutes,
            min_minutes_label=min_minutes_label(milestone.min_minutes),
            active=milestone.active,
        )


def _listed(programme: LoyaltyProgramme) -> list[MilestonePublic]:
    """Active or not, in the order clients reach them: fewest sessions, then shortest minimum."""
    ordered = sorted(
        programme.milestones.values(),
        key=lambda m: (m.session_count, m.min_minutes, m.milestone_id),
    )
    return [MilestonePublic.from_domain(milestone) for milestone in ordered]


class MilestonesPublic(BaseModel):
    data: list[MilestonePublic] = Field(
        description="Every milestone, in the order clients reach them."
    )
    count: int = Field(description="How many milestones there are.")

    @classmethod
    def from_programme(cls, programme: LoyaltyProgramme) -> MilestonesPublic:
        milestones = _listed(programme)
        return cls(data=milestones, count=len(milestones))


class LoyaltySettingsPublic(BaseModel):
    count_discounted_sessions: bool = Field(
        description='The "Count membership and package sessions" toggle.'
    )
    milestones: list[MilestonePublic] = Field(
        description="Every milestone, in the order clients reach them."
    )

    @classmethod
    def from_programme(cls, programme: LoyaltyProgramme) -> LoyaltySettingsPublic:
        return cls(
            count_discounted_sessions=programme.count_discounted_sessions,
            milestones=_listed(programme),
        )


class CountDiscountedSessionsPublic(BaseModel):
    count_discounted_sessions: bool = Field(description="The toggle as it now stands.")


# -- loyalty queries -------------------------------------------------------------------------


class LoyalClientPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    client_id: str = Field(description="The tenant's id for the client.")
    stars: int = Field(description="Qualifying visits under the tenant's counting rules.")
    sessions: int = Field(description="Completed visits, qualifying or not.")
    last_visit_at: datetime | None = Field(description="When the latest visit happened.")
    outstanding_reward: bool = Field(
        description="The client holds an unused, unexpired reward code: worth a nudge to come "
        "back and use it."
    )


class LoyalClientsPublic(BaseModel):
    data: list[LoyalClientPublic] = Field(description="One page of clients, most loyal first.")
    count: int = Field(description="How many clients the tenant has in all.")

    @classmethod
    def from_page(cls, clients: list[LoyalClient], count: int) -> LoyalClientsPublic:
        return cls(data=[LoyalClientPublic.model_validate(c) for c in clients], count=count)


class ClientSummaryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    client_id: str = Field(description="The tenant's id for the client.")
    sessions: int = Field(description="Completed visits, qualifying or not.")
    stars: int = Field(description='Qualifying visits: the number on the "X stars" pill.')
    show_stars_pill: bool = Field(
        description="Whether to show the pill: only while the tenant has an active milestone."
    )


class NextRewardPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    milestone_id: str = Field(description="The milestone the client is working toward.")
    stars: int = Field(description="Gold stars stamped toward it (at most `circles`).")
    circles: int = Field(description="Places on the card; the reward sits on the last one.")
    to_go: int = Field(description="Empty circles: qualifying sessions still needed.")
    reward_label: str = Field(
        description='What the last circle shows: "10% off", or the start of the message.',
        examples=["10% off"],
    )
    min_minutes_label: str | None = Field(
        description='"60+ min" when only sessions that long count toward it; else null.'
    )
    sessions_to_go_text: str = Field(
        description="The line under the circles.", examples=["3 more 60+ min sessions to go"]
    )


class OutstandingRewardPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str = Field(description="The single-use code to give at checkout.")
    discount_percent: int = Field(description="Percent off the booking it is used on.")
    expires_at: datetime = Field(description="Unused by then, the code lapses.")
    message: str = Field(description="The tenant's personal note that came with it.")


class LoyaltyCardPublic(BaseModel):
    """The card on the client's dashboard: stars toward the next reward, or the code to use."""

    model_config = ConfigDict(from_attributes=True)

    client_id: str = Field(description="The tenant's id for the client.")
    total_stars: int = Field(description="Every qualifying visit, as on the stars pill.")
    next_reward: NextRewardPublic | None = Field(
        description="Progress toward the next reward; null once every reward is earned."
    )
    all_rewards_earned: bool = Field(
        description="The client has reached every active milestone: nothing left to count toward."
    )
    outstanding: OutstandingRewardPublic | None = Field(
        description="The one unused code, when there is one: the card flips to show it until it "
        "is used. Rewards earned meanwhile wait their turn and fire when it is used."
    )

    @classmethod
    def from_card(cls, card: LoyaltyCard) -> LoyaltyCardPublic:
        return cls.model_validate(card)


# -- checkout --------------------------------------------------------------------------------


class CodeQuoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: str = Field(min_length=1, description="The client paying.")
    code: str = Field(
        min_length=1, max_length=64, description="The code as given.", examples=["LOYAL-7KQ2M9XD"]
    )
    amount: Money = Field(description="The booking's price before the code.")


class CodeRedeemRequest(CodeQuoteRequest):
    booking_id: str = Field(
        min_length=1,
        description="The booking the code pays toward; redeeming again for it is a no-op that "
        "answers the same.",
    )


class IssuedRewardPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    milestone_id: str = Field(description="The milestone it rewards.")
    message: str = Field(description="The tenant's personal note.")
    discount_percent: int | None = Field(description="Percent off, or null for a message only.")
    code: str | None = Field(description="The new single-use code, or null for a message only.")
    issued_at: datetime = Field(description="When it fired.")
    expires_at: datetime | None = Field(description="When the code lapses unused.")


class CodeQuotePublic(BaseModel):
    code: str = Field(description="The code quoted.")
    discount_percent: int = Field(description="Percent off.")
    discount: Money = Field(description="What the code takes off the amount.")
    total: Money = Field(description="What the client pays.")
    expires_at: datetime = Field(description="When the code lapses unused.")

    @classmethod
    def from_quote(cls, quote: Quote) -> CodeQuotePublic:
        return cls(**_priced(quote))


class CodeRedemptionPublic(CodeQuotePublic):
    booking_id: str = Field(description="The booking the code was used on.")
    redeemed_at: datetime = Field(description="When it was redeemed (the first time).")
    next_reward: IssuedRewardPublic | None = Field(
        description="A reward that was waiting for this code to be used and has now fired "
        "(its code is on the client's card and in their email), or null."
    )

    @classmethod
    def from_redemption(cls, redemption: Redemption) -> CodeRedemptionPublic:
        next_reward: IssuedReward | None = redemption.next_reward
        return cls(
            **_priced(redemption),
            booking_id=redemption.booking_id,
            redeemed_at=redemption.redeemed_at,
            next_reward=None
            if next_reward is None
            else IssuedRewardPublic.model_validate(next_reward),
        )


def _priced(quote: Quote | Redemption) -> dict[str, Any]:
    return {
        "code": quote.code,
        "discount_percent": quote.discount_percent,
        "discount": Money(amount_minor=quote.discount_minor, currency=quote.currency),
        "total": Money(amount_minor=quote.total_minor, currency=quote.currency),
        "expires_at": quote.expires_at,
    }


# -- operator --------------------------------------------------------------------------------


class TenantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, description="The business's name.")
    tenant_id: str | None = Field(
        default=None,
        description="Lowercase letters, digits, '-' and '_'; derived from the name when omitted.",
        examples=["anna-massage"],
    )


class TenantPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    tenant_id: str = Field(description="The tenant's id, carried by every record and key.")
    name: str = Field(description="The business's name.")
    created_at: datetime = Field(description="When the tenant was registered.")


class TenantsPublic(BaseModel):
    data: list[TenantPublic] = Field(description="Every tenant, by id.")
    count: int = Field(description="How many tenants there are.")

    @classmethod
    def from_tenants(cls, tenants: list[Tenant]) -> TenantsPublic:
        return cls(data=[TenantPublic.model_validate(t) for t in tenants], count=len(tenants))


class ApiKeyPublic(BaseModel):
    tenant_id: str = Field(description="The tenant the key speaks for.")
    api_key: str = Field(
        description="Send as `Authorization: Bearer <key>`. Shown once: only its hash is kept."
    )


class TenantCreatedPublic(BaseModel):
    tenant: TenantPublic = Field(description="The new tenant.")
    api_key: str = Field(
        description="The tenant's first API key. Shown once: only its hash is kept."
    )

    @classmethod
    def from_created(cls, tenant: Tenant, api_key: str) -> TenantCreatedPublic:
        return cls(tenant=TenantPublic.model_validate(tenant), api_key=api_key)
