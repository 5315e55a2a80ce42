"""Anniversaries, re-engagement, the hold-out group and the results through the real path:
clients, bookings and visits in through Kafka, each day a clock tick the test publishes, the
offers in the campaigns service's event store and their messages out on
``starcard.notifications.v1``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from starcard_campaigns.domain.holdout import held_out
from starcard_events import examples

from tests.support.campaigns import CampaignsStack, campaigns_stack

pytestmark = pytest.mark.integration

CLINIC = "glow-clinic"
BOOKING_URL = "https://book.example.com/glow"
VISITED = datetime(2027, 1, 10, 14, 0, tzinfo=UTC)


@pytest.fixture
async def stack(
    fresh_database: str, kafka_bootstrap: str, topic_prefix: str
) -> AsyncIterator[CampaignsStack]:
    async with campaigns_stack(fresh_database, kafka_bootstrap, topic_prefix) as running:
        running.commands.open_programme(CLINIC, "Glow Clinic")
        running.commands.change_shared_settings(CLINIC, booking_url=BOOKING_URL, holdout_percent=0)
        yield running


def visit(
    client_id: str, at: datetime, *, category: str = "facials", price_minor: int = 9000
) -> dict[str, Any]:
    return examples.appointment_completed(
        CLINIC,
        at + timedelta(hours=1),
        booking_id=f"{client_id}-{at:%Y%m%d%H%M}",
        client_id=client_id,
        starts_at=at,
        category=category,
        list_price_minor=price_minor,
    )


def booking(client_id: str, made_at: datetime, starts_at: datetime) -> dict[str, Any]:
    return examples.booking_created(
        CLINIC,
        made_at,
        booking_id=f"{client_id}-{starts_at:%Y%m%d%H%M}",
        client_id=client_id,
        starts_at=starts_at,
    )


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def offered(stack: CampaignsStack, campaign: str) -> list[tuple[str, str, date]]:
    """The offers sent of `campaign`: (client, occasion, day decided)."""
    return [
        (each.client_id, each.occasion, date.fromisoformat(each.day))
        for each in stack.granted(campaign)
    ]


# -- anniversaries --------------------------------------------------------------------------


async def test_the_anniversary_of_the_first_visit_gets_one_offer_on_the_day(
    stack: CampaignsStack,
) -> None:
    stack.commands.change_campaign_settings(CLINIC, "anniversary", enabled=True)
    first = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)
    # The later visit arrives first: the first visit is the earliest, whatever the order.
    await stack.publish(visit("ada", first + timedelta(days=80)), visit("ada", first))

    await stack.tick(CLINIC, date(2026, 3, 14), date(2027, 3, 13))
    assert offered(stack, "anniversary") == []

    await stack.tick(CLINIC, date(2027, 3, 14), date(2027, 3, 14), date(2027, 3, 15))
    await stack.settle()
    assert offered(stack, "anniversary") == [("ada", "2027", date(2027, 3, 14))]
    [notice] = stack.notices()
    assert notice["kind"] == "anniversary_offer"
    assert notice["code"].startswith("ANNV-")
    assert notice["booking_url"] == BOOKING_URL


async def test_a_first_visit_on_29_february_is_celebrated_on_28_february_in_other_years(
    stack: CampaignsStack,
) -> None:
    stack.commands.change_campaign_settings(CLINIC, "anniversary", enabled=True)
    await stack.publish(visit("leap", datetime(2028, 2, 29, 11, 0, tzinfo=UTC)))

    await stack.tick(CLINIC, date(2029, 2, 27), date(2029, 2, 28), date(2029, 3, 1))
    assert offered(stack, "anniversary") == [("leap", "2029", date(2029, 2, 28))]


async def test_the_day_of_a_visit_is_the_tenants_local_day_either_side_of_midnight(
    stack: CampaignsStack,
) -> None:
    """23:30 UTC on 14 March is 15 March in Berlin (and 14 March in New York): the anniversary
    is the local day's, and the tick of that local day begins at local midnight."""
    stack.commands.change_campaign_settings(CLINIC, "anniversary", enabled=True)
    await stack.publish(visit("late", datetime(2026, 3, 14, 23, 30, tzinfo=UTC)))

    await stack.tick(CLINIC, date(2027, 3, 14), time_zone="Europe/Berlin")
    assert offered(stack, "anniversary") == []
    await stack.tick(
        CLINIC, date(2027, 3, 15), time_zone="Europe/Berlin", quiet_hours_end=time(9, 0)
    )
    await stack.settle()
    [offer] = stack.granted("anniversary")
    assert offer.decided_at == datetime(2027, 3, 14, 23, 0, tzinfo=UTC)  # Berlin's midnight
    [notice] = stack.notices()
    # Decided at midnight, sent when the clinic's quiet hours end: 09:00 in Berlin.
    assert datetime.fromisoformat(notice["send_after"]) == datetime(2027, 3, 15, 8, 0, tzinfo=UTC)
    # Valid 30 days, the 15th the first: through 13 April, to midnight in Berlin (summer time).
    assert notice["valid_until"] == "2027-04-13"
    assert datetime.fromisoformat(notice["expires_at"]) == datetime(2027, 4, 13, 22, tzinfo=UTC)


