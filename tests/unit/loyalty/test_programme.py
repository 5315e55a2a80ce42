"""A tenant's loyalty programme: milestones and the counting toggle."""

import re
from collections.abc import Callable

import pytest
from starcard_loyalty.domain.errors import DuplicateMilestone, InvalidMilestone, MilestoneNotFound
from starcard_loyalty.domain.ids import programme_id
from starcard_loyalty.domain.programme import LoyaltyProgramme

from .factories import TENANT, event_names, milestone, new_events, programme

pytestmark = pytest.mark.unit


def test_opening_a_programme_gives_it_the_tenants_id() -> None:
    opened = LoyaltyProgramme(tenant_id=TENANT, name="Loyalty")

    assert opened.id == programme_id(TENANT)
    assert (opened.tenant_id, opened.name) == (TENANT, "Loyalty")
    assert event_names(opened) == ["Opened"]


def test_a_new_programme_counts_full_price_sessions_only_and_has_no_milestones() -> None:
    opened = LoyaltyProgramme(tenant_id=TENANT, name="Loyalty")

    assert not opened.count_discounted_sessions
    assert opened.rules().milestones == ()


def test_an_added_milestone_is_active_and_recorded_with_its_fields() -> None:
    tenant = programme()

    tenant.add_milestone("tenth", 10, "25% off your next visit", 25, 60)

    assert tenant.get_milestone("tenth") == milestone(
        "tenth", 10, min_minutes=60, discount_percent=25, message="25% off your next visit"
    )
    [added] = new_events(tenant)
    assert type(added).__name__ == "MilestoneAdded"
    assert (
        added.milestone_id,
        added.session_count,
        added.message,
        added.discount_percent,
        added.min_minutes,
    ) == ("tenth", 10, "25% off your next visit", 25, 60)


@pytest.mark.parametrize(
    ("add", "advice"),
    [
        (lambda t: t.add_milestone("fifth", 0, "Thanks!", 10, 0), "at least 1 (got 0)"),
        (lambda t: t.add_milestone("fifth", 5, "  ", 10, 0), "message must not be blank"),
        (lambda t: t.add_milestone("fifth", 5, "x" * 2001, 10, 0), "2000 characters (got 2001)"),
        (lambda t: t.add_milestone("fifth", 5, "Thanks!", 0, 0), "1 and 100 percent (got 0)"),
        (lambda t: t.add_milestone("fifth", 5, "Thanks!", 101, 0), "1 and 100 percent (got 101)"),
        (lambda t: t.add_milestone("fifth", 5, "Thanks!", 10, -15), "0 or more minutes (got -15)"),
        (lambda t: t.add_milestone(" ", 5, "Thanks!", 10, 0), "milestone id must not be blank"),
        (
            lambda t: t.add_milestone("fifth", 109839338902283546211123200, "Thanks!", 10, 0),
            "at most 100000 (got 109839338902283546211123200)",
        ),
        (lambda t: t.add_milestone("fifth", 5, "Thanks!", 10, 1441), "at most 1440 minutes"),
        (lambda t: t.add_milestone("fifth", 5, "Tha\x00nks", 10, 0), "control characters"),
    ],
)
def test_an_invalid_milestone_is_refused_saying_what_to_fix(
    add: Callable[[LoyaltyProgramme], None], advice: str
) -> None:
    tenant = programme()

    with pytest.raises(InvalidMilestone, match=re.escape(advice)):
        add(tenant)

    assert tenant.milestones == {}
    assert new_events(tenant) == []


def test_an_invalid_milestone_lists_every_problem() -> None:
    tenant = programme()

    with pytest.raises(InvalidMilestone) as refused:
        tenant.add_milestone("fifth", 0, "", 150, -1)

    assert len(refused.value.problems) == 4


def test_the_boundaries_of_a_milestone_are_accepted() -> None:
    tenant = programme()

    tenant.add_milestone("first", 1, "x" * 2000, 100, 0)
    tenant.add_milestone("second", 2, "x", 1, 0)
    tenant.add_milestone("message-only", 3, "x", None, 0)

    assert len(tenant.milestones) == 3


def test_two_milestones_at_the_same_count_and_minimum_length_are_refused() -> None:
    tenant = programme(milestone("fifth", 5, min_minutes=60))

    with pytest.raises(DuplicateMilestone, match="'fifth' already fires at session 5"):
        tenant.add_milestone("another-fifth", 5, "Again", None, 60)


def test_the_same_count_with_another_minimum_length_is_a_different_milestone() -> None:
    tenant = programme(milestone("fifth", 5))

    tenant.add_milestone("fifth-long", 5, "Thanks for the long ones", 20, 60)

    assert set(tenant.milestones) == {"fifth", "fifth-long"}


def test_an_inactive_milestone_still_holds_its_count_and_length() -> None:
    tenant = programme(milestone("fifth", 5))
    tenant.set_milestone_active("fifth", False)

    with pytest.raises(DuplicateMilestone):
        tenant.add_milestone("new-fifth", 5, "Again", None, 0)


