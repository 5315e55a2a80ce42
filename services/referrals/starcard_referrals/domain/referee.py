"""A client as someone who may have been referred: the referral they came through, and its stage.

Stages: invited (a visit through the link, on `ReferralLink`) → booked (this client's booking
carried the link's code) → completed (this client's first paid appointment was completed). A
referral only moves forward, and arrives at the same place in any order: a completion seen before
the booking that carried the code still completes the referral once that booking arrives, and a
completion that carries the code itself books and completes at once.

No referral is made, and the reason is recorded, when the client books through their own link,
when they were already a client (a booking of theirs was seen earlier), or when they were already
referred through another link: one referral per referred client.

Every client of the tenant gets a `Referee` on their first booking event (one event, once), since
"already a client" can only be told from what was seen before the booking through a link. That
is decided when the booking through the link arrives: a referral never moves backwards, so an
earlier booking replayed after it does not undo it.

What a referral earns is decided when it moves to a stage (by the application, with the settings
in force then): the welcome code when it is booked, the referrer's reward when it meets the
trigger. A later, unrelated event of the client gives nothing, whatever the settings say by then.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from starcard_events.referral_facts import ReferralStage, RefusalReason

from starcard_referrals.domain.ids import referee_id
from starcard_referrals.domain.programme import Delivery, ReferralSettings, Trigger
from starcard_referrals.domain.values import RewardValue


class Referee(Aggregate):
    """Created with `Referee(tenant_id=..., client_id=..., booking_id=..., seen_at=...,
    back_to_back_group=...)`: every field given (the library's event class has no defaults; the
    default here is for events stored before the group was recorded)."""

    @staticmethod
    def create_id(tenant_id: str, client_id: str) -> UUID:
        return referee_id(tenant_id, client_id)

    @event("FirstSeen")
    def __init__(
        self,
        *,
        tenant_id: str,
        client_id: str,
        booking_id: str,
        seen_at: datetime,
        back_to_back_group: str | None = None,
    ) -> None:
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.first_booking_id = booking_id
        self.first_seen_at = seen_at
        self.first_group = back_to_back_group
        self.first_paid_completion: datetime | None = None
        self.code: str | None = None
        self.referrer_client_id: str | None = None
        self.booking_id: str | None = None
        self.visitor_id: str | None = None
        self.stage: ReferralStage | None = None
        self.booked_at: datetime | None = None
        self.completed_at: datetime | None = None
        self.refused: dict[str, str] = {}
        self.rewarded_at: datetime | None = None
        """When the referrer's reward was given: the moment the referral met the trigger."""
        self.welcome_code: str | None = None

    # -- what happened ----------------------------------------------------------------------

    def book_through(
        self,
        *,
        code: str,
        referrer_client_id: str,
        booking_id: str,
        visitor_id: str | None,
        at: datetime,
        back_to_back_group: str | None = None,
    ) -> RefusalReason | None:
        """A booking of this client carried a referral code. Returns why no referral was made,
        or None (booked now, or this referral already booked)."""
        if self.code == code:
            return None
        reason = self._refusal(referrer_client_id, booking_id, at, back_to_back_group)
        if reason is not None:
            if booking_id not in self.refused:
                self._refuse(
                    code=code,
                    referrer_client_id=referrer_client_id,
                    booking_id=booking_id,
                    reason=reason.value,
                    refused_at=at,
                    visitor_id=visitor_id,
                )
            return reason
        self._book(
            code=code,
            referrer_client_id=referrer_client_id,
            booking_id=booking_id,
            visitor_id=visitor_id,
            booked_at=at,
        )
        if self.first_paid_completion is not None:
            self._complete(completed_at=max(self.first_paid_completion, at))
        return None

    def record_paid_completion(self, at: datetime) -> None:
        """A paid appointment of this client was completed: the referral, if booked, completes."""
        if self.first_paid_completion is None:
            self._paid_completion(completed_at=at)
        if self.stage is ReferralStage.BOOKED:
            self._complete(completed_at=at)

    def _refusal(
        self, referrer_client_id: str, booking_id: str, at: datetime, group: str | None
    ) -> RefusalReason | None:
        if referrer_client_id == self.client_id:
            return RefusalReason.SELF_REFERRAL
        if self.code is not None:
            return RefusalReason.ALREADY_REFERRED
        if self.was_a_client_before(booking_id, at, group):
            return RefusalReason.EXISTING_CLIENT
        return None

    def was_a_client_before(self, booking_id: str, at: datetime, group: str | None) -> bool:
        """A booking of theirs came before this one: an earlier booking, not a part of the same
        back-to-back visit. A booking later cancelled still made them a client."""
        same_visit = group is not None and group == self.first_group
        return self.first_booking_id != booking_id and not same_visit and self.first_seen_at < at

    # -- what it earns ----------------------------------------------------------------------

    def reward_due(self, settings: ReferralSettings) -> bool:
        """The referral meets the programme's trigger and its referrer is not rewarded yet."""
        if self.rewarded_at is not None or self.stage is None:
            return False
        if settings.trigger is Trigger.FIRST_BOOKING:
            return True
        return self.stage is ReferralStage.COMPLETED

    def reward_referrer(self, settings: ReferralSettings) -> datetime | None:
        """Record the referrer's reward, once, as the settings in force define it, at the
        moment the referral reached its stage; returns that moment (None: nothing was due)."""
        if not self.reward_due(settings):
            return None
        reached_at = self.completed_at if self.stage is ReferralStage.COMPLETED else self.booked_at
        if reached_at is None:  # pragma: no cover - a stage has its moment
            raise AssertionError(self.stage)
        self._reward_referrer(
            value=settings.reward.as_event(),
            delivery=settings.delivery.value,
            alert_email=settings.alert_email if settings.delivery is Delivery.ALERT else None,
            rewarded_at=reached_at,
        )
        return reached_at

    def welcome_due(self, settings: ReferralSettings) -> bool:
        """The referred client is to get their own code, and has none yet."""
        return settings.reward_referred and self.stage is not None and self.welcome_code is None

    def give_welcome_code(
        self, code: str, value: RewardValue, issued_at: datetime, expires_at: datetime
    ) -> None:
        self._welcome(code=code, value=value.as_event(), issued_at=issued_at, expires_at=expires_at)

    # -- events -----------------------------------------------------------------------------

    @event("PaidCompletionSeen")
    def _paid_completion(self, *, completed_at: datetime) -> None:
        self.first_paid_completion = completed_at

    @event("Booked")
    def _book(
        self,
        *,
        code: str,
        referrer_client_id: str,
        booking_id: str,
        visitor_id: str | None,
        booked_at: datetime,
    ) -> None:
        self.code = code
        self.referrer_client_id = referrer_client_id
        self.booking_id = booking_id
        self.visitor_id = visitor_id
        self.stage = ReferralStage.BOOKED
        self.booked_at = booked_at

    @event("Completed")
    def _complete(self, *, completed_at: datetime) -> None:
        self.stage = ReferralStage.COMPLETED
        self.completed_at = completed_at

    @event("Refused")
    def _refuse(
        self,
        *,
        code: str,
        referrer_client_id: str,
        booking_id: str,
        reason: str,
        refused_at: datetime,
        visitor_id: str | None = None,
    ) -> None:
        self.refused[booking_id] = reason

    @event("ReferrerRewarded")
    def _reward_referrer(
        self,
        *,
        value: dict[str, Any],
        delivery: str,
        alert_email: str | None,
        rewarded_at: datetime,
    ) -> None:
        self.rewarded_at = rewarded_at

    @event("WelcomeCodeIssued")
    def _welcome(
        self, *, code: str, value: dict[str, Any], issued_at: datetime, expires_at: datetime
    ) -> None:
        self.welcome_code = code
