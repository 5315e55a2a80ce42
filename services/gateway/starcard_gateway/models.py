"""What the HTTP API accepts (request bodies) and returns (``XPublic``, ``XsPublic``).

Every number and text a request model accepts is bounded by the limits in
`starcard_events.limits`, the same the domain's ``check_*`` invariants and the event contracts
enforce. The models are lax Python models (the dashboard's forms build them from strings); the
API reads JSON into them strictly (`starcard_gateway.deps.read_strictly`). A limit the
domain refuses with its own words (a blank message, a malformed tag) is documented here in the
JSON Schema and enforced there, so the refusal says what to fix in the tenant's terms.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator
from starcard_events.bookings import ServiceKind
from starcard_events.envelope import TENANT_ID_PATTERN, BookingId, ClientId
from starcard_events.limits import (
    MAX_AMOUNT_MINOR,
    MAX_CODE_LENGTH,
    MAX_COUNT,
    MAX_EMAIL_LENGTH,
    MAX_MESSAGE_LENGTH,
    MAX_NAME_LENGTH,
    MAX_PERCENT,
    MAX_URL_LENGTH,
    MIN_PERCENT,
    MINUTES_PER_DAY,
    TEXT_PATTERN,
)
from starcard_events.money import Money
from starcard_events.money_format import format_money
from starcard_events.referral_facts import RefusalReason, Value
from starcard_loyalty.api import (
    KINDS,
    TAG,
    AttendanceMilestone,
    AttendanceSettings,
    IssuedReward,
    LoyaltyProgramme,
    Milestone,
    Quote,
    Redemption,
    Source,
)
from starcard_projections.attendance import (
    AttendanceCount,
    CheckInCount,
    ReachedMilestone,
    SegmentMember,
    TagCount,
)
from starcard_projections.loyalty import (
    ClientSummary,
    LoyalClient,
    LoyaltyCard,
    min_minutes_label,
)
from starcard_projections.referrals import CreditBanner, ReferralRow, ReferralSummary
from starcard_referrals.api import (
    EMAIL,
    URL,
    CodeQuote,
    CreditUse,
    Delivery,
    Link,
    ReferralSettings,
    RewardValue,
    Trigger,
    WelcomeRedemption,
)

from starcard_gateway.tenants import Tenant


class ErrorPublic(BaseModel):
    detail: str = Field(
        description="What went wrong, and what to change: a refused request names each field "
        "at fault and what it should be.",
        examples=["session_count: Input should be less than or equal to 100000 (got 250000)."],
    )


MAX_PAGE_SIZE = 200
"""The most rows one page of a list returns."""

MAX_OFFSET = MAX_COUNT * 100
"""The furthest a list can be paged: ten million rows, more than any tenant has clients."""


def _percent(description: str, example: int) -> Any:
    return Field(
        default=None, ge=MIN_PERCENT, le=MAX_PERCENT, description=description, examples=[example]
    )


class StatusPublic(BaseModel):
    status: str = Field(description="`ok` when alive, `ready` when the database answers.")


# -- loyalty settings ------------------------------------------------------------------------


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
    discount_percent: int | None = _percent(
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


# -- attendance milestones (studios) ---------------------------------------------------------

INCLUDES_THIS_CLASS = "Includes this class"


class AttendanceCounting(BaseModel):
    """What counts toward a client's attendance milestone (Settings, General Client Settings)."""

    model_config = ConfigDict(extra="forbid")

    source: Source = Field(
        description="The source of truth. `bookings` (the default): every booking counts. "
        "`check_ins`: only the classes the client checked in to (a completed appointment is "
        "attended). A cancelled booking never counts.",
        examples=["check_ins"],
    )
    kinds: list[ServiceKind] = Field(
        json_schema_extra={"minItems": 1},
        description="What to count, at least one: `group_class`, `appointment`, `video`. A "
        "check-in whose booking is not known counts as a `group_class`.",
        examples=[["group_class", "appointment"]],
    )

    @classmethod
    def from_settings(cls, settings: AttendanceSettings) -> AttendanceCounting:
        kinds = [ServiceKind(kind) for kind in KINDS if kind in settings.kinds]
        return cls(source=settings.source, kinds=kinds)