# -- re-engagement --------------------------------------------------------------------------


async def test_re_engagement_follows_each_categorys_cycle_and_stops_when_the_client_books(
    stack: CampaignsStack,
) -> None:
    stack.commands.change_campaign_settings(
        CLINIC,
        "reengagement",
        enabled=True,
        steps_days=[60, 90, 120],
        category_steps={"injectables": [90, 120]},
    )
    await stack.publish(
        visit("fae", VISITED, category="facials"), visit("ivy", VISITED, category="injectables")
    )
    day_60 = VISITED.date() + timedelta(days=60)

    await stack.tick(CLINIC, day_60 - timedelta(days=1))
    assert offered(stack, "reengagement") == []

    await stack.tick(CLINIC, day_60)
    await stack.settle()
    assert offered(stack, "reengagement") == [("fae", "fae-202701101400#1", day_60)]
    [notice] = stack.notices()
    assert notice["kind"] == "reengagement_offer"
    assert notice["code"].startswith("BACK-")
    assert notice["booking_url"] == BOOKING_URL
    assert notice["discount_percent"] == 15
    assert datetime.fromisoformat(notice["expires_at"]) == datetime.combine(
        day_60 + timedelta(days=14), time(0), tzinfo=UTC
    )

    day_90 = VISITED.date() + timedelta(days=90)
    await stack.tick(CLINIC, *days(day_60 + timedelta(days=1), day_90))
    assert offered(stack, "reengagement")[1:] == [
        ("fae", "fae-202701101400#2", day_90),
        ("ivy", "ivy-202701101400#1", day_90),
    ]

    # fae books after the second message: her sequence stops, even once the booking is gone.
    made = datetime.combine(day_90 + timedelta(days=2), time(10), tzinfo=UTC)
    await stack.publish(booking("fae", made, made + timedelta(days=7)))
    await stack.publish(
        examples.booking_cancelled(
            CLINIC,
            made + timedelta(days=1),
            booking_id=f"fae-{made + timedelta(days=7):%Y%m%d%H%M}",
            client_id="fae",
        )
    )
    day_120 = VISITED.date() + timedelta(days=120)
    await stack.tick(CLINIC, *days(day_90 + timedelta(days=1), day_120))
    await stack.settle()
    assert offered(stack, "reengagement")[3:] == [("ivy", "ivy-202701101400#2", day_120)]
    assert len(stack.notices()) == 4


async def test_a_client_with_a_booking_to_come_gets_nothing_until_it_is_cancelled(
    stack: CampaignsStack,
) -> None:
    stack.commands.change_campaign_settings(CLINIC, "reengagement", enabled=True)
    ahead = datetime(2027, 3, 20, 10, 0, tzinfo=UTC)
    await stack.publish(
        visit("gus", VISITED), booking("gus", datetime(2027, 2, 1, 9, 0, tzinfo=UTC), ahead)
    )
    day_60 = VISITED.date() + timedelta(days=60)

    await stack.tick(CLINIC, *days(day_60, day_60 + timedelta(days=3)))
    assert offered(stack, "reengagement") == []

    await stack.publish(
        examples.booking_cancelled(
            CLINIC,
            datetime(2027, 3, 15, 12, 0, tzinfo=UTC),
            booking_id=f"gus-{ahead:%Y%m%d%H%M}",
            client_id="gus",
        )
    )
    await stack.tick(CLINIC, date(2027, 3, 16))
    assert offered(stack, "reengagement") == [("gus", "gus-202701101400#1", date(2027, 3, 16))]


