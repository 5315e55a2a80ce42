"""A client's calendar: the birthday of the latest client record, and the first treatment."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starcard_campaigns.domain.birthdays import MonthDay
from starcard_campaigns.domain.calendar import ClientCalendar
from starcard_campaigns.domain.ids import client_calendar_id

from .factories import CLIENT, TENANT, event_names, new_events, stored_and_replayed

pytestmark = pytest.mark.unit

TREATMENT_DAYS = st.lists(
    st.dates(min_value=date(2015, 1, 1), max_value=date(2030, 12, 31)), min_size=1, max_size=20
)


def calendar_of_client(birthday: MonthDay | None = None) -> ClientCalendar:
    """The test client's calendar, with `birthday` noted, its events collected."""
    started = ClientCalendar(tenant_id=TENANT, client_id=CLIENT)
    started.note_birthday(birthday)
    started.collect_events()
    return started


def test_a_calendar_starts_knowing_no_birthday_and_no_treatment() -> None:
    started = ClientCalendar(tenant_id=TENANT, client_id=CLIENT)

    assert started.id == client_calendar_id(TENANT, CLIENT)
    assert (started.tenant_id, started.client_id) == (TENANT, CLIENT)
    assert (started.birthday, started.first_treatment_on) == (None, None)
    assert event_names(started) == ["Started"]


@pytest.mark.parametrize(
    ("known", "sent"),
    [(None, MonthDay(3, 14)), (MonthDay(3, 14), MonthDay(2, 29))],
    ids=["new", "changed"],
)
def test_a_new_or_changed_birthday_is_noted_with_its_month_and_day(
    known: MonthDay | None, sent: MonthDay
) -> None:
    client = calendar_of_client(known)

    client.note_birthday(sent)

    assert client.birthday == sent
    [noted] = new_events(client)
    assert (type(noted).__name__, noted.month, noted.day) == ("BirthdayNoted", sent.month, sent.day)


def test_a_resent_client_record_with_the_same_birthday_records_nothing() -> None:
    client = calendar_of_client(MonthDay(3, 14))

    client.note_birthday(MonthDay(3, 14))

    assert new_events(client) == []


def test_a_client_record_without_the_birthday_removes_it_once() -> None:
    client = calendar_of_client(MonthDay(3, 14))

    client.note_birthday(None)
    client.note_birthday(None)

    assert client.birthday is None
    assert event_names(client) == ["BirthdayRemoved"]


def test_a_client_record_without_a_birthday_never_given_records_nothing() -> None:
    client = calendar_of_client()

    client.note_birthday(None)

    assert new_events(client) == []


@given(TREATMENT_DAYS, st.data())
def test_the_first_treatment_is_the_earliest_whatever_the_order(
    days: list[date], data: st.DataObject
) -> None:
    """Completions arrive in any order, some twice (a re-sent event)."""
    duplicates = data.draw(st.lists(st.sampled_from(days), max_size=5))
    delivered = data.draw(st.permutations(days + duplicates))
    client = calendar_of_client()

    for day in delivered:
        client.note_treatment(day)

    assert client.first_treatment_on == min(days)


@given(TREATMENT_DAYS)
def test_each_earlier_treatment_records_one_event_and_no_other_does(days: list[date]) -> None:
    client = calendar_of_client()
    improvements = [day for n, day in enumerate(days) if all(day < seen for seen in days[:n])]

    for day in days:
        client.note_treatment(day)

    noted = new_events(client)
    assert {type(each).__name__ for each in noted} <= {"FirstTreatmentNoted"}
    assert [each.day for each in noted] == [day.isoformat() for day in improvements]


def test_a_calendar_survives_storing_and_replaying_every_kind_of_event() -> None:
    client = ClientCalendar(tenant_id=TENANT, client_id=CLIENT)
    client.note_birthday(MonthDay(2, 29))
    client.note_birthday(None)
    client.note_birthday(MonthDay(12, 31))
    client.note_treatment(date(2025, 3, 14))
    client.note_treatment(date(2024, 1, 2))

    replayed = stored_and_replayed(client)

    assert replayed == client
    assert (replayed.birthday, replayed.first_treatment_on) == (MonthDay(12, 31), date(2024, 1, 2))