class AttendanceMilestoneFields(BaseModel):
    """An automation at a client's `count`th class: an email, a reward and/or a tag; at least
    one of them. Sent to add one (POST) or to change one (PUT)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "anyOf": [
                {"required": ["message"], "properties": {"message": {"type": "string"}}},
                {
                    "required": ["tag"],
                    "properties": {
                        "tag": {"type": "string"},
                        "discount_percent": {"type": "null"},
                    },
                },
            ]
        },
    )

    count: int = Field(
        ge=1,
        le=MAX_COUNT,
        description=f"The class that fires it: 10 for the 10th class (1 to {MAX_COUNT}).",
        examples=[10],
    )
    message: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_MESSAGE_LENGTH,
        json_schema_extra={"pattern": TEXT_PATTERN},
        description="The congratulations email the client receives; null for no email. Up to "
        f"{MAX_MESSAGE_LENGTH} characters, not blank, no control characters.",
        examples=["10 classes! Thank you for practising with us."],
    )
    discount_percent: int | None = _percent(
        "A reward: percent off, sent as a single-use code with the message (write one); null "
        "for none. It waits its turn behind a code the client has not used yet.",
        15,
    )
    tag: str | None = Field(
        default=None,
        json_schema_extra={"pattern": TAG.pattern},
        description="A tag that puts the client in a marketing segment: 1 to 50 lowercase "
        "letters, digits, spaces, '-' or '_', starting with a letter or digit; null for none.",
        examples=["ten-classes"],
    )


class AttendanceMilestonePublic(BaseModel):
    milestone_id: str = Field(description="The automation's id within the tenant's programme.")
    count: int = Field(description="The class that fires it.")
    message: str | None = Field(description="The congratulations email, or null.")
    discount_percent: int | None = Field(description="The reward's percent off, or null.")
    tag: str | None = Field(description="The tag it gives the client, or null.")
    active: bool = Field(description="Whether it fires; an inactive one fires for nobody.")

    @classmethod
    def from_domain(cls, milestone: AttendanceMilestone) -> AttendanceMilestonePublic:
        return cls(**asdict(milestone))


class AttendanceMilestonesPublic(BaseModel):
    data: list[AttendanceMilestonePublic] = Field(
        description="Every automation, active or not, lowest count first."
    )
    count: int = Field(description="How many automations there are.")

    @classmethod
    def from_programme(cls, programme: LoyaltyProgramme) -> AttendanceMilestonesPublic:
        ordered = sorted(
            programme.attendance_milestones.values(), key=lambda m: (m.count, m.milestone_id)
        )
        data = [AttendanceMilestonePublic.from_domain(milestone) for milestone in ordered]
        return cls(data=data, count=len(data))


class OriginalCount(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int = Field(
        ge=0,
        le=MAX_COUNT,
        description="The classes the client took before the business used Starcard; 0 clears "
        "it. Automations at or below it were passed before and do not fire.",
        examples=[49],
    )


class OriginalCountPublic(BaseModel):
    client_id: str = Field(description="The tenant's id for the client.")
    original: int = Field(description="The original count as it now stands.")
    total: int = Field(
        description="The client's milestone count: the original count plus what Starcard "
        "counted under the current settings.",
        examples=[50],
    )


class NextAttendanceMilestonePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    milestone_id: str = Field(description="The automation.")
    count: int = Field(description="The class that fires it.")
    to_go: int = Field(description="Classes after this one until it fires; 0: this is the one.")


class CheckInCountPublic(BaseModel):
    """One client's milestone on the class check-in screen."""

    client_id: str = Field(description="The tenant's id for the client.")
    booking_id: str = Field(description="The class booking asked about.")
    kind: ServiceKind = Field(
        description="The class's kind: its booking's when known, else the one asked about."
    )
    booking_known: bool = Field(
        description="Whether Starcard has seen this booking yet; if not, it is counted as a new "
        "class of `kind`."
    )
    count: int = Field(
        description="The client's milestone count, this class included when it counts, even "
        "before check-in. Checking in does not count it again.",
        examples=[10],
    )
    including_this_one: bool = Field(
        description="This class is in `count`. False when it will not count: cancelled, or of "
        "a kind the business does not count."
    )
    tooltip: str | None = Field(
        description=f'"{INCLUDES_THIS_CLASS}" when `including_this_one`; else null.',
        examples=[INCLUDES_THIS_CLASS],
    )
    next_milestone: NextAttendanceMilestonePublic | None = Field(
        description="The first active automation at or after `count` (the one this class "
        "fires when `to_go` is 0); null when there is none."
    )

    @classmethod
    def from_count(cls, client_id: str, booking_id: str, found: CheckInCount) -> CheckInCountPublic:
        upcoming = found.next_milestone
        return cls(
            client_id=client_id,
            booking_id=booking_id,
            kind=ServiceKind(found.kind),
            booking_known=found.booking_known,
            count=found.count,
            including_this_one=found.including_this_one,
            tooltip=INCLUDES_THIS_CLASS if found.including_this_one else None,
            next_milestone=None
            if upcoming is None
            else NextAttendanceMilestonePublic.model_validate(upcoming),
        )


class TagPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    tag: str = Field(description="The tag, as the automation gives it.")
    clients: int = Field(description="How many clients have it.")


class TagsPublic(BaseModel):
    data: list[TagPublic] = Field(description="Every tag given, alphabetically.")
    count: int = Field(description="How many tags there are.")

    @classmethod
    def from_tags(cls, tags: list[TagCount]) -> TagsPublic:
        return cls(data=[TagPublic.model_validate(tag) for tag in tags], count=len(tags))


class SegmentMemberPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    client_id: str = Field(description="The tenant's id for the client.")
    tagged_at: datetime = Field(description="When an automation gave them the tag.")


class SegmentPublic(BaseModel):
    tag: str = Field(description="The segment's tag.")
    data: list[SegmentMemberPublic] = Field(description="One page of its clients, by client id.")
    count: int = Field(description="How many clients have the tag in all.")

    @classmethod
    def from_page(cls, tag: str, members: list[SegmentMember], count: int) -> SegmentPublic:
        data = [SegmentMemberPublic.model_validate(member) for member in members]
        return cls(tag=tag, data=data, count=count)


# -- checkout --------------------------------------------------------------------------------

CODE_PATTERN = r"^ *[A-Za-z0-9][A-Za-z0-9-]* *$"
"""A discount code as typed at a till (normalised by `normalize_code`)."""


class CodeQuoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: ClientId = Field(description="The client paying.")
    code: str = Field(
        min_length=1,
        max_length=MAX_CODE_LENGTH,
        pattern=CODE_PATTERN,
        description="The code as given: letters, digits and '-' (case and surrounding spaces do "
        "not matter).",
        examples=["LOYAL-7KQ2M9XD"],
    )
    amount: Money = Field(description="The booking's price before the code.")