def test_a_milestone_id_is_never_used_twice_even_after_deletion() -> None:
    tenant = programme(milestone("fifth", 5))

    with pytest.raises(DuplicateMilestone, match="already used"):
        tenant.add_milestone("fifth", 6, "Sixth", None, 0)
    tenant.delete_milestone("fifth")
    with pytest.raises(DuplicateMilestone, match="already used"):
        tenant.add_milestone("fifth", 5, "Fifth again", None, 0)


@pytest.mark.parametrize(
    "change",
    [
        lambda tenant: tenant.edit_milestone("missing", 5, "Thanks!", None, 0),
        lambda tenant: tenant.set_milestone_active("missing", False),
        lambda tenant: tenant.delete_milestone("missing"),
        lambda tenant: tenant.get_milestone("missing"),
    ],
)
def test_changing_an_unknown_milestone_is_refused(
    change: Callable[[LoyaltyProgramme], object],
) -> None:
    tenant = programme(milestone("fifth", 5))

    with pytest.raises(MilestoneNotFound, match="'missing'"):
        change(tenant)

    assert new_events(tenant) == []


def test_a_deleted_milestone_is_gone() -> None:
    tenant = programme(milestone("fifth", 5))

    tenant.delete_milestone("fifth")

    assert tenant.milestones == {}
    assert event_names(tenant) == ["MilestoneDeleted"]
    with pytest.raises(MilestoneNotFound):
        tenant.delete_milestone("fifth")


def test_editing_a_milestone_changes_its_fields_and_keeps_it_active() -> None:
    tenant = programme(milestone("tenth", 10))

    tenant.edit_milestone("tenth", 10, "25% off", 25, 60)

    assert tenant.get_milestone("tenth") == milestone(
        "tenth", 10, min_minutes=60, discount_percent=25, message="25% off"
    )
    [edited] = new_events(tenant)
    assert type(edited).__name__ == "MilestoneEdited"
    assert (edited.milestone_id, edited.discount_percent, edited.min_minutes) == ("tenth", 25, 60)


def test_editing_keeps_an_inactive_milestone_inactive() -> None:
    tenant = programme(milestone("tenth", 10))
    tenant.set_milestone_active("tenth", False)

    tenant.edit_milestone("tenth", 10, "25% off", 25, 60)

    assert not tenant.get_milestone("tenth").active


def test_editing_a_milestone_onto_another_ones_count_and_length_is_refused() -> None:
    tenant = programme(milestone("fifth", 5), milestone("tenth", 10))

    with pytest.raises(DuplicateMilestone, match="'fifth'"):
        tenant.edit_milestone("tenth", 5, "Thanks!", None, 0)

    assert tenant.get_milestone("tenth").session_count == 10


def test_an_invalid_edit_is_refused_and_changes_nothing() -> None:
    tenant = programme(milestone("fifth", 5))

    with pytest.raises(InvalidMilestone):
        tenant.edit_milestone("fifth", 5, "", None, 0)

    assert tenant.get_milestone("fifth") == milestone("fifth", 5)
    assert new_events(tenant) == []


def test_deactivating_and_reactivating_a_milestone() -> None:
    tenant = programme(milestone("fifth", 5))

    tenant.set_milestone_active("fifth", False)
    assert not tenant.get_milestone("fifth").active
    tenant.set_milestone_active("fifth", True)
    assert tenant.get_milestone("fifth").active

    assert event_names(tenant) == ["MilestoneDeactivated", "MilestoneActivated"]


def test_a_deactivated_milestone_is_left_out_of_the_rules() -> None:
    tenant = programme(milestone("fifth", 5), milestone("tenth", 10))

    tenant.set_milestone_active("fifth", False)

    assert [each.milestone_id for each in tenant.rules().milestones] == ["tenth"]


def test_the_rules_list_active_milestones_fewest_sessions_then_shortest_minimum_first() -> None:
    tenant = programme(
        milestone("tenth-long", 10, min_minutes=60),
        milestone("fifth", 5),
        milestone("tenth", 10),
        milestone("third", 3, min_minutes=90),
    )

    assert [each.milestone_id for each in tenant.active_milestones()] == [
        "third",
        "fifth",
        "tenth",
        "tenth-long",
    ]
    assert tenant.rules().milestones == tuple(tenant.active_milestones())


def test_turning_the_counting_toggle_on_and_off() -> None:
    tenant = programme()

    tenant.set_count_discounted_sessions(True)
    assert tenant.rules().count_discounted
    tenant.set_count_discounted_sessions(False)
    assert not tenant.rules().count_discounted

    events = new_events(tenant)
    assert [type(each).__name__ for each in events] == ["CountingChanged", "CountingChanged"]
    assert [each.count_discounted_sessions for each in events] == [True, False]


@pytest.mark.parametrize(
    "no_change",
    [
        lambda tenant: tenant.edit_milestone("fifth", 5, "Thank you for coming back!", None, 0),
        lambda tenant: tenant.set_milestone_active("fifth", True),
        lambda tenant: tenant.set_count_discounted_sessions(False),
    ],
)
def test_a_change_to_the_same_value_records_no_event(
    no_change: Callable[[LoyaltyProgramme], None],
) -> None:
    tenant = programme(milestone("fifth", 5))
    version = tenant.version

    no_change(tenant)

    assert new_events(tenant) == []
    assert tenant.version == version
