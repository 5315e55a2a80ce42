"""The client's loyalty card and the most-loyal list's reward flag, from Kafka to HTTP."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from starcard_events import examples

from tests.integration.gateway.conftest import (
    FIFTH,
    START,
    TENTH,
    add_milestone,
    card,
    get,
    visits,
)
from tests.support.gateway import TenantCaller
from tests.support.stack import LoyaltyStack, until

pytestmark = pytest.mark.integration

TENTH_LONG = {**TENTH, "min_minutes": 60}


async def test_a_business_without_an_active_milestone_shows_no_card(
    gateway: httpx.AsyncClient, stack: LoyaltyStack, anna: TenantCaller
) -> None:
    milestone_id = await add_milestone(gateway, anna, FIFTH)
    await stack.publish(*visits(anna, "ada", 2))
    await until(lambda: card(gateway, anna, "ada"))

    await gateway.patch(
        f"/v1/loyalty/milestones/{milestone_id}", json={"active": False}, headers=anna.headers
    )

    async def hidden() -> None:
        response = await gateway.get("/v1/loyalty/clients/ada/card", headers=anna.headers)
        assert response.status_code == 404, response.text
        assert "active milestone" in response.json()["detail"]

    await until(hidden)


async def test_stars_fill_toward_the_next_reward_which_sits_on_the_last_circle(
    gateway: httpx.AsyncClient, stack: LoyaltyStack, anna: TenantCaller
) -> None:
    await add_milestone(gateway, anna, TENTH)
    fifth = await add_milestone(gateway, anna, FIFTH)
    await stack.publish(*visits(anna, "ada", 3))

    async def three_of_five() -> None:
        assert await card(gateway, anna, "ada") == {
            "client_id": "ada",
            "total_stars": 3,
            "next_reward": {
                "milestone_id": fifth,
                "stars": 3,
                "circles": 5,
                "to_go": 2,
                "reward_label": "10% off",
                "min_minutes_label": None,
                "sessions_to_go_text": "2 more sessions to go",
            },
            "all_rewards_earned": False,
            "outstanding": None,
        }

    await until(three_of_five)


async def test_a_client_with_no_visit_yet_sees_an_empty_card(
    gateway: httpx.AsyncClient, stack: LoyaltyStack, anna: TenantCaller
) -> None:
    await add_milestone(gateway, anna, FIFTH)

    async def empty() -> None:
        shown = await card(gateway, anna, "newcomer")
        assert (shown["total_stars"], shown["outstanding"]) == (0, None)
        assert (shown["next_reward"]["stars"], shown["next_reward"]["circles"]) == (0, 5)
        assert shown["next_reward"]["sessions_to_go_text"] == "5 more sessions to go"

    await until(empty)


async def test_a_reward_with_a_minimum_length_says_how_many_long_sessions_are_to_go(
    gateway: httpx.AsyncClient, stack: LoyaltyStack, anna: TenantCaller
) -> None:
    tenth_long = await add_milestone(gateway, anna, TENTH_LONG)
    await stack.publish(
        *visits(anna, "ada", 4, minutes=60),
        *visits(anna, "ada", 2, first=4, minutes=30),
        # A 30-minute add-on tacked onto a 30-minute treatment: one visit, an hour long.
        *visits(anna, "ada", 1, first=6, minutes=30, back_to_back_group="g1"),
        examples.appointment_completed(
            anna.tenant_id,
            START + timedelta(days=7 * 6, minutes=30),
            booking_id="ada-add-on",
            client_id="ada",
            minutes=30,
            back_to_back_group="g1",
        ),
    )

    async def five_long_ones_to_go() -> None:
        shown = await card(gateway, anna, "ada")
        assert shown["total_stars"] == 7
        assert shown["next_reward"] == {
            "milestone_id": tenth_long,
            "stars": 5,
            "circles": 10,
            "to_go": 5,
            "reward_label": "25% off",
            "min_minutes_label": "60+ min",
            "sessions_to_go_text": "5 more 60+ min sessions to go",
        }

    await until(five_long_ones_to_go)


async def test_the_fifth_qualifying_visit_flips_the_card_to_its_code_and_flags_the_client(
    gateway: httpx.AsyncClient, stack: LoyaltyStack, anna: TenantCaller
) -> None:
    await add_milestone(gateway, anna, FIFTH)
    await add_milestone(gateway, anna, TENTH)
    await stack.publish(*visits(anna, "ada", 5), *visits(anna, "bo", 4))

    async def flipped() -> None:
        shown = await card(gateway, anna, "ada")
        outstanding = shown["outstanding"]
        assert outstanding is not None
        assert outstanding["code"].startswith("LOYAL-")
        assert len(outstanding["code"]) == len("LOYAL-") + 8
        assert outstanding["discount_percent"] == 10
        assert outstanding["message"] == FIFTH["message"]
        assert outstanding["expires_at"].startswith(str(START.year + 1))
        assert (shown["next_reward"]["stars"], shown["next_reward"]["circles"]) == (5, 10)

    async def ada_flagged_bo_not() -> None:
        # Ada and Bo may sit on different partitions: wait for both.
        listed = await get(gateway, anna, "/v1/loyalty/clients")
        assert [(c["client_id"], c["outstanding_reward"]) for c in listed["data"]] == [
            ("ada", True),
            ("bo", False),
        ]

    await until(flipped)
    await until(ada_flagged_bo_not)


async def test_once_every_reward_is_earned_the_card_says_so(
    gateway: httpx.AsyncClient, stack: LoyaltyStack, anna: TenantCaller
) -> None:
    await add_milestone(gateway, anna, {"session_count": 2, "message": "Thanks for coming back!"})
    await stack.publish(*visits(anna, "ada", 3))

    async def all_earned() -> None:
        assert await card(gateway, anna, "ada") == {
            "client_id": "ada",
            "total_stars": 3,
            "next_reward": None,
            "all_rewards_earned": True,
            "outstanding": None,
        }

    await until(all_earned)
    [(status, code)] = stack.sql(
        "SELECT status, code FROM read.loyalty_rewards WHERE tenant_id = %s AND client_id = 'ada'",
        (anna.tenant_id,),
    )
    assert (status, code) == ("sent", None)


async def test_another_tenants_client_has_an_empty_card_not_theirs(
    gateway: httpx.AsyncClient, stack: LoyaltyStack, anna: TenantCaller, brook: TenantCaller
) -> None:
    await add_milestone(gateway, anna, FIFTH)
    await add_milestone(gateway, brook, FIFTH)
    await stack.publish(*visits(anna, "ada", 5))

    async def anna_sees_the_code() -> None:
        assert (await card(gateway, anna, "ada"))["outstanding"] is not None

    await until(anna_sees_the_code)
    brooks = await card(gateway, brook, "ada")
    assert (brooks["total_stars"], brooks["outstanding"]) == (0, None)
