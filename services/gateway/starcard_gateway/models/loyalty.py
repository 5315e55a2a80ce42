"""The loyalty router's models: milestones and the counting toggle (the Settings page), the
most-loyal list, a client's profile summary, and the loyalty card (which the client portal shows
too)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from starcard_events.limits import MAX_COUNT, MAX_MESSAGE_LENGTH, MINUTES_PER_DAY, TEXT_PATTERN
from starcard_loyalty.api import LoyaltyProgramme, Milestone
from starcard_projections.attendance import AttendanceCount, ReachedMilestone
from starcard_projections.loyalty import ClientSummary, LoyalClient, LoyaltyCard, min_minutes_label

from starcard_gateway.models.common import optional_percent


class MilestoneFields(BaseModel):
    """What a tenant sets on a milestone, when adding it (POST) or editing it (PUT)."""

    model_config = ConfigDict(extra="forbid")

    session_count: int = Field(
        ge=1,
        le=MAX_COUNT,
        description=f"The qualifying session that triggers the reward, e.g. 5 for the 5th (1 to "
        f"{MAX_COUNT}).",
        examples=[5],
    )
    message: str = Field(
        min_length=1,
        max_length=MAX_MESSAGE_LENGTH,
        json_schema_extra={"pattern": TEXT_PATTERN},
        description=f"The personal note the client receives: up to {MAX_MESSAGE_LENGTH} "
        "characters, not blank, no control characters (line breaks are fine).",
        examples=["Thank you for your 5th visit!"],
    )
    discount_percent: int | None = optional_percent(
        "Percent off the next booking, sent as a single-use code; null for none.", 10
    )
    min_minutes: int = Field(
        default=0,
        ge=0,
        le=MINUTES_PER_DAY,
        description="Only sessions of at least this many minutes count toward it; 0 means any "
        f"(at most {MINUTES_PER_DAY}, a day).",
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


class ReachedMilestonePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    milestone_id: str = Field(description="The automation that fired.")
    count: int = Field(description="Its class count, when it fired.")
    reached_at: datetime = Field(description="When it fired.")


class AttendancePublic(BaseModel):
    total: int = Field(description="The milestone count shown near the top of the profile.")
    original: int = Field(description="Classes before Starcard, as entered for the client.")
    counted: int = Field(description="Classes Starcard counted under the current settings.")
    milestones_reached: list[ReachedMilestonePublic] = Field(
        description="The automations that fired for the client, lowest count first."
    )


class ClientSummaryPublic(BaseModel):
    """A client's profile: the "X stars" pill, and their attendance milestone and tags."""

    client_id: str = Field(description="The tenant's id for the client.")
    sessions: int = Field(description="Completed visits, qualifying or not.")
    stars: int = Field(description='Qualifying visits: the number on the "X stars" pill.')
    show_stars_pill: bool = Field(
        description="Whether to show the pill: only while the tenant has an active milestone."
    )
    attendance: AttendancePublic = Field(description="The client's attendance milestone.")
    tags: list[str] = Field(
        description="The tags attendance automations gave the client, alphabetically."
    )

    @classmethod
    def from_parts(
        cls,
        summary: ClientSummary,
        count: AttendanceCount,
        reached: list[ReachedMilestone],
        tags: list[str],
    ) -> ClientSummaryPublic:
        attendance = AttendancePublic(
            total=count.total,
            original=count.original,
            counted=count.counted,
            milestones_reached=[ReachedMilestonePublic.model_validate(r) for r in reached],
        )
        return cls(**asdict(summary), attendance=attendance, tags=tags)


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
