"""A campaign's results per cohort: who rebooked within the attribution window, the revenue of
those bookings net of refunds (per currency), against the hold-out group."""

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starcard_campaigns.domain.calendar import ClientCalendar
from starcard_campaigns.domain.deliveries import Channel, MessageOutcomes
from starcard_campaigns.domain.offers import Offer
from starcard_campaigns.domain.results import (
    Cohort,
    CohortResults,
    Group,
    Period,
    cohort_of,
    results,
)

from .factories import CLIENT, PRICE, client_calendar, moment, offer, visit

pytestmark = pytest.mark.unit

MONDAY = date(2025, 3, 3)
SENT_AT = moment(MONDAY, 6)
"""When `offer(day=MONDAY)` is decided."""
WINDOW = timedelta(days=14)


def results_of(
    offers: list[Offer],
    *calendars: ClientCalendar,
    period: Period = "week",
    outcomes: Mapping[UUID, MessageOutcomes] | None = None,
) -> list[CohortResults]:
    return results(
        offers,
        {each.client_id: each for each in calendars},
        attribution_days=WINDOW.days,
        period=period,
        outcomes=outcomes or {},
    )


def only(found: list[CohortResults]) -> CohortResults:
    [one] = found
    return one


def booked(made_at: datetime, *, client_id: str = CLIENT, booking_id: str = "b2") -> ClientCalendar:
    """A client who made booking `booking_id` at `made_at`, for a week later."""
    calendar = client_calendar(client_id=client_id)
    calendar.note_booking(booking_id, made_at=made_at, starts_at=made_at + timedelta(days=7))
    return calendar


# -- who rebooked ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("made_at", "rebooked"),
    [
        (SENT_AT - timedelta(seconds=1), 0),
        (SENT_AT, 0),
        (SENT_AT + timedelta(days=3), 1),
        (SENT_AT + WINDOW, 1),
        (SENT_AT + WINDOW + timedelta(seconds=1), 0),
    ],
    ids=["before the offer", "as it was decided", "in the window", "at its end", "after it"],
)
def test_a_booking_made_within_the_attribution_window_counts_as_rebooked(
    made_at: datetime, rebooked: int
) -> None:
    result = only(results_of([offer(day=MONDAY)], booked(made_at)))

    assert result.sent == Group(offers=1, rebooked=rebooked)


def test_a_booking_cancelled_since_does_not_count() -> None:
    client = booked(SENT_AT + timedelta(days=3))
    client.note_cancellation("b2")

    assert only(results_of([offer(day=MONDAY)], client)).sent.rebooked == 0


def test_a_walk_in_visit_within_the_window_counts_as_rebooked_with_its_revenue() -> None:
    client = client_calendar(visit("walk-in", SENT_AT + timedelta(days=5), paid_minor=12000))

    assert only(results_of([offer(day=MONDAY)], client)).sent == Group(1, 1, {"EUR": 12000})


def test_a_visit_booked_before_the_offer_is_not_its_result() -> None:
    client = booked(SENT_AT - timedelta(days=2))
    client.note_visit(visit("b2", SENT_AT + timedelta(days=5)))

    assert only(results_of([offer(day=MONDAY)], client)).sent == Group(1, 0)


def test_the_revenue_is_what_the_rebooked_visits_brought_in_net_of_refunds() -> None:
    """Booked in the window, visited after it: the booking is the offer's result, and so is
    what the visit paid, less what was refunded."""
    client = booked(SENT_AT + timedelta(days=10))
    client.note_visit(visit("b2", SENT_AT + timedelta(days=17), paid_minor=12000))
    client.note_refund("r1", "b2", 2000)

    result = only(results_of([offer(day=MONDAY)], client))

    assert result.sent == Group(offers=1, rebooked=1, revenue={"EUR": 10000})
    assert result.sent.revenue_per_rebooked == {"EUR": 10000}


def test_a_wholly_refunded_visit_brings_in_nothing() -> None:
    client = booked(SENT_AT + timedelta(days=1))
    client.note_visit(visit("b2", SENT_AT + timedelta(days=8)))
    client.note_refund("r1", "b2", None)

    assert only(results_of([offer(day=MONDAY)], client)).sent == Group(1, 1, {"EUR": 0})


