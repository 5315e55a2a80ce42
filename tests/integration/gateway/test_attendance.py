"""Attendance milestones from bookings and check-ins on Kafka to the gateway: the profile's count
under every counting setting, the original count, the check-in screen's "including this one",
automations' tags (segments) and rewards, and tenant isolation."""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from starcard_events import examples

from tests.integration.gateway.conftest import START, add_milestone, card, get
from tests.support.gateway import TenantCaller
from tests.support.stack import LoyaltyStack, until

pytestmark = pytest.mark.integration

KINDS = ("group_class", "appointment", "video")


def booked(
    tenant: TenantCaller, client: str, booking: str, kind: str = "group_class", day: int = 0
) -> dict[str, Any]:
    return examples.booking_created(
        tenant.tenant_id,
        START + timedelta(days=day),
        booking_id=booking,
        client_id=client,
        service_kind=kind,
        service_name="Vinyasa flow",
    )


def checked_in(tenant: TenantCaller, client: str, booking: str, day: int = 0) -> dict[str, Any]:
    """A ``ClientCheckedIn``: the client showed up to the class they booked."""
    return {
        "event_id": str(uuid.uuid4()),
        "type": "ClientCheckedIn",
        "schema_version": examples.SCHEMA_VERSION,
        "occurred_at": (START + timedelta(days=day, hours=1)).isoformat(),
        "tenant_id": tenant.tenant_id,
        "data": {"booking_id": booking, "client_id": client, "class_id": f"class-{booking}"},
    }


def completed(tenant: TenantCaller, client: str, booking: str, day: int = 0) -> dict[str, Any]:
    return examples.appointment_completed(
        tenant.tenant_id,
        START + timedelta(days=day, hours=1),
        booking_id=booking,
        client_id=client,
        service_kind="appointment",
    )


def cancelled(tenant: TenantCaller, client: str, booking: str, day: int = 0) -> dict[str, Any]:
    at = START + timedelta(days=day, minutes=30)
    return examples.booking_cancelled(tenant.tenant_id, at, booking_id=booking, client_id=client)


