"""A tenant's campaign programme: each campaign off until the tenant opts in, its settings within
bounds, the booking link the re-engagement messages carry, and what the campaigns share."""

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from starcard_campaigns.domain.errors import InvalidSettings
from starcard_campaigns.domain.ids import programme_id
from starcard_campaigns.domain.programme import (
    CAMPAIGNS,
    AnniversarySettings,
    BirthdaySettings,
    Campaign,
    CampaignProgramme,
    OfferSettings,
    ProgrammeSettings,
    ReengagementSettings,
)

from .factories import TENANT, event_names, new_events, stored_and_replayed

pytestmark = pytest.mark.unit

BOOKING_URL = "https://book.example.com/serenity"


def programme(booking_url: str | None = None) -> CampaignProgramme:
    """The test tenant's programme (with `booking_url`), its events collected."""
    opened = CampaignProgramme(tenant_id=TENANT, name="Glow Clinic")
    if booking_url is not None:
        opened.change_shared(booking_url=booking_url)
    opened.collect_events()
    return opened


def test_opening_a_programme_gives_it_the_tenants_id_and_name() -> None:
    opened = CampaignProgramme(tenant_id=TENANT, name="Glow Clinic")

    assert opened.id == programme_id(TENANT)
    assert (opened.tenant_id, opened.name) == (TENANT, "Glow Clinic")
    assert event_names(opened) == ["Opened"]


# -- defaults -------------------------------------------------------------------------------


@pytest.mark.parametrize("campaign", CAMPAIGNS)
def test_every_campaign_is_off_until_the_tenant_opts_in(campaign: Campaign) -> None:
    settings = programme().offers[campaign]

    assert settings.enabled is False
    assert settings.campaign == campaign
    assert settings.message.strip()


def test_the_birthday_reward_goes_the_week_before_with_ten_percent_for_thirty_days() -> None:
    birthday = programme().birthday

    assert isinstance(birthday, BirthdaySettings)
    assert (birthday.days_before, birthday.discount_percent, birthday.valid_days) == (7, 10, 30)
    assert birthday.message.startswith("Happy birthday")


def test_the_anniversary_offer_goes_on_the_day_with_ten_percent_for_thirty_days() -> None:
    anniversary = programme().anniversary

    assert isinstance(anniversary, AnniversarySettings)
    assert (anniversary.days_before, anniversary.discount_percent, anniversary.valid_days) == (
        0,
        10,
        30,
    )


def test_re_engagement_goes_at_60_90_and_120_days_with_fifteen_percent_for_two_weeks() -> None:
    reengagement = programme().reengagement

    assert isinstance(reengagement, ReengagementSettings)
    assert reengagement.steps_days == (60, 90, 120)
    assert reengagement.category_steps == {}
    assert (reengagement.discount_percent, reengagement.valid_days) == (15, 14)


def test_the_campaigns_share_no_link_a_ten_percent_hold_out_and_a_fourteen_day_window() -> None:
    assert programme().shared == ProgrammeSettings(
        booking_url=None, holdout_percent=10, attribution_days=14
    )


# -- changing a campaign --------------------------------------------------------------------


def test_a_change_records_the_whole_settings_of_the_campaign_and_keeps_the_others() -> None:
    tenant = programme()

    changed = tenant.change_campaign("birthday", enabled=True, discount_percent=15)

    assert changed == tenant.birthday == BirthdaySettings(enabled=True, discount_percent=15)
    assert tenant.anniversary == AnniversarySettings()
    [recorded] = new_events(tenant)
    assert (type(recorded).__name__, recorded.campaign) == ("CampaignSettingsChanged", "birthday")
    assert recorded.settings == {
        "enabled": True,
        "discount_percent": 15,
        "valid_days": 30,
        "message": BirthdaySettings().message,
        "reward": "discount",
        "add_on": None,
        "days_before": 7,
    }


