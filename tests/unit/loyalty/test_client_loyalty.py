"""One client's loyalty record: visits, stars, and milestones reached."""

import pytest
from starcard_loyalty.domain.client import ClientLoyalty
from starcard_loyalty.domain.errors import AppointmentOfAnotherClient
from starcard_loyalty.domain.ids import client_loyalty_id

from .factories import (
    CLIENT,
    LIST_PRICE,
    TENANT,
    any_code,
    appointment,
    client_loyalty,
    day,
    event_names,
    milestone,
    new_events,
    programme,
    reach,
    record_all,
    rules,
    visits,
)

pytestmark = pytest.mark.unit

FIFTH = milestone("fifth", 5, discount_percent=10, message="Thank you for your 5th visit!")
TENTH = milestone("tenth", 10, discount_percent=25, message="25% off, with thanks")
TENTH_LONG = milestone("tenth-long", 10, min_minutes=60, discount_percent=25)
THIRD_LONG = milestone("third-long", 3, min_minutes=90)


def test_starting_a_record_gives_it_the_clients_id() -> None:
    started = ClientLoyalty(tenant_id=TENANT, client_id=CLIENT)

    assert started.id == client_loyalty_id(TENANT, CLIENT)
    assert event_names(started) == ["Started"]
    assert (started.sessions(), started.stars(rules()), started.reached) == (0, 0, {})


def test_a_full_price_visit_earns_a_star() -> None:
    record = client_loyalty()

    reach(record, appointment(), rules(FIFTH))

    assert (record.sessions(), record.stars(rules(FIFTH))) == (1, 1)


def test_an_appointment_is_recorded_with_its_facts() -> None:
    record = client_loyalty()

    reach(record, appointment("b7", visit_key="group-1", minutes=45, occurred_at=day(3)), rules())

    [recorded] = new_events(record)
    assert type(recorded).__name__ == "AppointmentRecorded"
    assert (
        recorded.booking_id,
        recorded.visit_key,
        recorded.minutes,
        recorded.full_price,
        recorded.occurred_at,
        recorded.provider_id,
    ) == ("b7", "group-1", 45, True, day(3), "therapist-1")


def test_a_discounted_visit_is_a_session_but_not_a_star() -> None:
    record = client_loyalty()

    reach(record, appointment(discounts=["promo_code"]), rules())

    assert (record.sessions(), record.stars(rules())) == (1, 0)


def test_the_toggle_makes_discounted_visits_earn_stars() -> None:
    record = client_loyalty()
    record_all(record, visits(5, payment_method="package"), rules(FIFTH))

    assert record.stars(rules(FIFTH)) == 0
    assert record.stars(rules(FIFTH, count_discounted=True)) == 5


def test_a_label_discount_on_the_clients_record_stops_every_visit_counting() -> None:
    record = client_loyalty()
    record_all(record, visits(3), rules())

    record.update_labels(True, day(10))

    assert record.stars(rules()) == 0
    assert record.sessions() == 3
    [changed] = new_events(record)[-1:]
    assert type(changed).__name__ == "LabelsChanged"
    assert (changed.has_label_discount, changed.occurred_at) == (True, day(10))


def test_removing_the_label_discount_lets_the_visits_count_again() -> None:
    record = client_loyalty()
    record.update_labels(True, day(0))
    record_all(record, visits(3), rules())

    record.update_labels(False, day(10))

    assert record.stars(rules()) == 3


def test_a_label_update_older_than_the_one_recorded_is_ignored() -> None:
    record = client_loyalty()
    record.update_labels(True, day(10))
    record.collect_events()

    record.update_labels(False, day(5))

    assert record.label_discount
    assert new_events(record) == []


def test_an_unchanged_label_records_nothing() -> None:
    record = client_loyalty()

    record.update_labels(False, day(1))

    assert new_events(record) == []


def test_a_milestone_counts_only_visits_of_its_minimum_length() -> None:
    record = client_loyalty()
    counting = rules(FIFTH, TENTH_LONG)

    record_all(record, visits(6, minutes=30) + visits(4, first=6, minutes=60), counting)

    assert record.count_toward(FIFTH, counting) == 10
    assert record.count_toward(TENTH_LONG, counting) == 4
    assert record.stars(counting) == 10
    assert record.sessions_to_go(TENTH_LONG, counting) == 6