def test_a_booking_not_visited_yet_counts_as_rebooked_with_no_revenue_in_any_currency() -> None:
    result = only(results_of([offer(day=MONDAY)], booked(SENT_AT + timedelta(days=1))))

    assert result.sent == Group(offers=1, rebooked=1, revenue={})
    assert result.sent.revenue_per_rebooked == {}


def test_revenue_is_kept_per_currency_never_added_across_currencies() -> None:
    offers = [offer(day=MONDAY, client_id=each) for each in ("c1", "c2", "c3")]
    paid = [("c1", 12000, "GBP"), ("c2", 8000, "EUR"), ("c3", 3000, "GBP")]
    calendars = [
        client_calendar(
            visit(
                f"{client}-walk-in",
                SENT_AT + timedelta(days=2),
                paid_minor=paid_minor,
                currency=currency,
            ),
            client_id=client,
        )
        for client, paid_minor, currency in paid
    ]

    sent = only(results_of(offers, *calendars)).sent

    assert sent.revenue == {"GBP": 15000, "EUR": 8000}
    assert sent.revenue_per_rebooked == {"GBP": 5000, "EUR": 2666}


def test_revenue_per_re_engaged_client_is_rounded_down_to_the_minor_unit() -> None:
    group = Group(offers=5, rebooked=3, revenue={"EUR": 10000, "JPY": 1000})

    assert group.revenue_per_rebooked == {"EUR": 3333, "JPY": 333}


def test_an_offer_to_a_client_with_no_calendar_counts_as_not_rebooked() -> None:
    assert only(results_of([offer(day=MONDAY)])).sent == Group(1, 0)


def test_two_messages_to_one_client_in_a_cohort_are_counted_per_message() -> None:
    offers = [
        offer("reengagement", day=MONDAY, occasion="b1#1"),
        offer("reengagement", day=MONDAY + timedelta(days=2), occasion="b1#2"),
    ]

    result = only(results_of(offers, booked(SENT_AT + timedelta(days=3))))

    assert result.sent == Group(offers=2, rebooked=2)


# -- cohorts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "week", "month"),
    [
        (date(2025, 3, 3), date(2025, 3, 3), date(2025, 3, 1)),
        (date(2025, 3, 9), date(2025, 3, 3), date(2025, 3, 1)),
        (date(2025, 3, 10), date(2025, 3, 10), date(2025, 3, 1)),
        (date(2025, 3, 1), date(2025, 2, 24), date(2025, 3, 1)),
        (date(2025, 3, 31), date(2025, 3, 31), date(2025, 3, 1)),
        (date(2026, 1, 1), date(2025, 12, 29), date(2026, 1, 1)),
    ],
)
def test_a_cohort_is_the_week_from_monday_or_the_month_an_offer_was_decided_in(
    day: date, week: date, month: date
) -> None:
    assert cohort_of(day, "week") == Cohort("week", week)
    assert cohort_of(day, "month") == Cohort("month", month)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_every_day_falls_in_the_week_and_month_that_start_on_or_before_it(day: date) -> None:
    week, month = cohort_of(day, "week").starts_on, cohort_of(day, "month").starts_on

    assert week.weekday() == 0
    assert 0 <= (day - week).days <= 6
    assert (month.year, month.month, month.day) == (day.year, day.month, 1)


def test_results_are_per_campaign_and_cohort_oldest_first() -> None:
    offers = [
        offer("birthday", day=date(2025, 3, 10), client_id="c3"),
        offer("birthday", day=date(2025, 3, 3), client_id="c1"),
        offer("birthday", day=date(2025, 3, 9), client_id="c2"),
        offer("anniversary", day=date(2025, 3, 4), client_id="c1"),
    ]

    weekly = results_of(offers)

    assert [(each.campaign, each.cohort.starts_on, each.sent.offers) for each in weekly] == [
        ("anniversary", date(2025, 3, 3), 1),
        ("birthday", date(2025, 3, 3), 2),
        ("birthday", date(2025, 3, 10), 1),
    ]
    monthly = results_of(offers, period="month")
    assert [(each.campaign, each.cohort.starts_on, each.sent.offers) for each in monthly] == [
        ("anniversary", date(2025, 3, 1), 1),
        ("birthday", date(2025, 3, 1), 3),
    ]