@pytest.mark.parametrize("campaign", CAMPAIGNS)
def test_a_change_to_the_current_settings_records_nothing(campaign: Campaign) -> None:
    tenant = programme(BOOKING_URL)
    tenant.change_campaign(campaign, enabled=True, valid_days=20)
    tenant.collect_events()

    assert tenant.change_campaign(campaign, enabled=True, valid_days=20) == tenant.offers[campaign]
    assert tenant.change_campaign(campaign) == tenant.offers[campaign]
    assert new_events(tenant) == []


def test_steps_sent_as_json_lists_are_the_same_settings_as_tuples() -> None:
    tenant = programme()
    tenant.change_campaign(
        "reengagement", steps_days=[30, 60], category_steps={"injectables": [90, 120]}
    )
    tenant.collect_events()

    tenant.change_campaign(
        "reengagement", steps_days=(30, 60), category_steps={"injectables": (90, 120)}
    )

    settings = tenant.reengagement
    assert (settings.steps_days, settings.category_steps) == ((30, 60), {"injectables": (90, 120)})
    assert new_events(tenant) == []


@pytest.mark.parametrize(
    ("campaign", "changes"),
    [
        ("birthday", {"days_before": 0}),
        ("birthday", {"days_before": 28}),
        ("anniversary", {"days_before": 0}),
        ("anniversary", {"days_before": 28}),
        ("birthday", {"discount_percent": 1}),
        ("anniversary", {"discount_percent": 100}),
        ("reengagement", {"valid_days": 1}),
        ("reengagement", {"valid_days": 365}),
        ("birthday", {"message": "x"}),
        ("anniversary", {"message": "x" * 2000}),
        ("birthday", {"message": "Happy birthday!\nSee you soon.\tX"}),
        ("reengagement", {"steps_days": (1,)}),
        ("reengagement", {"steps_days": (30, 60, 90, 120, 730)}),
        ("reengagement", {"category_steps": {"Injectables": (90, 180)}}),
        ("reengagement", {"category_steps": {"Skin & Body / laser-IPL_2.0": (45,)}}),
        ("reengagement", {"category_steps": {"x" * 64: (45,)}}),
        ("birthday", {"reward": "points"}),
        ("anniversary", {"reward": "add_on", "add_on": "x"}),
        ("birthday", {"reward": "add_on", "add_on": "Scalp massage, 15 min " + "x" * 58}),
        ("anniversary", {"add_on": "Brow tint"}),
    ],
)
def test_settings_at_their_bounds_are_accepted(campaign: Campaign, changes: dict[str, Any]) -> None:
    tenant = programme()

    settings = tenant.change_campaign(campaign, **changes)

    for name, value in changes.items():
        assert getattr(settings, name) == value


STEPS_ADVICE = "must be 1 to 5 whole numbers of days from 1 to 730, rising"


