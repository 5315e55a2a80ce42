"""A campaign's results, against its hold-out group.

"Per campaign and cohort (the week or month it was sent): sent, delivered, opened where known,
rebooked within the attribution window, revenue from those bookings, revenue per re-engaged
client. A hold-out group ... is tracked the same way; the results show the rebooking rate of both
and the uplift."

An offer sent was delivered when the notifier reported its email (or its SMS) handed over to the
SMTP server (the SMS provider); its `MessageOutcomes` come in by the offer's id. An offer held out
sends nothing, so nothing of it is ever delivered. Opened is not known: see `Group.opened`.

An offer counts for the cohort of the tenant's day it was decided on. Its client rebooked when
they made a booking (not cancelled since) in the attribution window after the decision, or came
in without one (a walk-in visit) in it; the revenue is what the visits of those bookings brought
in, less their refunds, per currency the visits were paid in (money of two currencies is never
added up). A client counted twice in a cohort (two steps of a sequence) is counted once per
offer: results are per message, the unit a campaign sends.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import MappingProxyType
from typing import Literal
from uuid import UUID

from starcard_campaigns.domain.calendar import ClientCalendar
from starcard_campaigns.domain.deliveries import MessageOutcomes
from starcard_campaigns.domain.offers import Offer
from starcard_campaigns.domain.programme import Campaign

__all__ = ["Cohort", "CohortResults", "Group", "Period", "cohort_of", "results"]

Period = Literal["week", "month"]


@dataclass(frozen=True)
class Cohort:
    """The week (starting Monday) or month offers were decided in, by its first day."""

    period: Period
    starts_on: date


def cohort_of(day: date, period: Period) -> Cohort:
    if period == "week":
        return Cohort(period, day - timedelta(days=day.weekday()))
    return Cohort(period, day.replace(day=1))


@dataclass(frozen=True)
class Group:
    """One side of a cohort: the clients sent the offer, or the clients held out."""

    offers: int
    rebooked: int
    revenue: dict[str, int] = field(default_factory=dict)
    """Currency (ISO 4217) → minor units: what the rebooked clients' visits paid in it, net of
    refunds. A currency is here once a visit paid in it counts (a wholly refunded one too)."""
    delivered: int = 0
    """Offers whose email the SMTP server accepted."""
    sms_delivered: int = 0
    """Offers whose SMS the SMS provider accepted."""

    @property
    def opened(self) -> None:
        """Not known. Knowing would take a tracking pixel (an image fetched from Starcard when
        the email is shown) or tracked links: they tell a business when and where its client
        reads their mail, which a loyalty email has no business knowing, and mail clients that
        block remote images (or fetch them all in advance, as Apple Mail's privacy protection
        does) make the count wrong both ways. Rebooking is the result that matters, and it is
        measured."""
        return None

    @property
    def rebooking_rate(self) -> float | None:
        return None if self.offers == 0 else self.rebooked / self.offers

    @property
    def revenue_per_rebooked(self) -> dict[str, int] | None:
        """Revenue per re-engaged client, per currency (rounded down to the minor unit)."""
        if self.rebooked == 0:
            return None
        return {currency: amount // self.rebooked for currency, amount in self.revenue.items()}


@dataclass
class _Tally:
    """A group as it is counted."""

    offers: int = 0
    rebooked: int = 0
    revenue: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    delivered: int = 0
    sms_delivered: int = 0

    def count(
        self,
        offer: Offer,
        calendar: ClientCalendar | None,
        window: timedelta,
        outcomes: MessageOutcomes | None,
    ) -> None:
        self.offers += 1
        if outcomes is not None:
            self.delivered += outcomes.is_delivered("email")
            self.sms_delivered += outcomes.is_delivered("sms")
        if calendar is None:
            return
        bookings = calendar.booked_between(offer.decided_at, offer.decided_at + window)
        if not bookings:
            return
        self.rebooked += 1
        for booking_id in bookings:
            visit = calendar.visits.get(booking_id)
            if visit is not None:  # booked, not visited (yet): no revenue
                self.revenue[visit.currency] += calendar.net_paid(booking_id)

    def group(self) -> Group:
        return Group(
            self.offers, self.rebooked, dict(self.revenue), self.delivered, self.sms_delivered
        )


@dataclass(frozen=True)
class CohortResults:
    campaign: Campaign
    cohort: Cohort
    sent: Group
    held_out: Group

    @property
    def uplift(self) -> float | None:
        """The sent group's rebooking rate less the hold-out's (percentage points / 100)."""
        sent, held = self.sent.rebooking_rate, self.held_out.rebooking_rate
        return None if sent is None or held is None else sent - held


_NO_OUTCOMES: Mapping[UUID, MessageOutcomes] = MappingProxyType({})


def results(
    offers: Iterable[Offer],
    calendars: Mapping[str, ClientCalendar],
    *,
    attribution_days: int,
    period: Period,
    outcomes: Mapping[UUID, MessageOutcomes] = _NO_OUTCOMES,
) -> list[CohortResults]:
    """The results of `offers` (with the `calendars` of their clients, by client id, and the
    `outcomes` of their messages, by offer id), per campaign and cohort, oldest first."""
    tally: defaultdict[tuple[Campaign, Cohort, bool], _Tally] = defaultdict(_Tally)
    window = timedelta(days=attribution_days)
    for offer in offers:
        side = tally[(offer.campaign, cohort_of(offer.day, period), offer.held_out)]
        side.count(offer, calendars.get(offer.client_id), window, outcomes.get(offer.id))
    keys = sorted({(campaign, cohort) for campaign, cohort, _ in tally}, key=_order)
    return [
        CohortResults(
            campaign=campaign,
            cohort=cohort,
            sent=tally.get((campaign, cohort, False), _Tally()).group(),
            held_out=tally.get((campaign, cohort, True), _Tally()).group(),
        )
        for campaign, cohort in keys
    ]


def _order(key: tuple[Campaign, Cohort]) -> tuple[date, str]:
    return key[1].starts_on, key[0]