def test_no_offers_have_no_results() -> None:
    assert results_of([]) == []


# -- against the hold-out group -------------------------------------------------------------


def test_the_hold_out_group_is_tallied_separately_and_the_uplift_is_the_difference() -> None:
    clients = [f"c{n}" for n in range(6)]
    offers = [offer(day=MONDAY, client_id=each, held_out=n >= 4) for n, each in enumerate(clients)]
    rebooking = [
        booked(SENT_AT + timedelta(days=2), client_id=each) for each in ("c0", "c1", "c2", "c4")
    ]
    for calendar in rebooking:
        calendar.note_visit(visit("b2", SENT_AT + timedelta(days=9)))

    result = only(results_of(offers, *rebooking))

    assert result.sent == Group(offers=4, rebooked=3, revenue={"EUR": 3 * PRICE})
    assert result.held_out == Group(offers=2, rebooked=1, revenue={"EUR": PRICE})
    assert (result.sent.rebooking_rate, result.held_out.rebooking_rate) == (0.75, 0.5)
    assert result.uplift == pytest.approx(0.25)


def test_a_cohort_with_no_hold_out_has_no_rate_for_it_and_no_uplift() -> None:
    result = only(results_of([offer(day=MONDAY)], booked(SENT_AT + timedelta(days=1))))

    assert result.held_out == Group(0, 0)
    assert result.held_out.rebooking_rate is None
    assert result.held_out.revenue_per_rebooked is None
    assert result.sent.rebooking_rate == 1.0
    assert result.uplift is None


def test_a_cohort_only_held_out_has_no_rate_for_the_sent_and_no_uplift() -> None:
    result = only(results_of([offer(day=MONDAY, held_out=True)]))

    assert result.sent == Group(0, 0)
    assert result.held_out == Group(1, 0)
    assert (result.sent.rebooking_rate, result.held_out.rebooking_rate) == (None, 0.0)
    assert result.uplift is None


def test_a_group_nobody_in_which_rebooked_has_no_revenue_per_client() -> None:
    assert Group(offers=3, rebooked=0).revenue_per_rebooked is None


# -- delivered, and opened ------------------------------------------------------------------


def delivered(*channels: Channel, offer_of: Offer) -> dict[UUID, MessageOutcomes]:
    """The outcomes of the offer's message: handed over on `channels`, the SMS suppressed
    unless among them."""
    outcomes = MessageOutcomes(tenant_id=offer_of.tenant_id, notification_id=uuid4())
    for channel in channels:
        outcomes.record_delivered(channel, SENT_AT + timedelta(hours=2))
    outcomes.record_not_delivered("sms", "no SMS consent")
    return {offer_of.id: outcomes}


def test_an_offer_counts_as_delivered_once_its_email_was_handed_over() -> None:
    emailed, texted, neither = (offer(day=MONDAY, client_id=f"c{n}") for n in range(3))
    outcomes = (
        delivered("email", offer_of=emailed)
        | delivered("email", "sms", offer_of=texted)
        | delivered(offer_of=neither)
    )

    result = only(results_of([emailed, texted, neither], outcomes=outcomes))

    assert (result.sent.delivered, result.sent.sms_delivered) == (2, 1)


def test_an_offer_with_no_outcome_yet_is_not_delivered() -> None:
    result = only(results_of([offer(day=MONDAY)]))

    assert (result.sent.offers, result.sent.delivered, result.sent.sms_delivered) == (1, 0, 0)


def test_opens_are_not_known() -> None:
    sent = offer(day=MONDAY)

    result = only(results_of([sent], outcomes=delivered("email", offer_of=sent)))

    assert result.sent.opened is None
    assert result.held_out.opened is None