@pytest.mark.parametrize(
    ("campaign", "changes", "advice"),
    [
        (
            "birthday",
            {"days_before": -1},
            "days_before must be a whole number from 0 to 28 (got -1)",
        ),
        (
            "birthday",
            {"days_before": 29},
            "days_before must be a whole number from 0 to 28 (got 29)",
        ),
        ("anniversary", {"days_before": 29}, "from 0 to 28 (got 29)"),
        ("birthday", {"days_before": "7"}, "from 0 to 28 (got '7')"),
        (
            "birthday",
            {"discount_percent": 0},
            "discount_percent must be a whole number from 1 to 100",
        ),
        ("anniversary", {"discount_percent": 101}, "from 1 to 100 (got 101)"),
        ("reengagement", {"discount_percent": True}, "from 1 to 100 (got True)"),
        ("birthday", {"valid_days": 0}, "valid_days must be a whole number from 1 to 365 (got 0)"),
        ("reengagement", {"valid_days": 366}, "from 1 to 365 (got 366)"),
        ("birthday", {"message": ""}, "message must not be blank"),
        ("anniversary", {"message": "  \n"}, "message must not be blank"),
        ("reengagement", {"message": "x" * 2001}, "message must be at most 2000 characters"),
        ("birthday", {"message": "Happy\x00birthday"}, "message must not contain control"),
        ("birthday", {"message": None}, "message must be text (got None)"),
        ("anniversary", {"enabled": "yes"}, "enabled must be true or false (got 'yes')"),
        ("reengagement", {"steps_days": ()}, f"steps_days {STEPS_ADVICE}"),
        ("reengagement", {"steps_days": (0, 60)}, f"steps_days {STEPS_ADVICE}"),
        ("reengagement", {"steps_days": (60, 731)}, f"steps_days {STEPS_ADVICE}"),
        ("reengagement", {"steps_days": (10, 20, 30, 40, 50, 60)}, f"steps_days {STEPS_ADVICE}"),
        ("reengagement", {"steps_days": ("60",)}, f"steps_days {STEPS_ADVICE}"),
        ("reengagement", {"steps_days": (True,)}, f"steps_days {STEPS_ADVICE}"),
        ("reengagement", {"steps_days": 60}, f"steps_days {STEPS_ADVICE}"),
        ("reengagement", {"category_steps": {"facials": ()}}, "category_steps['facials'] must be"),
        ("reengagement", {"category_steps": ["facials"]}, "category_steps must map a category"),
        ("birthday", {"days": 7}, "Unknown birthday setting 'days'"),
        ("birthday", {"steps_days": (60,)}, "Unknown birthday setting 'steps_days'"),
        ("reengagement", {"days_before": 7}, "Unknown reengagement setting 'days_before'"),
        (
            "birthday",
            {"reward": "voucher"},
            "reward must be one of discount, add_on, points (got 'voucher')",
        ),
        ("anniversary", {"reward": None}, "reward must be one of discount, add_on, points"),
        (
            "birthday",
            {"reward": "add_on"},
            "add_on must name the complimentary add-on when reward is add_on",
        ),
        ("anniversary", {"reward": "add_on", "add_on": " "}, "add_on must not be blank"),
        ("birthday", {"add_on": "x" * 81}, "add_on must be at most 80 characters (got 81)"),
        ("birthday", {"add_on": "Scalp\nmassage"}, "add_on must be one line: no line breaks"),
        ("anniversary", {"add_on": "Scalp\x00massage"}, "add_on must not contain control"),
        ("birthday", {"add_on": 15}, "add_on must be text (got 15)"),
        ("reengagement", {"reward": "points"}, "Unknown reengagement setting 'reward'"),
        ("reengagement", {"add_on": "Brow tint"}, "Unknown reengagement setting 'add_on'"),
    ],
)
def test_settings_out_of_bounds_are_refused_saying_what_to_fix(
    campaign: Campaign, changes: dict[str, Any], advice: str
) -> None:
    tenant = programme()
    before = tenant.offers[campaign]

    with pytest.raises(InvalidSettings) as refused:
        tenant.change_campaign(campaign, **changes)

    assert any(advice in problem for problem in refused.value.problems), refused.value.problems
    assert tenant.offers[campaign] == before
    assert new_events(tenant) == []


@pytest.mark.parametrize(
    "steps", [(90, 60), (60, 60), (60, 90, 90), (60, 120, 90)], ids=lambda s: repr(list(s))
)
def test_re_engagement_steps_must_rise(steps: tuple[int, ...]) -> None:
    with pytest.raises(InvalidSettings, match="rising"):
        programme().change_campaign("reengagement", steps_days=steps)
    with pytest.raises(InvalidSettings, match=r"category_steps\['injectables'\] must be"):
        programme().change_campaign("reengagement", category_steps={"injectables": steps})


@pytest.mark.parametrize(
    "category", ["", " facials", "-facials", "x" * 65, "facials\n", "faci#als", "☺"]
)
def test_a_category_name_is_letters_digits_spaces_and_a_few_signs(category: str) -> None:
    with pytest.raises(InvalidSettings) as refused:
        programme().change_campaign("reengagement", category_steps={category: (90,)})

    assert refused.value.problems == (
        f"category_steps has a category {category!r} that is not one: a category is 1 to 64 "
        "letters, digits, spaces or _ . & / -.",
    )


