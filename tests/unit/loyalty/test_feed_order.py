"""Platforms re-send and deliver out of order: shuffling and duplicating a client's feed never
changes the result."""

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starcard_loyalty.domain.client import ClientLoyalty
from starcard_loyalty.domain.counting import Appointment, CountingRules

from .factories import (
    LIST_PRICE,
    any_code,
    appointment,
    client_loyalty,
    day,
    milestone,
    record_all,
    rules,
)

pytestmark = pytest.mark.unit

# Each example builds and feeds aggregates; on a busy CI machine that can outlast the default
# 200 ms deadline without anything being wrong.
no_deadline = settings(deadline=None)

PAYMENT_METHODS = ["card", "card", "cash", "membership_credit", "package", "gift_card", "credit"]
DISCOUNT_KINDS = ["back_to_back", "eco", "promo_code", "label", "loyalty_code"]


@st.composite
def feeds(draw: st.DrawFn) -> list[Appointment]:
    """A client's completed appointments, some of them parts of back-to-back groups."""
    count = draw(st.integers(min_value=1, max_value=14))
    return [
        appointment(
            f"b{n}",
            visit_key=draw(st.sampled_from([f"b{n}", "group-1", "group-2", "group-3"])),
            minutes=draw(st.sampled_from([15, 30, 45, 60, 90])),
            price_minor=draw(st.sampled_from([LIST_PRICE, LIST_PRICE, LIST_PRICE - 1000])),
            discounts=draw(st.sets(st.sampled_from(DISCOUNT_KINDS), max_size=1)),
            payment_method=draw(st.sampled_from(PAYMENT_METHODS)),
            occurred_at=day(n),
        )
        for n in range(count)
    ]


@st.composite
def counting_rules(draw: st.DrawFn, discounts: Sequence[int | None] = (None,)) -> CountingRules:
    """A programme's rules: a few milestones, each at its own count and minimum length, each
    with one of `discounts`."""
    slots = draw(
        st.sets(
            st.tuples(st.integers(min_value=1, max_value=8), st.sampled_from([0, 45, 60, 90])),
            max_size=5,
        )
    )
    return rules(
        *(
            milestone(
                f"m{count}-{minimum}",
                count,
                min_minutes=minimum,
                discount_percent=draw(st.sampled_from(discounts)),
            )
            for count, minimum in slots
        ),
        count_discounted=draw(st.booleans()),
    )


def shuffled_with_duplicates(
    data: st.DataObject, appointments: list[Appointment]
) -> list[Appointment]:
    """The feed as delivered: re-sends of some records, everything in any order."""
    duplicates = data.draw(st.lists(st.sampled_from(appointments), max_size=len(appointments)))
    return data.draw(st.permutations(appointments + duplicates))


def outcome(record: ClientLoyalty, counting: CountingRules) -> object:
    return (
        record.visits(),
        record.sessions(),
        record.stars(counting),
        set(record.reached),
        [record.count_toward(each, counting) for each in counting.milestones],
    )


def fed(appointments: list[Appointment], counting: CountingRules) -> ClientLoyalty:
    record = client_loyalty()
    record_all(record, appointments, counting)
    return record


@no_deadline
@given(data=st.data(), appointments=feeds(), counting=counting_rules())
def test_shuffling_and_duplicating_the_feed_never_changes_the_result(
    data: st.DataObject, appointments: list[Appointment], counting: CountingRules
) -> None:
    delivered = shuffled_with_duplicates(data, appointments)

    assert outcome(fed(delivered, counting), counting) == outcome(
        fed(appointments, counting), counting
    )


@no_deadline
@given(data=st.data(), appointments=feeds(), counting=counting_rules())
def test_each_milestone_is_reached_once_exactly_when_its_count_gets_there(
    data: st.DataObject, appointments: list[Appointment], counting: CountingRules
) -> None:
    record = client_loyalty()
    reached = record_all(record, shuffled_with_duplicates(data, appointments), counting)

    assert len(reached) == len(set(reached))
    assert set(reached) == {
        each
        for each in counting.milestones
        if record.count_toward(each, counting) >= each.session_count
    }


@no_deadline
@given(data=st.data(), appointments=feeds(), counting=counting_rules())
def test_the_latest_report_of_each_booking_wins_whatever_the_order(
    data: st.DataObject, appointments: list[Appointment], counting: CountingRules
) -> None:
    corrections = [
        replace(
            each,
            minutes=data.draw(st.sampled_from([30, 60, 90])),
            price_minor=data.draw(st.sampled_from([LIST_PRICE, LIST_PRICE - 500])),
            occurred_at=each.occurred_at + timedelta(hours=1),
        )
        for each in data.draw(st.lists(st.sampled_from(appointments), unique=True))
    ]
    latest = {each.booking_id: each for each in appointments + corrections}

    record = fed(shuffled_with_duplicates(data, appointments + corrections), counting)

    expected = fed(list(latest.values()), counting)
    assert record.parts == expected.parts
    assert (record.visits(), record.stars(counting)) == (
        expected.visits(),
        expected.stars(counting),
    )


rewarding_rules = partial(counting_rules, discounts=(None, 10, 25))
"""Rules whose milestones may carry a discount (a code) or only a message."""


def rewards(record: ClientLoyalty) -> object:
    """Which milestones were rewarded (issued or waiting), and which of them carry a code."""
    return (
        set(record.rewards) | {queued.milestone_id for queued in record.queue},
        {each.milestone_id for each in record.rewards.values() if each.code is None},
    )


@no_deadline
@given(data=st.data(), appointments=feeds(), counting=rewarding_rules())
def test_shuffling_and_duplicating_the_feed_never_changes_the_rewards(
    data: st.DataObject, appointments: list[Appointment], counting: CountingRules
) -> None:
    record = fed(shuffled_with_duplicates(data, appointments), counting)

    assert rewards(record) == rewards(fed(appointments, counting))
    assert set(record.rewards) | {queued.milestone_id for queued in record.queue} == set(
        record.reached
    )
    with_codes = [each for each in record.rewards.values() if each.code is not None]
    assert len(with_codes) == (1 if with_codes else 0)
    assert record.outstanding_code == (with_codes[0].code if with_codes else None)
    assert not record.queue or record.outstanding_code is not None


@no_deadline
@given(data=st.data(), appointments=feeds(), counting=rewarding_rules())
def test_a_client_never_loses_a_reward_they_earned(
    data: st.DataObject, appointments: list[Appointment], counting: CountingRules
) -> None:
    record = fed(shuffled_with_duplicates(data, appointments), counting)

    redeemed = 0
    while record.outstanding_code is not None:
        record.redeem_reward(record.outstanding_code, f"checkout-{redeemed}", day(30), any_code)
        redeemed += 1

    assert set(record.rewards) == set(record.reached)
    assert record.queue == []
