"""The hold-out group: a share of eligible clients, chosen by a stable hash, gets nothing."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starcard_campaigns.domain.holdout import held_out

from .factories import TENANT

pytestmark = pytest.mark.unit

CLIENTS = [f"client-{n}" for n in range(10_000)]
NAMES = st.text(min_size=1, max_size=20)
PERCENTS = st.integers(min_value=0, max_value=50)


def share_held_out(percent: int, occasion: str = "2025", campaign: str = "birthday") -> float:
    """The share of 10,000 clients held out of `campaign`'s `occasion` at `percent`."""
    held = sum(held_out(TENANT, campaign, each, occasion, percent) for each in CLIENTS)
    return held / len(CLIENTS)


@given(tenant=NAMES, client=NAMES, occasion=NAMES, percent=PERCENTS)
def test_the_same_client_and_occasion_are_always_decided_the_same(
    tenant: str, client: str, occasion: str, percent: int
) -> None:
    """A tick re-sent or re-delivered, or a restarted service, decides as the first time."""
    first = held_out(tenant, "birthday", client, occasion, percent)

    assert all(held_out(tenant, "birthday", client, occasion, percent) is first for _ in range(3))


@pytest.mark.parametrize("percent", [5, 10, 25, 50])
def test_about_the_set_share_of_clients_is_held_out(percent: int) -> None:
    assert share_held_out(percent) == pytest.approx(percent / 100, abs=0.015)


def test_a_hold_out_of_zero_percent_holds_nobody_out() -> None:
    assert share_held_out(0) == 0


@given(tenant=NAMES, client=NAMES, occasion=NAMES, lower=PERCENTS, higher=PERCENTS)
def test_a_larger_share_only_adds_clients_to_the_hold_out(
    tenant: str, client: str, occasion: str, lower: int, higher: int
) -> None:
    """Raising the share keeps everyone already held out held out: the groups stay comparable."""
    lower, higher = sorted((lower, higher))

    if held_out(tenant, "reengagement", client, occasion, lower):
        assert held_out(tenant, "reengagement", client, occasion, higher)


@pytest.mark.parametrize(
    ("other_campaign", "other_occasion"),
    [("birthday", "2026"), ("anniversary", "2025"), ("reengagement", "b1#1")],
    ids=["next year", "another campaign", "a re-engagement step"],
)
def test_a_client_held_out_once_is_not_held_out_of_every_other_occasion(
    other_campaign: str, other_occasion: str
) -> None:
    """Each occasion is its own draw: of the clients held out of this year's birthday, about
    the set share again is held out of the other occasion, not all of them."""
    held = [each for each in CLIENTS if held_out(TENANT, "birthday", each, "2025", 10)]
    again = [each for each in held if held_out(TENANT, other_campaign, each, other_occasion, 10)]

    assert len(again) / len(held) == pytest.approx(0.10, abs=0.03)


def test_each_tenant_draws_its_own_hold_out() -> None:
    ours = {each for each in CLIENTS if held_out(TENANT, "birthday", each, "2025", 10)}
    theirs = {each for each in CLIENTS if held_out("studio-2", "birthday", each, "2025", 10)}

    assert len(ours & theirs) / len(ours) == pytest.approx(0.10, abs=0.03)
