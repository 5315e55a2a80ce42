"""Attendance milestones for studios: what counts, the original count, and the automations."""

from collections.abc import Iterable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starcard_loyalty.domain.attendance import AttendanceMilestone, Source
from starcard_loyalty.domain.client import ClientLoyalty
from starcard_loyalty.domain.counting import CountingRules
from starcard_loyalty.domain.errors import DuplicateMilestone, InvalidMilestone
from starcard_loyalty.domain.programme import LoyaltyProgramme

from .factories import TENANT, any_code, appointment, client_loyalty, codes, day, new_events

pytestmark = pytest.mark.unit

KINDS = ("group_class", "appointment", "video")


def automation(
    count: int,
    *,
    message: str | None = None,
    discount_percent: int | None = None,
    tag: str | None = None,
    milestone_id: str | None = None,
) -> AttendanceMilestone:
    return AttendanceMilestone(
        milestone_id=milestone_id or f"class-{count}",
        count=count,
        message=message,
        discount_percent=discount_percent,
        tag=tag,
        active=True,
    )


def studio(
    *automations: AttendanceMilestone,
    source: Source = Source.BOOKINGS,
    kinds: Iterable[str] = KINDS,
) -> CountingRules:
    programme = LoyaltyProgramme(tenant_id=TENANT, name="Studio")
    programme.set_attendance_counting(source, kinds)
    for each in automations:
        programme.put_attendance_milestone(each)
    return programme.rules()


def book(record: ClientLoyalty, n: int, rules: CountingRules, kind: str = "group_class") -> None:
    record.note_booking(
        f"c{n}", kind=kind, starts_at=day(n), occurred_at=day(n), rules=rules, new_code=any_code
    )


def test_every_class_booking_counts_by_default() -> None:
    rules = studio()
    record = client_loyalty()
    for n in range(3):
        book(record, n, rules)
    assert record.attendance_count(rules) == 3


def test_only_checked_in_classes_count_when_check_ins_are_the_source_of_truth() -> None:
    rules = studio(source=Source.CHECK_INS)
    record = client_loyalty()
    for n in range(3):
        book(record, n, rules)
    record.check_in("c1", day(1), rules, any_code)
    assert record.attendance_count(rules) == 1


def test_a_check_in_before_its_booking_counts_once() -> None:
    rules = studio(source=Source.CHECK_INS)
    record = client_loyalty()
    record.check_in("c1", day(1), rules, any_code)
    assert record.attendance_count(rules) == 1
    book(record, 1, rules)
    record.check_in("c1", day(1), rules, any_code)
    assert record.attendance_count(rules) == 1


@pytest.mark.parametrize(
    ("kinds", "expected"),
    [(KINDS, 3), (("group_class",), 1), (("appointment", "video"), 2)],
)
def test_which_kinds_count_is_the_tenants_choice(kinds: tuple[str, ...], expected: int) -> None:
    rules = studio(kinds=kinds)
    record = client_loyalty()
    book(record, 0, rules, "group_class")
    book(record, 1, rules, "video")
    record.record_appointment(
        appointment("c2", occurred_at=day(2)), CountingRules(False, ()), any_code
    )
    assert record.attendance_count(rules) == expected


def test_a_completed_appointment_is_attended_even_when_only_check_ins_count() -> None:
    rules = studio(source=Source.CHECK_INS)
    record = client_loyalty()
    record.record_appointment(appointment("a1", occurred_at=day(1)), rules, any_code)
    assert record.attendance_count(rules) == 1


def test_a_cancelled_booking_never_counts() -> None:
    rules = studio()
    record = client_loyalty()
    book(record, 0, rules)
    book(record, 1, rules)
    record.record_cancellation("c1", day(1))
    record.check_in("c1", day(1), rules, any_code)
    assert record.attendance_count(rules) == 1


def test_the_original_milestone_is_added_to_what_starcard_counted() -> None:
    rules = studio(automation(50, message="Fifty classes!"))
    record = client_loyalty()
    book(record, 0, rules)
    issued = record.set_original_count(49, day(1), rules, any_code)
    assert record.attendance_count(rules) == 50
    assert [reward.message for reward in issued] == ["Fifty classes!"]


def test_milestones_passed_before_starcard_do_not_fire() -> None:
    rules = studio(automation(10, message="Ten!"), automation(50, message="Fifty!"))
    record = client_loyalty()
    record.set_original_count(45, day(0), rules, any_code)
    for n in range(5):
        book(record, n, rules)
    assert list(record.attendance_reached) == ["class-50"]


