"""A campaign's results, against its hold-out group.

"Per campaign and cohort (the week or month it was sent): sent, rebooked within the attribution
window, revenue from those bookings, revenue per re-engaged client. A hold-out group ... is
tracked the same way; the results show the rebooking rate of both and the uplift."

An offer counts for the cohort of the tenant's day it was decided on. Its client rebooked when
they made a booking (not cancelled since) in the attribution window after the decision, or came
in without one (a walk-in visit) in it; the revenue is what the visits of those bookings brought
in, less their refunds. A client counted twice in a cohort (two steps of a sequence) is counted
once per offer: results are per message, the unit a campaign sends.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from starcard_campaigns.domain.calendar import ClientCalendar
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
    revenue_minor: int

    @property
    def rebooking_rate(self) -> float | None:
        return None if self.offers == 0 else self.rebooked / self.offers

    @property
    def revenue_per_rebooked_minor(self) -> int | None:
        """Revenue per re-engaged client (rounded down to the minor unit)."""
        return None if self.rebooked == 0 else self.revenue_minor // self.rebooked


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


def results(
    offers: Iterable[Offer],
    calendars: Mapping[str, ClientCalendar],
    *,
    attribution_days: int,
    period: Period,
) -> list[CohortResults]:
    """The results of `offers` (with the `calendars` of their clients, by client id), per
    campaign and cohort, oldest first."""
    tally: dict[tuple[Campaign, Cohort, bool], list[int]] = defaultdict(lambda: [0, 0, 0])
    window = timedelta(days=attribution_days)
    for offer in offers:
        counts = tally[(offer.campaign, cohort_of(offer.day, period), offer.held_out)]
        counts[0] += 1
        calendar = calendars.get(offer.client_id)
        if calendar is None:
            continue
        bookings = calendar.booked_between(offer.decided_at, offer.decided_at + window)
        if bookings:
            counts[1] += 1
            counts[2] += sum(calendar.net_paid(each) for each in bookings)
    keys = sorted({(campaign, cohort) for campaign, cohort, _ in tally}, key=_order)
    return [
        CohortResults(
            campaign=campaign,
            cohort=cohort,
            sent=Group(*tally.get((campaign, cohort, False), (0, 0, 0))),
            held_out=Group(*tally.get((campaign, cohort, True), (0, 0, 0))),
        )
        for campaign, cohort in keys
    ]


def _order(key: tuple[Campaign, Cohort]) -> tuple[date, str]:
    return key[1].starts_on, key[0]