async def put_counting(
    gateway: httpx.AsyncClient, tenant: TenantCaller, source: str, kinds: list[str]
) -> None:
    response = await gateway.put(
        "/v1/loyalty/settings/attendance",
        json={"source": source, "kinds": kinds},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text


async def add_automation(
    gateway: httpx.AsyncClient, tenant: TenantCaller, body: dict[str, Any]
) -> str:
    response = await gateway.post(
        "/v1/loyalty/attendance-milestones", json=body, headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    milestone_id: str = response.json()["milestone_id"]
    return milestone_id


async def attendance(gateway: httpx.AsyncClient, tenant: TenantCaller, client: str) -> Any:
    """The attendance part of the client's profile."""
    return (await get(gateway, tenant, f"/v1/loyalty/clients/{client}"))["attendance"]


async def check_in_screen(
    gateway: httpx.AsyncClient, tenant: TenantCaller, client: str, booking: str, **params: str
) -> Any:
    response = await gateway.get(
        f"/v1/loyalty/clients/{client}/attendance",
        params={"booking_id": booking, **params},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


# Ada's history, by kind: what counts when every booking counts, and when only check-ins do.
# A walk-in checks in with no booking (a group class); an appointment completed without a
# booking seen was attended; cancelled bookings never count, checked in or completed or not.
BOOKED = {"group_class": 4, "appointment": 3, "video": 1}
ATTENDED = {"group_class": 3, "appointment": 2, "video": 0}


def adas_history(anna: TenantCaller) -> list[dict[str, Any]]:
    return [
        booked(anna, "ada", "gc-1"),
        checked_in(anna, "ada", "gc-1"),
        booked(anna, "ada", "gc-2", day=1),
        checked_in(anna, "ada", "gc-2", day=1),
        booked(anna, "ada", "gc-3", day=2),
        checked_in(anna, "ada", "walk-in", day=3),
        booked(anna, "ada", "ap-1", "appointment", day=4),
        completed(anna, "ada", "ap-1", day=4),
        booked(anna, "ada", "ap-2", "appointment", day=5),
        completed(anna, "ada", "ap-3", day=6),
        booked(anna, "ada", "vd-1", "video", day=7),
        booked(anna, "ada", "gc-x", day=8),
        checked_in(anna, "ada", "gc-x", day=8),
        cancelled(anna, "ada", "gc-x", day=8),
        booked(anna, "ada", "ap-x", "appointment", day=9),
        cancelled(anna, "ada", "ap-x", day=9),
        completed(anna, "ada", "ap-x", day=9),
        booked(anna, "ada", "vd-x", "video", day=10),
        cancelled(anna, "ada", "vd-x", day=10),
    ]


SETTINGS = [
    (source, list(kinds))
    for source in ("bookings", "check_ins")
    for size in range(1, len(KINDS) + 1)
    for kinds in itertools.combinations(KINDS, size)
]


async def test_the_count_follows_every_setting_at_once_and_cancellations_never_count(
    gateway: httpx.AsyncClient, stack: LoyaltyStack, anna: TenantCaller
) -> None:
    await stack.publish(*adas_history(anna))

    async def all_counted() -> None:
        assert await attendance(gateway, anna, "ada") == {
            "total": 8,
            "original": 0,
            "counted": 8,
            "milestones_reached": [],
        }

    await until(all_counted)
    for source, kinds in SETTINGS:
        counts = BOOKED if source == "bookings" else ATTENDED
        expected = sum(counts[kind] for kind in kinds)
        await put_counting(gateway, anna, source, kinds)

        async def counted(expected: int = expected) -> None:
            shown = await attendance(gateway, anna, "ada")
            assert (shown["total"], shown["counted"]) == (expected, expected)

        await until(counted)


async def test_an_original_count_of_49_and_one_class_booked_make_50(
    gateway: httpx.AsyncClient, stack: LoyaltyStack, anna: TenantCaller
) -> None:
    await stack.publish(booked(anna, "bo", "bo-1"))

    async def one_booked() -> None:
        assert (await attendance(gateway, anna, "bo"))["counted"] == 1

    await until(one_booked)
    response = await gateway.put(
        "/v1/loyalty/clients/bo/original-count", json={"count": 49}, headers=anna.headers
    )

    assert response.status_code == 200, response.text
    assert response.json() == {"client_id": "bo", "original": 49, "total": 50}

    async def fifty() -> None:
        shown = await attendance(gateway, anna, "bo")
        assert (shown["total"], shown["original"], shown["counted"]) == (50, 49, 1)

    await until(fifty)


async def test_the_check_in_screen_includes_this_class_before_check_in_and_not_twice_after(
    gateway: httpx.AsyncClient, stack: LoyaltyStack, anna: TenantCaller
) -> None:
    await put_counting(gateway, anna, "check_ins", list(KINDS))
    fifth = await add_automation(gateway, anna, {"count": 5, "tag": "five"})
    await stack.publish(
        booked(anna, "cy", "cy-1"),
        checked_in(anna, "cy", "cy-1"),
        booked(anna, "cy", "cy-2", day=7),
    )
    including = {
        "client_id": "cy",
        "booking_id": "cy-2",
        "kind": "group_class",
        "booking_known": True,
        "count": 2,
        "including_this_one": True,
        "tooltip": "Includes this class",
        "next_milestone": {"milestone_id": fifth, "count": 5, "to_go": 3},
    }

    async def before_check_in() -> None:
        assert (await attendance(gateway, anna, "cy"))["total"] == 1
        assert await check_in_screen(gateway, anna, "cy", "cy-2") == including

    await until(before_check_in)
    await stack.publish(checked_in(anna, "cy", "cy-2", day=7))

    async def after_check_in() -> None:
        assert (await attendance(gateway, anna, "cy"))["total"] == 2
        assert await check_in_screen(gateway, anna, "cy", "cy-2") == including

    await until(after_check_in)


async def test_a_booking_already_counted_is_included_once(
    gateway: httpx.AsyncClient, stack: LoyaltyStack, anna: TenantCaller
) -> None:
    await stack.publish(booked(anna, "cy", "cy-1"), booked(anna, "cy", "cy-2", day=7))

    async def counted_as_booked() -> None:
        shown = await check_in_screen(gateway, anna, "cy", "cy-2")
        assert (shown["count"], shown["including_this_one"]) == (2, True)
        assert shown["next_milestone"] is None

    await until(counted_as_booked)


async def test_a_class_not_seen_yet_is_counted_as_one_more_of_the_kind_asked_about(
    gateway: httpx.AsyncClient, stack: LoyaltyStack, anna: TenantCaller
) -> None:
    await put_counting(gateway, anna, "bookings", ["group_class"])
    await stack.publish(booked(anna, "cy", "cy-1"))

    async def one_booked() -> None:
        assert (await attendance(gateway, anna, "cy"))["total"] == 1

    await until(one_booked)
    a_class = await check_in_screen(gateway, anna, "cy", "walk-in")
    a_video = await check_in_screen(gateway, anna, "cy", "stream-1", kind="video")

    assert (a_class["kind"], a_class["booking_known"], a_class["count"]) == (
        "group_class",
        False,
        2,
    )
    assert (a_class["including_this_one"], a_class["tooltip"]) == (True, "Includes this class")
    assert (a_video["kind"], a_video["count"], a_video["including_this_one"]) == ("video", 1, False)
    assert a_video["tooltip"] is None


async def test_a_cancelled_class_is_not_included(
    gateway: httpx.AsyncClient, stack: LoyaltyStack, anna: TenantCaller
) -> None:
    await stack.publish(
        booked(anna, "cy", "cy-1"),
        booked(anna, "cy", "cy-2", day=7),
        cancelled(anna, "cy", "cy-2", day=7),
    )

    async def left_out() -> None:
        assert await check_in_screen(gateway, anna, "cy", "cy-2") == {
            "client_id": "cy",
            "booking_id": "cy-2",
            "kind": "group_class",
            "booking_known": True,
            "count": 1,
            "including_this_one": False,
            "tooltip": None,
            "next_milestone": None,
        }

    await until(left_out)


async def test_an_automation_with_a_tag_puts_clients_in_its_segment(
    gateway: httpx.AsyncClient, stack: LoyaltyStack, anna: TenantCaller
) -> None:
    second = await add_automation(gateway, anna, {"count": 2, "tag": "regulars"})
    await add_automation(gateway, anna, {"count": 3, "tag": "three"})
    await stack.publish(
        *[
            booked(anna, client, f"{client}-{n}", day=n)
            for client in ("ada", "bo", "cy")
            for n in (1, 2)
        ],
        booked(anna, "dee", "dee-1"),
    )

    async def segmented() -> None:
        assert await get(gateway, anna, "/v1/loyalty/tags") == {
            "data": [{"tag": "regulars", "clients": 3}],
            "count": 1,
        }
        first = await get(gateway, anna, "/v1/loyalty/segments/regulars", limit=2)
        rest = await get(gateway, anna, "/v1/loyalty/segments/regulars", limit=2, offset=2)
        assert [m["client_id"] for m in first["data"]] == ["ada", "bo"]
        assert [m["client_id"] for m in rest["data"]] == ["cy"]
        assert first["count"] == rest["count"] == 3
        tagged_at = datetime.fromisoformat(first["data"][0]["tagged_at"])
        assert tagged_at == START + timedelta(days=2)

    async def on_their_profiles() -> None:
        ada = await get(gateway, anna, "/v1/loyalty/clients/ada")
        dee = await get(gateway, anna, "/v1/loyalty/clients/dee")
        assert ada["tags"] == ["regulars"]
        assert [m["milestone_id"] for m in ada["attendance"]["milestones_reached"]] == [second]
        assert (dee["tags"], dee["attendance"]["milestones_reached"]) == ([], [])

    await until(segmented)
    await until(on_their_profiles)
    nobody = await get(gateway, anna, "/v1/loyalty/segments/three")
    assert nobody == {"tag": "three", "data": [], "count": 0}


async def test_an_automation_with_a_reward_gives_the_client_their_outstanding_code(
    gateway: httpx.AsyncClient, stack: LoyaltyStack, anna: TenantCaller
) -> None:
    loyalty_fifth = await add_milestone(
        gateway, anna, {"session_count": 5, "message": "Fifth visit", "discount_percent": 10}
    )
    thanks = await add_automation(gateway, anna, {"count": 1, "message": "Welcome!"})
    reward = await add_automation(
        gateway, anna, {"count": 2, "message": "Two classes: 15% off", "discount_percent": 15}
    )
    await stack.publish(booked(anna, "ada", "ada-1"), booked(anna, "ada", "ada-2", day=7))

    async def outstanding() -> None:
        shown = await card(gateway, anna, "ada")
        assert shown["outstanding"] is not None
        assert shown["outstanding"]["code"].startswith("LOYAL-")
        assert shown["outstanding"]["discount_percent"] == 15
        assert shown["outstanding"]["message"] == "Two classes: 15% off"
        assert shown["next_reward"]["milestone_id"] == loyalty_fifth
        assert (shown["next_reward"]["stars"], shown["total_stars"]) == (0, 0)

    await until(outstanding)
    rewards = stack.sql(
        "SELECT milestone_id, status, discount_percent FROM read.loyalty_rewards"
        " WHERE tenant_id = %s AND client_id = 'ada' ORDER BY issued_at, milestone_id",
        (anna.tenant_id,),
    )
    assert rewards == [
        (f"attendance-{thanks}", "sent", None),
        (f"attendance-{reward}", "outstanding", 15),
    ]
    listed = await get(gateway, anna, "/v1/loyalty/clients")
    assert [(c["client_id"], c["outstanding_reward"]) for c in listed["data"]] == [("ada", True)]


async def test_automations_at_or_below_the_original_count_do_not_fire(
    gateway: httpx.AsyncClient, stack: LoyaltyStack, anna: TenantCaller
) -> None:
    await add_automation(gateway, anna, {"count": 10, "tag": "ten"})
    eleventh = await add_automation(gateway, anna, {"count": 11, "tag": "eleven"})
    await stack.publish(booked(anna, "bo", "bo-1"))
    await until(lambda: attendance(gateway, anna, "bo"))

    response = await gateway.put(
        "/v1/loyalty/clients/bo/original-count", json={"count": 10}, headers=anna.headers
    )

    assert response.json()["total"] == 11

    async def eleventh_only() -> None:
        profile = await get(gateway, anna, "/v1/loyalty/clients/bo")
        assert profile["tags"] == ["eleven"]
        assert [m["milestone_id"] for m in profile["attendance"]["milestones_reached"]] == [
            eleventh
        ]

    await until(eleventh_only)


async def test_another_studios_client_counts_nothing_and_is_in_no_segment(
    gateway: httpx.AsyncClient, stack: LoyaltyStack, anna: TenantCaller, brook: TenantCaller
) -> None:
    await add_automation(gateway, anna, {"count": 1, "tag": "first"})
    await add_automation(gateway, brook, {"count": 5, "tag": "fifth"})
    await stack.publish(booked(anna, "ada", "ada-1"), booked(brook, "bo", "bo-1"))

    async def annas_ada_tagged() -> None:
        assert (await get(gateway, anna, "/v1/loyalty/segments/first"))["count"] == 1
        assert (await attendance(gateway, brook, "bo"))["total"] == 1

    await until(annas_ada_tagged)
    assert await get(gateway, brook, "/v1/loyalty/tags") == {"data": [], "count": 0}
    assert await get(gateway, brook, "/v1/loyalty/segments/first") == {
        "tag": "first",
        "data": [],
        "count": 0,
    }
    unknown = await gateway.get("/v1/loyalty/clients/ada", headers=brook.headers)
    assert unknown.status_code == 404
    screen = await check_in_screen(gateway, brook, "ada", "ada-1")
    assert (screen["booking_known"], screen["count"]) == (False, 1)
    assert screen["next_milestone"]["count"] == 5
    original = await gateway.put(
        "/v1/loyalty/clients/ada/original-count", json={"count": 3}, headers=brook.headers
    )
    assert original.json() == {"client_id": "ada", "original": 3, "total": 3}

    async def annas_ada_untouched() -> None:
        assert (await attendance(gateway, brook, "ada"))["total"] == 3
        assert (await attendance(gateway, anna, "ada"))["total"] == 1

    await until(annas_ada_untouched)


async def test_re_sent_and_poison_records_count_once_and_fire_once(
    gateway: httpx.AsyncClient, stack: LoyaltyStack, anna: TenantCaller
) -> None:
    tagged = await add_automation(gateway, anna, {"count": 3, "message": "Three!", "tag": "three"})
    feed = [
        booked(anna, "ada", "c1"),
        checked_in(anna, "ada", "c1"),
        booked(anna, "ada", "c2", day=1),
        booked(anna, "ada", "c3", day=2),
    ]
    resent = [{**event, "event_id": str(uuid.uuid4())} for event in feed]
    poison = checked_in(anna, "ada", "c4", day=3)
    poison["data"].pop("class_id")
    await stack.publish(*feed, poison, *feed, *resent)
    await stack.publish(booked(anna, "bo", "b1"))  # behind the poison record, on its topic

    async def counted_once() -> None:
        assert (await attendance(gateway, anna, "ada"))["total"] == 3
        assert (await attendance(gateway, anna, "bo"))["total"] == 1

    await until(counted_once)
    reached = stack.sql(
        "SELECT count(*) FROM loyalty.loyalty_events WHERE topic LIKE %s",
        ("%ClientLoyalty.AttendanceMilestoneReached",),
    )
    issued = stack.sql(
        "SELECT count(*) FROM read.loyalty_rewards WHERE tenant_id = %s AND milestone_id = %s",
        (anna.tenant_id, f"attendance-{tagged}"),
    )
    letters = stack.sql("SELECT reason FROM ops.dead_letters WHERE service = 'loyalty'")
    assert (reached, issued) == ([(1,)], [(1,)])
    assert len(letters) == 1
    assert "class_id" in letters[0][0]