def test_a_back_to_back_add_on_makes_the_visit_long_enough() -> None:
    record = client_loyalty()
    counting = rules(milestone("long-first", 1, min_minutes=90))
    treatment = appointment("treatment", visit_key="group-1", minutes=60, occurred_at=day(0))
    add_on = appointment(
        "add-on",
        visit_key="group-1",
        minutes=30,
        discounts=["back_to_back"],
        price_minor=LIST_PRICE // 2,
        occurred_at=day(0),
    )

    assert reach(record, treatment, counting) == []
    reached = reach(record, add_on, counting)

    assert [each.milestone_id for each in reached] == ["long-first"]
    assert record.sessions() == 1
    [visit] = record.visits()
    assert (visit.minutes, visit.full_price, visit.parts) == (90, True, 2)
    [reached_by] = [e for e in new_events(record) if type(e).__name__ == "MilestoneReached"]
    assert reached_by.booking_id == "add-on"


def test_a_duplicate_appointment_counts_once_and_records_nothing() -> None:
    record = client_loyalty()
    reach(record, appointment(), rules(FIFTH))
    record.collect_events()

    assert reach(record, appointment(), rules(FIFTH)) == []

    assert new_events(record) == []
    assert (record.sessions(), record.stars(rules(FIFTH))) == (1, 1)


def test_a_later_resend_replaces_the_recorded_facts() -> None:
    record = client_loyalty()
    reach(record, appointment(minutes=60, occurred_at=day(0)), rules())

    reach(
        record, appointment(minutes=45, price_minor=LIST_PRICE - 1000, occurred_at=day(1)), rules()
    )

    [visit] = record.visits()
    assert (visit.minutes, visit.full_price) == (45, False)
    assert record.stars(rules()) == 0


def test_an_earlier_report_arriving_late_is_ignored() -> None:
    record = client_loyalty()
    reach(record, appointment(minutes=45, occurred_at=day(1)), rules())
    record.collect_events()

    reach(record, appointment(minutes=60, occurred_at=day(0)), rules())

    assert record.visits()[0].minutes == 45
    assert new_events(record) == []


def test_a_cancelled_booking_does_not_count() -> None:
    record = client_loyalty()
    record_all(record, visits(2), rules())

    record.record_cancellation("b1", day(5))

    assert (record.sessions(), record.stars(rules())) == (1, 1)
    [cancelled] = new_events(record)[-1:]
    assert type(cancelled).__name__ == "BookingCancelled"
    assert (cancelled.booking_id, cancelled.occurred_at) == ("b1", day(5))


def test_a_cancellation_arriving_before_the_completion_still_wins() -> None:
    record = client_loyalty()
    record.record_cancellation("b1", day(0))

    reach(record, appointment("b1", occurred_at=day(1)), rules())

    assert record.sessions() == 0


def test_a_cancellation_is_recorded_once() -> None:
    record = client_loyalty()
    record.record_cancellation("b1", day(0))
    record.collect_events()

    record.record_cancellation("b1", day(1))

    assert new_events(record) == []


def test_a_cancelled_add_on_no_longer_lengthens_its_visit() -> None:
    record = client_loyalty()
    record_all(
        record,
        [
            appointment("treatment", visit_key="group-1", minutes=60),
            appointment("add-on", visit_key="group-1", minutes=30),
        ],
        rules(),
    )

    record.record_cancellation("add-on", day(1))

    assert record.visits()[0].minutes == 60


def test_a_milestone_is_reached_when_the_count_first_hits_it() -> None:
    record = client_loyalty()
    counting = rules(FIFTH)

    assert record_all(record, visits(4), counting) == []
    record.collect_events()
    assert reach(record, visits(1, first=4)[0], counting) == [FIFTH]

    assert record.reached == {"fifth": day(4)}
    assert event_names(record) == ["AppointmentRecorded", "MilestoneReached", "RewardIssued"]
    assert record_all(record, visits(3, first=5), counting) == []


def test_the_milestone_reached_event_carries_what_the_reward_needs() -> None:
    record = client_loyalty()

    record_all(record, visits(5), rules(FIFTH))

    [reached] = [each for each in new_events(record) if type(each).__name__ == "MilestoneReached"]
    assert (
        reached.milestone_id,
        reached.session_count,
        reached.min_minutes,
        reached.message,
        reached.discount_percent,
        reached.reached_at,
        reached.booking_id,
    ) == ("fifth", 5, 0, "Thank you for your 5th visit!", 10, day(4), "b4")


def test_the_fifth_and_tenth_visit_milestones_fire_in_turn() -> None:
    record = client_loyalty()
    counting = rules(TENTH, FIFTH)

    reached = [
        (appointment.booking_id, each.milestone_id)
        for appointment in visits(12)
        for each in reach(record, appointment, counting)
    ]

    assert reached == [("b4", "fifth"), ("b9", "tenth")]


