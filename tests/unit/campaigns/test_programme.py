"""A tenant's campaign programme: the birthday settings, off until the tenant opts in."""

from datetime import UTC, datetime
from typing import Any

import pytest
from starcard_campaigns.domain.errors import InvalidSettings
from starcard_campaigns.domain.ids import programme_id
from starcard_campaigns.domain.programme import (
    DEFAULT_BIRTHDAY_MESSAGE,
    BirthdaySettings,
    CampaignProgramme,
)

from .factories import TENANT, event_names, new_events, stored_and_replayed

pytestmark = pytest.mark.unit


def programme() -> CampaignProgramme:
    """The test tenant's programme, its "Opened" event collected."""
    opened = CampaignProgramme(tenant_id=TENANT, name="Glow Clinic")
    opened.collect_events()
    return opened


def test_opening_a_programme_gives_it_the_tenants_id_and_name() -> None:
    opened = CampaignProgramme(tenant_id=TENANT, name="Glow Clinic")

    assert opened.id == programme_id(TENANT)
    assert (opened.tenant_id, opened.name) == (TENANT, "Glow Clinic")
    assert event_names(opened) == ["Opened"]


def test_the_birthday_campaign_is_off_until_the_tenant_opts_in() -> None:
    assert programme().birthday == BirthdaySettings(
        enabled=False,
        days_before=7,
        discount_percent=10,
        valid_days=30,
        message=DEFAULT_BIRTHDAY_MESSAGE,
    )


def test_a_change_records_the_whole_settings_and_keeps_the_others() -> None:
    tenant = programme()

    changed = tenant.change_birthday(enabled=True, discount_percent=15)

    assert changed == tenant.birthday == BirthdaySettings(enabled=True, discount_percent=15)
    [recorded] = new_events(tenant)
    assert type(recorded).__name__ == "BirthdaySettingsChanged"
    assert recorded.settings == {
        "enabled": True,
        "days_before": 7,
        "discount_percent": 15,
        "valid_days": 30,
        "message": DEFAULT_BIRTHDAY_MESSAGE,
    }


def test_a_change_to_the_current_settings_records_nothing() -> None:
    tenant = programme()
    tenant.change_birthday(enabled=True)
    tenant.collect_events()

    assert tenant.change_birthday(enabled=True, days_before=7) == tenant.birthday
    assert tenant.change_birthday() == tenant.birthday
    assert new_events(tenant) == []


@pytest.mark.parametrize(
    "changes",
    [
        {"days_before": 0},
        {"days_before": 28},
        {"discount_percent": 1},
        {"discount_percent": 100},
        {"valid_days": 1},
        {"valid_days": 365},
        {"message": "x"},
        {"message": "x" * 2000},
        {"message": "Happy birthday!\nSee you soon.\tX"},
    ],
)
def test_settings_at_their_bounds_are_accepted(changes: dict[str, Any]) -> None:
    tenant = programme()

    settings = tenant.change_birthday(**changes)

    for name, value in changes.items():
        assert getattr(settings, name) == value


@pytest.mark.parametrize(
    ("changes", "advice"),
    [
        ({"days_before": -1}, "days_before must be a whole number from 0 to 28 (got -1)"),
        ({"days_before": 29}, "days_before must be a whole number from 0 to 28 (got 29)"),
        ({"days_before": "7"}, "days_before must be a whole number from 0 to 28 (got '7')"),
        ({"discount_percent": 0}, "discount_percent must be a whole number from 1 to 100 (got 0)"),
        ({"discount_percent": 101}, "from 1 to 100 (got 101)"),
        ({"discount_percent": True}, "from 1 to 100 (got True)"),
        ({"valid_days": 0}, "valid_days must be a whole number from 1 to 365 (got 0)"),
        ({"valid_days": 366}, "valid_days must be a whole number from 1 to 365 (got 366)"),
        ({"message": ""}, "message must not be blank"),
        ({"message": "  \n"}, "message must not be blank"),
        ({"message": "x" * 2001}, "message must be at most 2000 characters (got 2001)"),
        ({"message": "Happy\x00birthday"}, "message must not contain control characters"),
        ({"message": None}, "message must be text (got None)"),
        ({"enabled": "yes"}, "enabled must be true or false (got 'yes')"),
        ({"days": 7}, "Unknown birthday setting 'days'"),
    ],
)
def test_settings_out_of_bounds_are_refused_saying_what_to_fix(
    changes: dict[str, Any], advice: str
) -> None:
    tenant = programme()

    with pytest.raises(InvalidSettings) as refused:
        tenant.change_birthday(**changes)

    assert any(advice in problem for problem in refused.value.problems), refused.value.problems
    assert tenant.birthday == BirthdaySettings()
    assert new_events(tenant) == []


def test_a_refusal_names_every_problem_one_line_each() -> None:
    tenant = programme()

    with pytest.raises(InvalidSettings) as refused:
        tenant.change_birthday(
            enabled=True, days_before=29, discount_percent=0, valid_days=366, message=" "
        )

    problems = refused.value.problems
    assert len(problems) == 4
    for name in ("days_before", "discount_percent", "valid_days", "message"):
        assert sum(problem.startswith(name) for problem in problems) == 1
    assert new_events(tenant) == []


def test_every_unknown_setting_is_named() -> None:
    with pytest.raises(InvalidSettings) as refused:
        programme().change_birthday(enabled=True, days=7, percent=10)

    assert [problem.split(":")[0] for problem in refused.value.problems] == [
        "Unknown birthday setting 'days'",
        "Unknown birthday setting 'percent'",
    ]


def test_settings_survive_their_record() -> None:
    settings = BirthdaySettings(enabled=True, days_before=3, discount_percent=20, valid_days=14)

    assert BirthdaySettings.from_record(settings.to_record()) == settings


def test_a_birthday_code_expires_valid_days_after_it_is_issued() -> None:
    issued_at = datetime(2025, 3, 7, 6, 0, tzinfo=UTC)

    assert BirthdaySettings(valid_days=30).reward_expiry(issued_at) == datetime(
        2025, 4, 6, 6, 0, tzinfo=UTC
    )


def test_a_programme_survives_storing_and_replaying_every_kind_of_event() -> None:
    tenant = CampaignProgramme(tenant_id=TENANT, name="Glow Clinic")
    tenant.change_birthday(enabled=True, days_before=3, message="Happy birthday, from us!")

    replayed = stored_and_replayed(tenant)

    assert replayed == tenant
    assert replayed.birthday == tenant.birthday
