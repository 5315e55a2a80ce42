"""A tenant's time settings: its IANA time zone, and quiet hours in local time (21:00 to 09:00
unless it says otherwise, none if it says so), kept on its loyalty programme."""

from datetime import time
from typing import Any

import pytest
from starcard_loyalty.domain.errors import InvalidTimeSettings
from starcard_loyalty.domain.locale_settings import (
    DEFAULT_QUIET_HOURS,
    QuietHours,
    TimeSettings,
    TimeSettingsRecord,
    quiet_hours_record,
)
from starcard_loyalty.domain.programme import LoyaltyProgramme

from .factories import event_names, new_events, programme

pytestmark = pytest.mark.unit

AUCKLAND = TimeSettings("Pacific/Auckland", QuietHours(time(22), time(7, 30)))


def written(time_zone: str = "UTC", quiet_hours: Any = None) -> TimeSettingsRecord:
    return {"time_zone": time_zone, "quiet_hours": quiet_hours}


def refusal(record: TimeSettingsRecord) -> tuple[str, ...]:
    with pytest.raises(InvalidTimeSettings) as refused:
        TimeSettings.parse(record)
    return refused.value.problems


def test_a_new_programme_is_in_utc_and_quiet_from_21_00_to_09_00() -> None:
    assert programme().time_settings == TimeSettings("UTC", QuietHours(time(21), time(9)))
    assert quiet_hours_record(DEFAULT_QUIET_HOURS) == {"start": "21:00", "end": "09:00"}


def test_settings_are_read_as_a_tenant_writes_them() -> None:
    assert (
        TimeSettings.parse(written("Pacific/Auckland", {"start": "22:00", "end": "07:30"}))
        == AUCKLAND
    )
    assert TimeSettings.parse(written("Europe/London")) == TimeSettings("Europe/London", None)


def test_quiet_hours_may_run_past_midnight_or_lie_within_a_day() -> None:
    overnight = TimeSettings.parse(written(quiet_hours={"start": "23:15", "end": "06:00"}))
    siesta = TimeSettings.parse(written(quiet_hours={"start": "13:00", "end": "15:00"}))

    assert overnight.quiet_hours == QuietHours(time(23, 15), time(6))
    assert siesta.quiet_hours == QuietHours(time(13), time(15))


@pytest.mark.parametrize("zone", ["Mars/Base", "europe/london", "America", "", "localtime"])
def test_a_zone_the_zone_database_does_not_know_as_a_place_is_refused(zone: str) -> None:
    assert refusal(written(zone)) == (
        f"time_zone must be an IANA time zone such as Europe/London (got {zone!r}).",
    )


def test_a_path_is_not_a_zone() -> None:
    assert refusal(written("../../etc/passwd"))[0].startswith("time_zone must be an IANA")


def test_every_problem_is_named_at_once() -> None:
    assert refusal(written("Mars/Base", {"start": "25:00", "end": "9am"})) == (
        "time_zone must be an IANA time zone such as Europe/London (got 'Mars/Base').",
        "quiet_hours.start must be a local time as HH:MM, such as 21:00 (got '25:00').",
        "quiet_hours.end must be a local time as HH:MM, such as 21:00 (got '9am').",
    )


def test_quiet_hours_of_no_length_are_refused_saying_how_to_have_none() -> None:
    assert refusal(written(quiet_hours={"start": "21:00", "end": "21:00"})) == (
        "quiet_hours must start and end at different times (got 21:00 to 21:00); send null "
        "for no quiet hours.",
    )


def test_setting_them_records_one_event_and_setting_them_again_none() -> None:
    tenant = programme()

    tenant.set_time_settings(AUCKLAND)
    assert event_names(tenant) == ["TimeSettingsChanged"]
    tenant.set_time_settings(AUCKLAND)
    assert event_names(tenant) == []
    assert tenant.time_settings == AUCKLAND


def test_the_programme_refuses_settings_that_were_not_checked() -> None:
    tenant = programme()

    with pytest.raises(InvalidTimeSettings):
        tenant.set_time_settings(TimeSettings("Mars/Base"))
    assert event_names(tenant) == []


def test_a_replayed_programme_has_the_settings_it_recorded() -> None:
    opened = LoyaltyProgramme(tenant_id="anna", name="Anna Massage")
    opened.set_time_settings(AUCKLAND)
    opened.set_time_settings(TimeSettings("America/New_York", None))

    replayed = None
    for each in new_events(opened):
        replayed = each.mutate(replayed)

    assert replayed is not None
    assert replayed.time_settings == TimeSettings("America/New_York", None)