def test_a_refusal_names_every_problem_one_line_each() -> None:
    tenant = programme()

    with pytest.raises(InvalidSettings) as refused:
        tenant.change_campaign(
            "reengagement",
            enabled=True,
            discount_percent=0,
            valid_days=366,
            message=" ",
            steps_days=(90, 60),
            category_steps={"injectables": (0,)},
        )

    problems = refused.value.problems
    assert len(problems) == 5
    for name in ("discount_percent", "valid_days", "message", "steps_days", "category_steps"):
        assert sum(problem.startswith(name) for problem in problems) == 1
    assert new_events(tenant) == []


def test_a_reward_refusal_names_every_problem_of_what_it_gives() -> None:
    with pytest.raises(InvalidSettings) as refused:
        programme().change_campaign("birthday", reward="gift", add_on="x" * 81, discount_percent=0)

    assert [problem.split(" ")[0] for problem in refused.value.problems] == [
        "discount_percent",
        "reward",
        "add_on",
    ]


def test_every_unknown_setting_is_named() -> None:
    with pytest.raises(InvalidSettings) as refused:
        programme().change_campaign("anniversary", enabled=True, days=7, percent=10)

    assert [problem.split(":")[0] for problem in refused.value.problems] == [
        "Unknown anniversary setting 'days'",
        "Unknown anniversary setting 'percent'",
    ]
    assert all("enabled, discount_percent" in problem for problem in refused.value.problems)


# -- what a celebration gives ----------------------------------------------------------------


@pytest.mark.parametrize("campaign", ["birthday", "anniversary"])
def test_a_celebration_gives_a_discount_code_unless_the_tenant_chooses_otherwise(
    campaign: Campaign,
) -> None:
    """ "A treatment discount code, a complimentary add-on, or a points bonus." """
    tenant = programme()
    assert tenant.offers[campaign].gives() == ("discount", None)

    tenant.change_campaign(campaign, reward="add_on", add_on="Scalp massage, 15 min")
    assert tenant.offers[campaign].gives() == ("add_on", "Scalp massage, 15 min")

    # The add-on's name is kept for a switch back, but only an add-on reward gives it.
    tenant.change_campaign(campaign, reward="points")
    assert tenant.offers[campaign].gives() == ("points", None)
    assert tenant.change_campaign(campaign, reward="add_on").gives() == (
        "add_on",
        "Scalp massage, 15 min",
    )


def test_re_engagement_always_gives_a_discount_code() -> None:
    """Its offer is a time-limited booking offer."""
    assert ReengagementSettings().gives() == ("discount", None)


def test_settings_stored_before_rewards_had_kinds_replay_as_a_discount() -> None:
    tenant = CampaignProgramme(tenant_id=TENANT, name="Glow Clinic")
    old: dict[str, Any] = {
        "enabled": True,
        "discount_percent": 20,
        "valid_days": 10,
        "message": "A year already!",
        "days_before": 2,
    }
    tenant._change_campaign(campaign="anniversary", settings=old)

    replayed = stored_and_replayed(tenant)

    assert replayed.anniversary == AnniversarySettings(**old)
    assert (replayed.anniversary.reward, replayed.anniversary.add_on) == ("discount", None)


# -- re-engagement steps by category --------------------------------------------------------


def test_a_category_with_its_own_steps_uses_them_and_every_other_the_tenants() -> None:
    """ "Injectables clients rebook on another cycle than facial clients." """
    settings = ReengagementSettings(category_steps={"injectables": (90, 120, 150)})

    assert settings.steps_for("injectables") == (90, 120, 150)
    assert settings.steps_for("facials") == (60, 90, 120)
    assert settings.steps_for(None) == (60, 90, 120)
    assert sorted(settings.all_steps) == [60, 90, 90, 120, 120, 150]