async def test_a_new_visit_starts_a_new_sequence_one_at_a_time(stack: CampaignsStack) -> None:
    stack.commands.change_campaign_settings(CLINIC, "reengagement", enabled=True)
    await stack.publish(visit("hal", VISITED))
    day_60 = VISITED.date() + timedelta(days=60)
    await stack.tick(CLINIC, day_60)

    back = datetime.combine(day_60 + timedelta(days=5), time(15), tzinfo=UTC)
    await stack.publish(booking("hal", back - timedelta(days=2), back), visit("hal", back))
    await stack.tick(CLINIC, *days(day_60 + timedelta(days=1), back.date() + timedelta(days=60)))
    await stack.settle()

    assert offered(stack, "reengagement") == [
        ("hal", "hal-202701101400#1", day_60),
        ("hal", f"hal-{back:%Y%m%d%H%M}#1", back.date() + timedelta(days=60)),
    ]


# -- the hold-out group and the results ----------------------------------------------------


async def test_the_hold_out_group_gets_nothing_and_the_results_compare_it(
    stack: CampaignsStack,
) -> None:
    stack.commands.change_shared_settings(CLINIC, holdout_percent=30, attribution_days=14)
    stack.commands.change_campaign_settings(CLINIC, "birthday", enabled=True, days_before=0)
    clients = [f"c{n:02}" for n in range(30)]
    await stack.publish(
        *(
            examples.client_registered(
                CLINIC, VISITED, client_id=each, birthday={"month": 5, "day": 3}
            )
            for each in clients
        )
    )
    await stack.tick(CLINIC, date(2027, 5, 3))
    await stack.tick(CLINIC, date(2027, 5, 3))  # re-sent: decides the same
    await stack.settle()

    held = sorted(each for each in clients if held_out(CLINIC, "birthday", each, "2027", 30))
    assert 0 < len(held) < len(clients)
    assert sorted(each.client_id for each in stack.decided() if each.terms is None) == held
    sent = sorted(set(clients) - set(held))
    assert sorted(notice["client_id"] for notice in stack.notices()) == sent

    # Two sent clients and one held-out client book within 14 days; one more after them.
    tick_at = datetime(2027, 5, 3, tzinfo=UTC)
    comeback = [(sent[0], 3, 12_000), (sent[1], 14, 8_000), (held[0], 5, 10_000)]
    late = (sent[2], 15, 9_000)
    for client_id, after_days, price in [*comeback, late]:
        made = tick_at + timedelta(days=after_days, hours=-1)
        starts = made + timedelta(days=3)
        await stack.publish(
            booking(client_id, made, starts), visit(client_id, starts, price_minor=price)
        )
    await stack.publish(
        examples.appointment_refunded(
            CLINIC,
            tick_at + timedelta(days=20),
            refund_id="r-1",
            booking_id=f"{sent[1]}-{tick_at + timedelta(days=16, hours=23):%Y%m%d%H%M}",
            client_id=sent[1],
            amount_minor=3_000,
        )
    )

    [may] = stack.commands.results(CLINIC, period="month")
    assert (may.campaign, may.cohort.starts_on) == ("birthday", date(2027, 5, 1))
    assert (may.sent.offers, may.sent.rebooked, may.sent.revenue) == (
        len(sent),
        2,
        {"GBP": 12_000 + 8_000 - 3_000},
    )
    assert (may.held_out.offers, may.held_out.rebooked, may.held_out.revenue) == (
        len(held),
        1,
        {"GBP": 10_000},
    )
    assert may.uplift == pytest.approx(2 / len(sent) - 1 / len(held))