class CodeRedeemRequest(CodeQuoteRequest):
    booking_id: BookingId = Field(
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
    discount_percent: int | None = Field(
        description="Percent off; null for a referral welcome code worth a fixed amount."
    )
    discount_amount: Money | None = Field(
        default=None,
        exclude_if=lambda amount: amount is None,
        description="What a referral welcome code (`REF-...`) worth a fixed amount is worth; "
        "present on such a code only.",
    )
    discount: Money = Field(description="What the code takes off the amount.")
    total: Money = Field(description="What the client pays.")
    expires_at: datetime = Field(description="When the code lapses unused.")

    @classmethod
    def from_quote(cls, quote: Quote) -> CodeQuotePublic:
        return cls(**_priced(quote))

    @classmethod
    def from_welcome(cls, quote: CodeQuote) -> CodeQuotePublic:
        return cls(**_welcome_priced(quote))


class CodeRedemptionPublic(CodeQuotePublic):
    booking_id: str = Field(description="The booking the code was used on.")
    redeemed_at: datetime = Field(description="When it was redeemed (the first time).")
    next_reward: IssuedRewardPublic | None = Field(
        description="A loyalty reward that was waiting for this code to be used and has now "
        "fired (its code is on the client's card and in their email), or null."
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

    @classmethod
    def from_welcome_redemption(cls, redemption: WelcomeRedemption) -> CodeRedemptionPublic:
        return cls(
            **_welcome_priced(redemption),
            booking_id=redemption.booking_id,
            redeemed_at=redemption.redeemed_at,
            next_reward=None,
        )


def _money(amount_minor: int, currency: str) -> Money:
    return Money(amount_minor=amount_minor, currency=currency)


def _priced(quote: Quote | Redemption) -> dict[str, Any]:
    return {"discount_percent": quote.discount_percent, **_discounted(quote)}


def _welcome_priced(quote: CodeQuote) -> dict[str, Any]:
    worth = None if quote.amount_minor is None else _money(quote.amount_minor, quote.currency)
    return {"discount_percent": quote.percent, "discount_amount": worth, **_discounted(quote)}


def _discounted(quote: Quote | CodeQuote) -> dict[str, Any]:
    return {
        "code": quote.code,
        "discount": _money(quote.discount_minor, quote.currency),
        "total": _money(quote.total_minor, quote.currency),
        "expires_at": quote.expires_at,
    }


class CreditQuoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: ClientId = Field(description="The client paying, whose credit it is.")
    amount: Money = Field(description="The booking's price before credit.")


class CreditRedeemRequest(CreditQuoteRequest):
    booking_id: BookingId = Field(
        description="The booking the credit pays toward; redeeming again for it uses nothing "
        "more and answers the same.",
    )


class CreditPartPublic(BaseModel):
    credit_id: str = Field(description="The credit drawn on: one per referral that earned it.")
    amount: Money = Field(description="What it takes off this booking.")


class CreditQuotePublic(BaseModel):
    discount: Money = Field(
        description="What the client's referral credit takes off the amount: one percentage "
        "credit (rounded half up to the minor unit), then fixed credits of this currency, never "
        "more than the amount; zero when they have none."
    )
    total: Money = Field(description="What the client pays.")
    credits_used: list[CreditPartPublic] = Field(
        description="The credits it comes from, oldest first. What a fixed credit does not use "
        "stays for the next booking."
    )

    @classmethod
    def from_use(cls, use: CreditUse, amount: Money) -> CreditQuotePublic:
        return cls(**_credited(use, amount))


class CreditRedemptionPublic(CreditQuotePublic):
    booking_id: str = Field(description="The booking the credit was used on.")

    @classmethod
    def from_use(cls, use: CreditUse, amount: Money) -> CreditRedemptionPublic:
        return cls(**_credited(use, amount), booking_id=use.booking_id)


def _credited(use: CreditUse, amount: Money) -> dict[str, Any]:
    return {
        "discount": _money(use.amount_minor, use.currency),
        "total": _money(amount.amount_minor - use.amount_minor, use.currency),
        "credits_used": [
            CreditPartPublic(credit_id=credit_id, amount=_money(taken, use.currency))
            for credit_id, taken in use.parts
        ],
    }


# -- referral settings -----------------------------------------------------------------------


NULLABLE_SETTINGS = frozenset({"alert_email", "booking_page_url"})


class RewardAmount(Money):
    """A fixed reward: more than nothing."""

    amount_minor: StrictInt = Field(
        ge=0,
        le=MAX_AMOUNT_MINOR,
        json_schema_extra={"minimum": 1},
        description="Amount in the currency's minor unit, as a JSON integer, more than zero (e.g. "
        "1000 for GBP 10.00).",
    )


class RewardChange(Value):
    """What a referral earns: a fixed amount (more than zero) or a percentage off."""

    amount: RewardAmount | None = Field(default=None, description="A fixed amount off.")


def _never_null(schema: dict[str, Any]) -> None:
    """Document a field that may be left out but not sent as null (the model refuses null)."""
    branches = [branch for branch in schema.pop("anyOf", []) if branch.get("type") != "null"]
    schema.pop("default", None)
    if len(branches) == 1:
        schema.update(branches[0])
    else:
        schema["anyOf"] = branches


class ReferralSettingsChange(BaseModel):
    """Only the fields sent change; the rest stay as they are. A field that cannot be unset
    (all but `alert_email` and `booking_page_url`) refuses null."""

    model_config = ConfigDict(extra="forbid")

    reward: RewardChange | None = Field(
        default=None,
        json_schema_extra=_never_null,
        description='What a referral earns: `{"amount": Money}` for a fixed amount off or '
        '`{"percent": 10}` for a percentage off.',
        examples=[{"amount": {"amount_minor": 1000, "currency": "GBP"}}, {"percent": 10}],
    )
    trigger: Trigger | None = Field(
        default=None,
        json_schema_extra=_never_null,
        description="When the referrer is rewarded: at the referred client's first booking, or "
        "once their first paid appointment is completed.",
    )
    reward_referred: bool | None = Field(
        default=None,
        json_schema_extra=_never_null,
        description="Whether the referred client also gets a single-use `REF-` code worth the "
        "same, as soon as they book.",
    )
    delivery: Delivery | None = Field(
        default=None,
        json_schema_extra=_never_null,
        description="`credit`: the reward is credited to the referrer automatically. `alert`: "
        "the business is emailed to reward them by hand (needs `alert_email`).",
    )
    alert_email: str | None = Field(
        default=None,
        max_length=MAX_EMAIL_LENGTH,
        pattern=EMAIL.pattern,
        description="Where alerts go; null to clear it (not while delivery is `alert`).",
        examples=["owner@example.com"],
    )
    booking_page_url: str | None = Field(
        default=None,
        max_length=MAX_URL_LENGTH,
        pattern=URL.pattern,
        description="The business's booking page: clients' referral links point to it with "
        "`?ref=<code>`. Null until set, and clients' links have no URL meanwhile.",
        examples=["https://book.example.com/anna-massage"],
    )

    @model_validator(mode="after")
    def _no_null_for_what_cannot_be_unset(self) -> Self:
        for name in sorted(self.model_fields_set - NULLABLE_SETTINGS):
            if getattr(self, name) is None:
                msg = f"{name} cannot be null: leave it out to keep it as it is."
                raise ValueError(msg)
        return self

    def changes(self) -> dict[str, Any]:
        """The fields sent, as `ReferralSettings` values; raises `InvalidSettings`."""
        changes = {name: getattr(self, name) for name in self.model_fields_set}
        if self.reward is not None:
            changes["reward"] = _reward_value(self.reward)
        return changes


def _reward_value(value: Value) -> RewardValue:
    amount = value.amount
    return RewardValue(
        amount_minor=None if amount is None else amount.amount_minor,
        currency=None if amount is None else amount.currency,
        percent=value.percent,
    )


def _reward_public(reward: RewardValue) -> Value:
    amount = None
    if reward.amount_minor is not None and reward.currency is not None:
        amount = _money(reward.amount_minor, reward.currency)
    return Value(amount=amount, percent=reward.percent)


class ReferralSettingsPublic(BaseModel):
    reward: Value = Field(description="What a referral earns: an amount off or a percentage off.")
    trigger: Trigger = Field(description="When the referrer is rewarded.")
    reward_referred: bool = Field(
        description="Whether the referred client also gets a single-use `REF-` code."
    )
    delivery: Delivery = Field(description="Credit to the referrer, or an alert to the business.")
    alert_email: str | None = Field(description="Where alerts go, or null.")
    booking_page_url: str | None = Field(
        description="The booking page clients' links point to; null until set."
    )

    @classmethod
    def from_settings(cls, settings: ReferralSettings) -> ReferralSettingsPublic:
        return cls(
            reward=_reward_public(settings.reward),
            trigger=settings.trigger,
            reward_referred=settings.reward_referred,
            delivery=settings.delivery,
            alert_email=settings.alert_email,
            booking_page_url=settings.booking_page_url,
        )


# -- referral queries ------------------------------------------------------------------------

Stage = Literal["invited", "booked", "completed", "refused"]
Colour = Literal["red", "amber", "green", "grey"]


class ReferralPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    referred_client_id: str | None = Field(
        description="The referred client, once they booked; null while only invited."
    )
    visitor_id: str | None = Field(description="The booking page's visitor, while only invited.")
    stage: Stage = Field(description="Where the referral stands; `refused` made no referral.")
    colour: Colour = Field(
        description="The dashboard's dot: red invited, amber booked, green completed, grey refused."
    )
    invited_at: datetime | None = Field(description="When they followed the link.")
    booked_at: datetime | None = Field(description="When they booked through it.")
    completed_at: datetime | None = Field(description="When their first paid visit was done.")
    refusal_reason: RefusalReason | None = Field(
        description="Why no referral was made (own link, already a client, already referred); "
        "null unless refused."
    )


class ClientReferralsPublic(BaseModel):
    link_code: str | None = Field(
        description="The client's referral code; null until they first open their portal."
    )
    data: list[ReferralPublic] = Field(
        description="Everyone who came through the client's link, most recent first."
    )
    count: int = Field(description="How many there are.")

    @classmethod
    def from_rows(cls, link_code: str | None, rows: list[ReferralRow]) -> ClientReferralsPublic:
        data = [ReferralPublic.model_validate(row) for row in rows]
        return cls(link_code=link_code, data=data, count=len(data))


class ReferralSummaryPublic(BaseModel):
    invited: int = Field(description="Visitors through a link who have not booked (yet).")
    booked: int = Field(description="Referrals at the booked stage.")
    completed: int = Field(description="Referrals completed.")
    refused: int = Field(description="Bookings through a link that made no referral.")
    referrers: int = Field(
        description="Clients whose link brought anyone: an invitation, a referral or a refused "
        "booking (their own visits aside)."
    )
    credits_issued: int = Field(description="Credits given to referrers.")
    credit_amounts_issued: list[Money] = Field(
        description="Fixed-amount credit given, by currency."
    )
    credit_amounts_used: list[Money] = Field(
        description="Credit taken off bookings, by currency (percentage credits' share included)."
    )
    rewards_alerted: int = Field(description="Rewards the business was alerted to give by hand.")
    welcome_codes_issued: int = Field(description="`REF-` codes given to referred clients.")
    welcome_codes_redeemed: int = Field(description="`REF-` codes used at checkout.")
    booking_rate: float | None = Field(
        description="Share of referrals (invited, booked or completed) that booked, 0 to 1; "
        "null before anyone was referred."
    )
    completion_rate: float | None = Field(
        description="Share of referrals that completed, 0 to 1; null before anyone was referred."
    )

    @classmethod
    def from_summary(cls, summary: ReferralSummary) -> ReferralSummaryPublic:
        return cls(
            **asdict(summary)
            | {
                "credit_amounts_issued": _amounts(summary.credit_amounts_issued),
                "credit_amounts_used": _amounts(summary.credit_amounts_used),
            }
        )


def _amounts(by_currency: dict[str, int]) -> list[Money]:
    return [_money(amount, currency) for currency, amount in sorted(by_currency.items())]


# -- client portal ---------------------------------------------------------------------------

DEFAULT_PORTAL_TTL_MINUTES = 7 * 24 * 60
MAX_PORTAL_TTL_MINUTES = 30 * 24 * 60
NO_BOOKING_PAGE_HINT = (
    "No link yet: it appears once the business sets its booking page (booking_page_url in its "
    "referral settings)."
)


class PortalTokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: ClientId = Field(
        description="The client the token is for: the platform's client id (letters, digits, "
        "'_', '.', '-'; up to 128 characters), as in the booking events."
    )
    ttl_minutes: int = Field(
        default=DEFAULT_PORTAL_TTL_MINUTES,
        ge=1,
        le=MAX_PORTAL_TTL_MINUTES,
        description="How long the token works, in minutes: 7 days unless given, 30 days at most.",
        examples=[DEFAULT_PORTAL_TTL_MINUTES],
    )


class PortalTokenPublic(BaseModel):
    token: str = Field(
        description="The client's portal token, for `Authorization: Bearer <token>` on "
        "`/v1/portal` routes. It opens that client's portal only, never the tenant's API."
    )
    expires_at: datetime = Field(description="When the token stops working.")
    portal_url: str | None = Field(
        description="The portal's address with the token in its fragment, to send the client; "
        "null when the gateway has no `STARCARD_PORTAL_URL`."
    )


class ReferralLinkPublic(BaseModel):
    code: str = Field(description="The client's referral code, the same every time.")
    url: str | None = Field(
        description="The link to share: the business's booking page with `?ref=<code>`; null "
        "until the business sets its booking page."
    )
    hint: str | None = Field(description="Why `url` is null, when it is; else null.")

    @classmethod
    def from_link(cls, link: Link) -> ReferralLinkPublic:
        hint = NO_BOOKING_PAGE_HINT if link.url is None else None
        return cls(code=link.code, url=link.url, hint=hint)


class PortalReferralPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    stage: Literal["invited", "booked", "completed"] = Field(
        description="How far the friend got: invited, booked, completed."
    )
    colour: Literal["red", "amber", "green"] = Field(
        description="Its dot: red invited, amber booked, green completed."
    )


class CreditBannerPublic(BaseModel):
    amounts: list[Money] = Field(description="Fixed credit left, by currency.")
    percents: list[int] = Field(description="Unused percentage credits, oldest first.")
    text: str = Field(
        description="The banner as the client reads it.",
        examples=["You have £10.00 credit — it will be applied at your next booking"],
    )

    @classmethod
    def from_banner(cls, banner: CreditBanner) -> CreditBannerPublic:
        amounts = _amounts(banner.amounts)
        parts = [format_money(m.amount_minor, m.currency) for m in amounts]
        credits = [f"{_and(parts)} credit"] if parts else []
        if banner.percents:
            credits.append(f"{_and([f'{percent}%' for percent in banner.percents])} off")
        when = (
            "it will be applied at your next booking"
            if len(parts) + len(banner.percents) == 1
            else "they will be applied from your next booking"
        )
        return cls(
            amounts=amounts, percents=banner.percents, text=f"You have {_and(credits)} — {when}"
        )


def _and(items: list[str]) -> str:
    """The items as a sentence lists them: "a", "a and b", "a, b and c"."""
    return " and ".join([", ".join(items[:-1]), items[-1]]) if len(items) > 1 else items[0]


class PortalReferralsPublic(BaseModel):
    link: ReferralLinkPublic = Field(description="The client's own referral link.")
    referrals: list[PortalReferralPublic] = Field(
        description="The friends who came through it, most recent first."
    )
    credit_banner: CreditBannerPublic | None = Field(
        description="The client's unused referral credit; null when they have none."
    )
    count: int = Field(description="How many people came through the link.")
    pending_rewards: int = Field(
        description="Referrals that will earn the client a reward once the friend's first paid "
        "visit is done (booked, not completed yet, when the programme rewards on completion)."
    )

    @classmethod
    def from_parts(
        cls,
        link: Link,
        rows: list[ReferralRow],
        banner: CreditBanner | None,
        settings: ReferralSettings,
    ) -> PortalReferralsPublic:
        on_completion = settings.trigger is Trigger.FIRST_COMPLETED
        return cls(
            link=ReferralLinkPublic.from_link(link),
            referrals=[PortalReferralPublic.model_validate(row) for row in rows],
            credit_banner=None if banner is None else CreditBannerPublic.from_banner(banner),
            count=len(rows),
            pending_rewards=sum(1 for row in rows if row.stage == "booked") if on_completion else 0,
        )


# -- operator --------------------------------------------------------------------------------


class TenantCreate(BaseModel):
    """A tenant's name, and its id unless the id is to be made from the name (which then needs
    a letter or digit of the Latin alphabet)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "anyOf": [
                {"required": ["tenant_id"], "properties": {"tenant_id": {"type": "string"}}},
                {"properties": {"name": {"pattern": "[A-Za-z0-9]"}}},
            ]
        },
    )

    name: str = Field(
        min_length=1,
        max_length=MAX_NAME_LENGTH,
        pattern=TEXT_PATTERN,
        description="The business's name.",
        examples=["Anna Massage"],
    )
    tenant_id: str | None = Field(
        default=None,
        json_schema_extra={"pattern": TENANT_ID_PATTERN},
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