# -- what the campaigns share ---------------------------------------------------------------


def test_a_shared_change_records_the_whole_shared_settings() -> None:
    tenant = programme()

    changed = tenant.change_shared(booking_url=BOOKING_URL, holdout_percent=20)

    assert changed == tenant.shared == ProgrammeSettings(BOOKING_URL, 20, 14)
    [recorded] = new_events(tenant)
    assert type(recorded).__name__ == "SharedSettingsChanged"
    assert recorded.settings == {
        "booking_url": BOOKING_URL,
        "holdout_percent": 20,
        "attribution_days": 14,
    }


def test_a_shared_change_to_the_current_settings_records_nothing() -> None:
    tenant = programme(BOOKING_URL)

    assert tenant.change_shared(booking_url=BOOKING_URL, holdout_percent=10) == tenant.shared
    assert tenant.change_shared() == tenant.shared
    assert new_events(tenant) == []


@pytest.mark.parametrize(
    "changes",
    [
        {"holdout_percent": 0},
        {"holdout_percent": 50},
        {"attribution_days": 1},
        {"attribution_days": 90},
        {"booking_url": "https://book.example.com"},
        {"booking_url": "https://glow-clinic.co.uk/book?service=facials#today"},
        {"booking_url": "https://b.io/" + "x" * 487},
        {"booking_url": None},
    ],
)
def test_shared_settings_at_their_bounds_are_accepted(changes: dict[str, Any]) -> None:
    settings = programme().change_shared(**changes)

    for name, value in changes.items():
        assert getattr(settings, name) == value


@pytest.mark.parametrize(
    ("changes", "advice"),
    [
        ({"holdout_percent": -1}, "holdout_percent must be a whole number from 0 to 50 (got -1)"),
        ({"holdout_percent": 51}, "holdout_percent must be a whole number from 0 to 50 (got 51)"),
        ({"holdout_percent": 10.5}, "from 0 to 50 (got 10.5)"),
        ({"attribution_days": 0}, "attribution_days must be a whole number from 1 to 90 (got 0)"),
        ({"attribution_days": 91}, "from 1 to 90 (got 91)"),
        ({"booking_url": "http://book.example.com"}, "booking_url must be the https address"),
        ({"booking_url": "https://localhost/book"}, "booking_url must be the https address"),
        ({"booking_url": "https://book example.com"}, "booking_url must be the https address"),
        ({"booking_url": f"{BOOKING_URL}\n"}, "booking_url must be the https address"),
        ({"booking_url": "javascript:alert(1)"}, "booking_url must be the https address"),
        ({"booking_url": "https://b.io/" + "x" * 488}, "booking_url must be the https address"),
        ({"booking_url": ""}, "booking_url must be the https address"),
        # What the notice's URL type refuses (a message with it could not be published).
        ({"booking_url": "https://book.example.com:99999/x"}, "booking_url must be the https"),
        ({"booking_url": "https://book.example.com:abc/"}, "booking_url must be the https"),
        ({"booking_url": "https://bo<ok.example.com/"}, "booking_url must be the https"),
        ({"booking_url": "https://exa%mple.com/"}, "booking_url must be the https"),
        ({"booking_url": 42}, "booking_url must be the https address"),
        ({"holdout": 10}, "Unknown campaigns setting 'holdout'"),
    ],
)
def test_shared_settings_out_of_bounds_are_refused_saying_what_to_fix(
    changes: dict[str, Any], advice: str
) -> None:
    tenant = programme()

    with pytest.raises(InvalidSettings) as refused:
        tenant.change_shared(**changes)

    assert any(advice in problem for problem in refused.value.problems), refused.value.problems
    assert tenant.shared == ProgrammeSettings()
    assert new_events(tenant) == []


def test_re_engagement_cannot_be_switched_on_before_there_is_a_booking_link() -> None:
    tenant = programme()

    with pytest.raises(InvalidSettings, match="set booking_url"):
        tenant.change_campaign("reengagement", enabled=True)

    assert tenant.reengagement.enabled is False
    assert new_events(tenant) == []