def test_an_automation_fires_once_with_its_email_reward_and_tag() -> None:
    rules = studio(
        automation(2, message="Two classes, well done!", discount_percent=10, tag="regulars")
    )
    record = client_loyalty()
    book(record, 0, rules)
    record.collect_events()
    new_code = codes()
    issued = record.note_booking(
        "c1",
        kind="group_class",
        starts_at=day(1),
        occurred_at=day(1),
        rules=rules,
        new_code=new_code,
    )
    names = [type(each).__name__ for each in new_events(record)]
    assert names == ["BookingNoted", "AttendanceMilestoneReached", "RewardIssued"]
    assert [(r.milestone_id, r.discount_percent, r.code) for r in issued] == [
        ("attendance-class-2", 10, "LOYAL-22222222")
    ]
    assert list(record.tags) == ["regulars"]
    book(record, 2, rules)
    book(record, 1, rules)
    assert [type(each).__name__ for each in new_events(record)] == ["BookingNoted"]


def test_a_tag_only_automation_sends_nothing() -> None:
    rules = studio(automation(1, tag="first class"))
    record = client_loyalty()
    book(record, 0, rules)
    assert record.rewards == {}
    assert list(record.tags) == ["first class"]


def test_an_attendance_reward_waits_behind_an_outstanding_code() -> None:
    rules = studio(
        automation(1, message="Welcome!", discount_percent=10),
        automation(2, message="Again!", discount_percent=15),
    )
    record = client_loyalty()
    book(record, 0, rules)
    book(record, 1, rules)
    assert [queued.milestone_id for queued in record.queue] == ["attendance-class-2"]


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"count": 0, "tag": "x"}, "at least 1"),
        ({"count": 5}, "needs an email message, a reward or a tag"),
        ({"count": 5, "discount_percent": 10}, "write the message too"),
        ({"count": 5, "tag": "Bad Tag!"}, "tag"),
        ({"count": 100_001, "tag": "far"}, "at most 100000"),
        ({"count": 5, "message": "Well\x00done"}, "control characters"),
    ],
)
def test_an_automation_that_could_not_work_is_refused_saying_why(
    fields: dict[str, object], problem: str
) -> None:
    programme = LoyaltyProgramme(tenant_id=TENANT, name="Studio")
    with pytest.raises(InvalidMilestone, match=problem):
        programme.put_attendance_milestone(automation(**fields))  # type: ignore[arg-type]


def test_two_automations_at_one_count_are_refused() -> None:
    programme = LoyaltyProgramme(tenant_id=TENANT, name="Studio")
    programme.put_attendance_milestone(automation(10, tag="ten", milestone_id="a"))
    with pytest.raises(DuplicateMilestone):
        programme.put_attendance_milestone(automation(10, tag="other", milestone_id="b"))


def test_unknown_kinds_are_refused() -> None:
    programme = LoyaltyProgramme(tenant_id=TENANT, name="Studio")
    with pytest.raises(InvalidMilestone, match="Unknown kinds"):
        programme.set_attendance_counting(Source.BOOKINGS, ["yoga"])


OPERATIONS = st.lists(
    st.tuples(st.sampled_from(["book", "check_in", "cancel"]), st.integers(0, 5)),
    max_size=25,
)


@given(OPERATIONS, st.randoms(use_true_random=False))
def test_the_count_does_not_depend_on_arrival_order_or_repeats(
    operations: list[tuple[str, int]], shuffler: object
) -> None:
    rules = studio(source=Source.CHECK_INS, kinds=("group_class",))

    def replay(ordered: list[tuple[str, int]]) -> int:
        record = client_loyalty()
        for what, n in ordered:
            if what == "book":
                book(record, n, rules)
            elif what == "check_in":
                record.check_in(f"c{n}", day(n), rules, any_code)
            else:
                record.record_cancellation(f"c{n}", day(n))
        return record.attendance_count(rules)

    shuffled = list(operations) * 2
    shuffler.shuffle(shuffled)  # type: ignore[attr-defined]
    assert replay(shuffled) == replay(operations)


def test_a_count_passed_before_the_automation_existed_is_not_celebrated_late() -> None:
    record = client_loyalty()
    for n in range(12):
        book(record, n, studio())
    later = studio(automation(10, message="Ten classes!"), automation(13, message="Thirteen!"))
    issued = record.note_booking(
        "c12", kind="group_class", starts_at=day(12), occurred_at=day(12), rules=later,
        new_code=any_code,
    )  # fmt: skip
    assert [reward.message for reward in issued] == ["Thirteen!"]
    assert list(record.attendance_reached) == ["class-13"]


def test_an_original_count_beyond_any_business_is_refused() -> None:
    record = client_loyalty()
    with pytest.raises(InvalidMilestone, match="0 to 100000"):
        record.set_original_count(100_001, day(1), studio(), any_code)
