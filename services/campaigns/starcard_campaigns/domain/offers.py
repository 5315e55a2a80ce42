"""Offers: what a campaign decided for one client on one occasion, made once whoever asks.

"Automated birthday reward delivered in the week before the client's birthday", "anniversary
rewards", re-engagement "with a time-limited offer". An offer's id follows from the campaign, the
client and the occasion (the year of a birthday or an anniversary, a step of a re-engagement
sequence), so however often the clock ticks in the window, or a tick is re-sent, or a restarted
service ticks again, the occasion has one offer: the tick makes it only when it is absent.

An offer is either sent (its reward, a note, the booking link: the client is told) or held out: the
client was eligible and, chosen by the hold-out hash, gets nothing, so that the campaign's results
can be compared with clients it did not reach. Both are kept the same way, with the day and the
moment of the decision.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from starcard_campaigns.domain.ids import offer_id
from starcard_campaigns.domain.programme import Campaign, Reward

__all__ = ["Offer", "OfferTerms"]


@dataclass(frozen=True)
class OfferTerms:
    """What a sent offer gives and says; what it was made with, whatever the settings say later.

    A discount or an add-on reward is a single-use code, with its life; a points reward has no
    code (the loyalty service grants the points), so no code, expiry or last day either.
    `reward` and `add_on` have defaults: terms stored before they existed are a discount code's.
    """

    code: str | None
    discount_percent: int | None
    """What the code takes off, in percent; None for an add-on or points reward."""
    message: str
    expires_at: datetime | None
    valid_until: date | None
    """The code's last day in the tenant's time zone (it stops at `expires_at`, midnight after)."""
    booking_url: str | None
    send_after: datetime | None
    """Not to be sent before this instant (the end of the tenant's quiet hours that day)."""
    reward: Reward = "discount"
    add_on: str | None = None
    """The complimentary add-on the code is worth, for an add-on reward."""

    def to_record(self) -> dict[str, Any]:
        """The terms as the event stores them (the day as ISO text)."""
        until = None if self.valid_until is None else self.valid_until.isoformat()
        return {**asdict(self), "valid_until": until}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> OfferTerms:
        until = record.get("valid_until")  # absent from offers stored before it existed
        valid_until = None if until is None else date.fromisoformat(until)
        return cls(**{**record, "valid_until": valid_until})


class Offer(Aggregate):
    """One campaign's offer to one client for one occasion.

    Made with `Offer.decide(...)`; its id is `offer_id(tenant_id, campaign, client_id,
    occasion)`. `day` is the tenant's day of the tick that decided it.
    """

    @classmethod
    def decide(
        cls,
        *,
        tenant_id: str,
        campaign: Campaign,
        client_id: str,
        occasion: str,
        day: date,
        decided_at: datetime,
        terms: OfferTerms | None,
    ) -> Offer:
        """The offer of the occasion: sent with `terms`, or held out (None)."""
        return cls(
            tenant_id=tenant_id,
            campaign=campaign,
            client_id=client_id,
            occasion=occasion,
            day=day.isoformat(),
            decided_at=decided_at,
            terms=None if terms is None else terms.to_record(),
        )

    @staticmethod
    def create_id(tenant_id: str, campaign: str, client_id: str, occasion: str) -> UUID:
        return offer_id(tenant_id, campaign, client_id, occasion)

    @event("Decided")
    def __init__(
        self,
        *,
        tenant_id: str,
        campaign: Campaign,
        client_id: str,
        occasion: str,
        day: str,
        decided_at: datetime,
        terms: dict[str, Any] | None,
    ) -> None:
        """`day` (and `terms`' `valid_until`) is ISO text and `terms` a mapping: what the event
        store's JSON holds."""
        self.tenant_id = tenant_id
        self.campaign = campaign
        self.client_id = client_id
        self.occasion = occasion
        self.day = date.fromisoformat(day)
        self.decided_at = decided_at
        self.terms = None if terms is None else OfferTerms.from_record(terms)

    @property
    def held_out(self) -> bool:
        """The client was eligible and gets nothing: the campaign is measured against them."""
        return self.terms is None