def test_re_engagement_is_switched_on_once_there_is_a_booking_link() -> None:
    tenant = programme(BOOKING_URL)

    assert tenant.change_campaign("reengagement", enabled=True).enabled is True


def test_the_booking_link_stays_while_re_engagement_is_on() -> None:
    tenant = programme(BOOKING_URL)
    tenant.change_campaign("reengagement", enabled=True)
    tenant.collect_events()

    with pytest.raises(InvalidSettings, match="switch them off first"):
        tenant.change_shared(booking_url=None)
    assert tenant.shared.booking_url == BOOKING_URL
    assert new_events(tenant) == []

    tenant.change_shared(booking_url="https://book.example.com/glow")
    tenant.change_campaign("reengagement", enabled=False)
    tenant.change_shared(booking_url=None)
    assert tenant.shared.booking_url is None


@pytest.mark.parametrize("campaign", ["birthday", "anniversary"])
def test_the_other_campaigns_need_no_booking_link(campaign: Campaign) -> None:
    tenant = programme()

    assert tenant.change_campaign(campaign, enabled=True).enabled is True


# -- records --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "settings",
    [
        BirthdaySettings(enabled=True, days_before=3, discount_percent=20, valid_days=14),
        AnniversarySettings(
            enabled=True,
            days_before=5,
            message="A year already!",
            reward="add_on",
            add_on="Brow tint",
        ),
        ReengagementSettings(
            enabled=True, steps_days=(45, 75), category_steps={"injectables": (90, 120)}
        ),
    ],
    ids=CAMPAIGNS,
)
def test_settings_survive_their_record(settings: OfferSettings) -> None:
    assert type(settings).from_record(settings.to_record()) == settings


def test_a_code_works_valid_days_from_its_day_to_midnight_in_the_tenants_zone() -> None:
    settings = ReengagementSettings(valid_days=14)
    new_york = ZoneInfo("America/New_York")

    assert settings.last_valid_day(date(2025, 3, 7)) == date(2025, 3, 20)
    # Midnight after 20 March in New York, a daylight-saving change (9 March) in between.
    assert settings.code_expiry(date(2025, 3, 7), new_york) == datetime(
        2025, 3, 21, 4, 0, tzinfo=UTC
    )
    assert settings.code_expiry(date(2025, 3, 7), UTC) == datetime(2025, 3, 21, tzinfo=UTC)


def test_a_programme_survives_storing_and_replaying_every_kind_of_event() -> None:
    tenant = CampaignProgramme(tenant_id=TENANT, name="Glow Clinic")
    tenant.change_shared(booking_url=BOOKING_URL, holdout_percent=0, attribution_days=30)
    tenant.change_campaign("birthday", enabled=True, days_before=3, message="Happy birthday!")
    tenant.change_campaign("anniversary", enabled=True, days_before=1)
    tenant.change_campaign(
        "reengagement",
        enabled=True,
        steps_days=[45, 75],
        category_steps={"injectables": [90, 120]},
    )

    replayed = stored_and_replayed(tenant)

    assert replayed == tenant
    assert replayed.shared == tenant.shared
    assert replayed.offers == tenant.offers
    assert replayed.reengagement.steps_for("injectables") == (90, 120)


def test_a_programme_stored_by_the_first_release_replays_its_birthday_settings() -> None:
    programme = CampaignProgramme(tenant_id=TENANT, name="Glow Clinic")
    old: dict[str, Any] = {
        "enabled": True,
        "days_before": 5,
        "discount_percent": 20,
        "valid_days": 10,
    }
    programme._change_birthday(settings={**old, "message": "Happy birthday!"})

    replayed = stored_and_replayed(programme)

    assert replayed.birthday == BirthdaySettings(**old, message="Happy birthday!")
    assert replayed.anniversary == AnniversarySettings()
