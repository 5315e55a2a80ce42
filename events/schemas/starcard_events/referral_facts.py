"""Facts Starcard publishes about referrals (`starcard.referrals.v1`), keyed by client.

Stage changes and refusals are keyed by the referring client (they are rows of their board),
credits by the client who holds them, welcome codes by the referred client. Each carries the
``event_id`` of the aggregate event it comes from: consumers dedupe by it.
"""

from enum import StrEnum
from typing import Literal, Self

from pydantic import AwareDatetime, Field, model_validator

from starcard_events.envelope import BookingId, ClientId, Envelope, ExternalId
from starcard_events.facts import Code
from starcard_events.limits import MAX_PERCENT, MIN_PERCENT
from starcard_events.money import Money
from starcard_events.referrals import ReferralCode
from starcard_events.wire import WireModel


class ReferralStage(StrEnum):
    """Where a referral stands; it only ever moves forward."""

    INVITED = "invited"
    BOOKED = "booked"
    COMPLETED = "completed"


class RefusalReason(StrEnum):
    """Why a booking through a referral link made no referral."""

    SELF_REFERRAL = "self_referral"
    EXISTING_CLIENT = "existing_client"
    ALREADY_REFERRED = "already_referred"


class Value(WireModel):
    """A reward's size: a fixed amount off, or a percentage off; exactly one of the two."""

    amount: Money | None = Field(default=None, description="A fixed amount off.")
    percent: int | None = Field(
        default=None, ge=MIN_PERCENT, le=MAX_PERCENT, description="A percentage off."
    )

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        if (self.amount is None) == (self.percent is None):
            msg = "a value is an amount or a percent, exactly one of them"
            raise ValueError(msg)
        return self


class StageChange(WireModel):
    referrer_client_id: ClientId = Field(description="The client whose link it was.")
    referral_code: ReferralCode = Field(description="The link's code.")
    stage: ReferralStage = Field(description="The stage reached.")
    referred_client_id: ClientId | None = Field(
        description="The referred client, once they booked (none while only invited)."
    )
    visitor_id: ExternalId | None = Field(description="The visitor, while only invited.")


class Refusal(WireModel):
    referrer_client_id: ClientId = Field(description="The client whose link was used.")
    referral_code: ReferralCode = Field(description="The link's code.")
    referred_client_id: ClientId = Field(description="The client who booked through it.")
    booking_id: BookingId = Field(description="The booking that made no referral.")
    reason: RefusalReason = Field(description="Why no referral was made.")


class Credit(WireModel):
    client_id: ClientId = Field(description="The client who holds the credit.")
    credit_id: ExternalId = Field(description="The credit's id within the client's account.")
    value: Value = Field(description="What the credit takes off the client's next booking.")
    referred_client_id: ClientId = Field(description="The referral it rewards.")


class CreditUse(WireModel):
    client_id: ClientId = Field(description="The client whose credit was used.")
    booking_id: BookingId = Field(description="The booking it was applied to.")
    amount: Money = Field(description="What the credit took off the booking.")


class RewardDue(WireModel):
    client_id: ClientId = Field(description="The referring client the tenant was alerted about.")
    referred_client_id: ClientId = Field(description="The referral that earned it.")
    value: Value = Field(description="The reward the programme suggests.")


class WelcomeCode(WireModel):
    client_id: ClientId = Field(description="The referred client who received the code.")
    code: Code = Field(description="The single-use code (``REF-XXXXXXXX``).")
    value: Value = Field(description="What the code takes off.")
    expires_at: AwareDatetime = Field(description="When the code stops working.")


class WelcomeCodeUse(WireModel):
    client_id: ClientId = Field(description="The client who used the code.")
    code: Code = Field(description="The code.")
    booking_id: BookingId = Field(description="The booking it was used on.")


class ReferralStageChanged(Envelope[StageChange]):
    """A referral moved to a new stage (invited, booked, completed)."""

    type: Literal["ReferralStageChanged"] = Field(description="Always 'ReferralStageChanged'.")


class ReferralRefused(Envelope[Refusal]):
    """A booking through a link made no referral (own link, existing client, already referred)."""

    type: Literal["ReferralRefused"] = Field(description="Always 'ReferralRefused'.")


class CreditIssued(Envelope[Credit]):
    """A referring client was credited; it applies at their next booking."""

    type: Literal["CreditIssued"] = Field(description="Always 'CreditIssued'.")


class CreditApplied(Envelope[CreditUse]):
    """Credit was used on a booking."""

    type: Literal["CreditApplied"] = Field(description="Always 'CreditApplied'.")


class ReferralRewardDue(Envelope[RewardDue]):
    """A referral met the trigger and the programme delivers rewards by alerting the tenant."""

    type: Literal["ReferralRewardDue"] = Field(description="Always 'ReferralRewardDue'.")


class WelcomeCodeIssued(Envelope[WelcomeCode]):
    """A referred client received a single-use code for their first session."""

    type: Literal["WelcomeCodeIssued"] = Field(description="Always 'WelcomeCodeIssued'.")


class WelcomeCodeRedeemed(Envelope[WelcomeCodeUse]):
    """A referred client's welcome code was used."""

    type: Literal["WelcomeCodeRedeemed"] = Field(description="Always 'WelcomeCodeRedeemed'.")


ReferralFact = (
    ReferralStageChanged
    | ReferralRefused
    | CreditIssued
    | CreditApplied
    | ReferralRewardDue
    | WelcomeCodeIssued
    | WelcomeCodeRedeemed
)
