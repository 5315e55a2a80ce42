"""What the API shows of a tenant's milestones."""

from starcard_gateway.models.loyalty import MilestonePublic, MilestonesPublic
from starcard_loyalty.domain.counting import Milestone
from starcard_loyalty.domain.programme import LoyaltyProgramme


def milestone(min_minutes: int) -> Milestone:
    return Milestone("m1", 10, "Thanks!", 25, min_minutes, active=True)


def test_a_milestone_with_a_minimum_length_shows_an_amber_pill_label() -> None:
    assert MilestonePublic.from_domain(milestone(60)).min_minutes_label == "60+ min"


def test_a_milestone_for_any_length_shows_no_pill() -> None:
    assert MilestonePublic.from_domain(milestone(0)).min_minutes_label is None


def test_milestones_are_listed_in_the_order_clients_reach_them_inactive_ones_too() -> None:
    programme = LoyaltyProgramme(tenant_id="anna", name="Anna")
    programme.add_milestone("tenth-long", 10, "25% off", 25, 60)
    programme.add_milestone("fifth", 5, "Thanks", None, 0)
    programme.add_milestone("tenth", 10, "Thanks again", None, 0)
    programme.set_milestone_active("fifth", False)

    listed = MilestonesPublic.from_programme(programme)

    assert [m.milestone_id for m in listed.data] == ["fifth", "tenth", "tenth-long"]
    assert listed.count == 3
    assert not listed.data[0].active