def test_milestones_due_together_are_reached_in_reward_order() -> None:
    record = client_loyalty()
    record_all(record, visits(10, minutes=90), rules())

    reached = reach(record, visits(1, first=10)[0], rules(TENTH_LONG, FIFTH, TENTH))

    assert [each.milestone_id for each in reached] == ["fifth", "tenth", "tenth-long"]


def test_a_deactivated_milestone_does_not_fire() -> None:
    tenant = programme(FIFTH)
    tenant.set_milestone_active("fifth", False)
    record = client_loyalty()

    assert record_all(record, visits(6), tenant.rules()) == []
    assert record.reached == {}


def test_discounted_visits_do_not_reach_a_milestone() -> None:
    record = client_loyalty()

    assert record_all(record, visits(5, discounts=["eco"]), rules(FIFTH)) == []


def test_turning_the_toggle_on_recounts_past_visits_at_once() -> None:
    tenant = programme(FIFTH)
    record = client_loyalty()
    record_all(record, visits(3, payment_method="membership_credit"), tenant.rules())
    assert record.stars(tenant.rules()) == 0

    tenant.set_count_discounted_sessions(True)

    assert record.stars(tenant.rules()) == 3
    assert record.sessions_to_go(FIFTH, tenant.rules()) == 2


def test_a_milestone_satisfied_by_a_settings_change_is_reached_at_the_next_appointment() -> None:
    tenant = programme()
    record = client_loyalty()
    record_all(record, visits(6), tenant.rules())

    tenant.add_milestone("fifth", 5, "Thanks!", None, 0)
    assert record.reached == {}
    reached = reach(record, visits(1, first=6)[0], tenant.rules())

    assert [each.milestone_id for each in reached] == ["fifth"]
    assert record.reached == {"fifth": day(6)}


def test_a_settings_change_never_revokes_a_reached_milestone() -> None:
    tenant = programme(FIFTH, count_discounted=True)
    record = client_loyalty()
    record_all(record, visits(5, discounts=["package"]), tenant.rules())
    assert set(record.reached) == {"fifth"}

    tenant.set_count_discounted_sessions(False)
    record_all(record, visits(1, first=5), tenant.rules())

    assert record.stars(tenant.rules()) == 1
    assert set(record.reached) == {"fifth"}


def test_a_cancellation_does_not_revoke_a_reached_milestone() -> None:
    record = client_loyalty()
    record_all(record, visits(5), rules(FIFTH))

    record.record_cancellation("b4", day(9))
    reached_again = record_all(record, visits(1, first=5), rules(FIFTH))

    assert set(record.reached) == {"fifth"}
    assert reached_again == []


def test_a_lowered_milestone_is_reached_once_however_often_it_is_due() -> None:
    tenant = programme(FIFTH)
    record = client_loyalty()
    record_all(record, visits(5), tenant.rules())

    tenant.edit_milestone("fifth", 3, "Now at 3", 10, 0)
    reached = record_all(record, visits(3, first=5), tenant.rules())

    assert reached == []
    assert list(record.reached) == ["fifth"]


def test_the_next_milestone_is_the_first_active_one_not_yet_reached() -> None:
    record = client_loyalty()
    counting = rules(FIFTH, TENTH_LONG, THIRD_LONG)
    record_all(record, visits(5, minutes=60), counting)

    assert set(record.reached) == {"fifth"}
    assert record.next_milestone(counting) == THIRD_LONG
    assert record.sessions_to_go(THIRD_LONG, counting) == 3
    assert record.next_milestone(rules()) is None


def test_sessions_to_go_is_zero_once_the_count_is_there() -> None:
    record = client_loyalty()
    record_all(record, visits(7), rules())

    assert record.sessions_to_go(FIFTH, rules(FIFTH)) == 0


def test_an_appointment_of_another_client_is_refused() -> None:
    record = client_loyalty()

    with pytest.raises(AppointmentOfAnotherClient):
        reach(record, appointment(client_id="someone-else"), rules(FIFTH))

    assert new_events(record) == []


def test_an_appointment_says_whether_it_earned_a_star() -> None:
    """`counted` feeds the public StarEarned fact: once per visit that becomes a star."""
    record = client_loyalty()
    record.collect_events()
    counted = []
    for booking in (
        appointment("main", visit_key="pair", occurred_at=day(1)),
        appointment("add-on", visit_key="pair", discounts=["back_to_back"], occurred_at=day(1)),
        appointment("eco", discounts=["eco"], price_minor=LIST_PRICE - 500, occurred_at=day(2)),
        appointment("full", occurred_at=day(3)),
        appointment("full", occurred_at=day(3)),  # a re-send
    ):
        record.record_appointment(booking, rules(), any_code)
        counted += [event.counted for event in new_events(record)]

    assert counted == [True, False, False, True]
