"""Milestone rewards through the real path: Kafka in, the event store, the checkout use cases."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from eventsourcing.application import AggregateNotFoundError
from starcard_events import examples
from starcard_events.topics import CLOCK
from starcard_loyalty.domain.client import ClientLoyalty
from starcard_loyalty.domain.codes import DiscountCode, code_expiry
from starcard_loyalty.domain.errors import (
    CodeAlreadyRedeemed,
    CodeExpired,
    CodeNotFound,
    CodeOfAnotherClient,
)
from starcard_loyalty.domain.ids import client_loyalty_id, discount_code_id
from starcard_runtime.clock import tick
from starcard_runtime.dead_letters import DeadLetterStore
from starcard_runtime.records import InboundRecord

from tests.support.stack import LoyaltyStack, eventually, loyalty_stack

pytestmark = pytest.mark.integration

TENANT, OTHER_TENANT = "anna-massage", "brook-spa"
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
CHECKOUT = START + timedelta(days=120)
CODE_PATTERN = r"LOYAL-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}"
MILESTONES = [(5, 10, "10% off, with thanks"), (10, 25, "25% off your next visit")]


@pytest.fixture
async def stack(
    fresh_database: str, kafka_bootstrap: str, topic_prefix: str
) -> AsyncIterator[LoyaltyStack]:
    async with loyalty_stack(fresh_database, kafka_bootstrap, topic_prefix) as running:
        for tenant in (TENANT, OTHER_TENANT):
            running.commands.open_programme(tenant, tenant.title())
            for count, percent, message in MILESTONES:
                running.commands.add_milestone(
                    tenant,
                    session_count=count,
                    message=message,
                    discount_percent=percent,
                    min_minutes=0,
                )
        yield running


def visit(client: str, n: int, *, tenant: str = TENANT, **extra: Any) -> dict[str, Any]:
    """The client's nth completed visit, a week after the one before."""
    extra.setdefault("booking_id", f"{client}-b{n}")
    return examples.appointment_completed(
        tenant, START + timedelta(days=7 * n), client_id=client, **extra
    )


def paid_with(code: str) -> dict[str, Any]:
    """What a booking carries when the client typed a loyalty code at checkout."""
    return {"discounts": [examples.discount("loyalty_code", 600) | {"code": code}]}


def record_of(stack: LoyaltyStack, client: str, tenant: str = TENANT) -> ClientLoyalty:
    try:
        record: ClientLoyalty = stack.commands.repository.get(client_loyalty_id(tenant, client))
    except AggregateNotFoundError:
        raise AssertionError(f"no loyalty record for {client} yet") from None
    return record


def code_of(stack: LoyaltyStack, code: str) -> DiscountCode:
    found: DiscountCode = stack.commands.repository.get(discount_code_id(code))
    return found


def outstanding(stack: LoyaltyStack, client: str, milestone_session: str, queued: int = 0) -> str:
    """The client's outstanding code, once it is the reward of `milestone_session` ("5" or
    "10") and `queued` rewards wait behind it."""
    record = record_of(stack, client)
    reward = record.outstanding_reward()
    assert reward is not None
    assert reward.message.startswith({"5": "10%", "10": "25%"}[milestone_session])
    assert len(record.queue) == queued
    assert reward.code is not None
    return reward.code


def stored(stack: LoyaltyStack, event: str) -> list[dict[str, Any]]:
    rows = stack.sql(
        "SELECT convert_from(state, 'UTF8')::jsonb FROM loyalty.loyalty_events"
        " WHERE topic LIKE %s ORDER BY originator_id, originator_version",
        (f"%:{event}",),
    )
    return [row[0] for row in rows]


async def test_the_fifth_qualifying_visit_issues_a_code(stack: LoyaltyStack) -> None:
    await stack.publish(*(visit("ada", n) for n in range(4)))
    await stack.publish(visit("bo", 0), visit("ada", 4, price_minor=5000))  # priced down
    await eventually(lambda: _expect(record_of(stack, "ada").sessions(), 5))
    assert record_of(stack, "ada").rewards == {}

    await stack.publish(visit("ada", 5))

    code = await eventually(lambda: outstanding(stack, "ada", "5"))
    [issued] = stored(stack, "ClientLoyalty.RewardIssued")
    assert issued["code"] == code
    assert issued["discount_percent"] == 10
    assert re.fullmatch(CODE_PATTERN, code)
    discount = code_of(stack, code)
    assert (discount.tenant_id, discount.client_id, discount.discount_percent) == (
        TENANT,
        "ada",
        10,
    )
    assert discount.issued_at == START + timedelta(days=35)
    assert discount.expires_at == code_expiry(discount.issued_at)
    assert discount.status(CHECKOUT) == "outstanding"


async def test_redeeming_at_checkout_fires_the_queued_tenth_visit_reward(
    stack: LoyaltyStack,
) -> None:
    await stack.publish(*(visit("cy", n) for n in range(10)))
    first = await eventually(lambda: outstanding(stack, "cy", "5", queued=1))

    quote = stack.commands.quote(TENANT, "cy", first.lower(), 4995, "GBP", at=CHECKOUT)
    redemption = stack.commands.redeem(TENANT, "cy", first, "checkout-1", 4995, "GBP", CHECKOUT)

    assert (quote.discount_percent, quote.discount_minor, quote.total_minor) == (10, 500, 4495)
    assert (redemption.code, redemption.discount_minor, redemption.total_minor) == (
        first,
        500,
        4495,
    )
    assert (redemption.booking_id, redemption.redeemed_at) == ("checkout-1", CHECKOUT)
    fired = redemption.next_reward
    assert fired is not None
    assert fired.code is not None
    assert (fired.discount_percent, fired.issued_at) == (25, CHECKOUT)
    assert fired.expires_at == code_expiry(CHECKOUT)
    assert outstanding(stack, "cy", "10") == fired.code
    assert code_of(stack, first).status(CHECKOUT) == "redeemed"
    assert code_of(stack, fired.code).status(CHECKOUT) == "outstanding"
    assert [e["code"] for e in stored(stack, "ClientLoyalty.RewardRedeemed")] == [first]

    again = stack.commands.redeem(TENANT, "cy", first, "checkout-1", 4995, "GBP", CHECKOUT)
    assert again == redemption

    with pytest.raises(CodeAlreadyRedeemed):
        stack.commands.redeem(TENANT, "cy", first, "checkout-2", 4995, "GBP", CHECKOUT)
    with pytest.raises(CodeAlreadyRedeemed):
        stack.commands.quote(TENANT, "cy", first, 4995, "GBP", at=CHECKOUT)
    assert len(stored(stack, "ClientLoyalty.RewardIssued")) == 2


async def test_a_code_is_refused_to_other_clients_and_unknown_to_other_tenants(
    stack: LoyaltyStack,
) -> None:
    await stack.publish(*(visit("dee", n) for n in range(5)))
    code = await eventually(lambda: outstanding(stack, "dee", "5"))

    with pytest.raises(CodeOfAnotherClient):
        stack.commands.redeem(TENANT, "eve", code, "checkout-1", 6000, "GBP", CHECKOUT)
    with pytest.raises(CodeNotFound) as foreign:
        stack.commands.redeem(OTHER_TENANT, "dee", code, "checkout-1", 6000, "GBP", CHECKOUT)
    with pytest.raises(CodeNotFound) as unknown:
        stack.commands.quote(OTHER_TENANT, "dee", "LOYAL-ZZZZZZZZ", 6000, "GBP", at=CHECKOUT)

    assert str(foreign.value).replace(code, "<code>") == str(unknown.value).replace(
        "LOYAL-ZZZZZZZZ", "<code>"
    )
    assert code_of(stack, code).status(CHECKOUT) == "outstanding"


async def test_an_expired_code_is_refused_and_releases_the_queue(stack: LoyaltyStack) -> None:
    await stack.publish(*(visit("fay", n) for n in range(10)))
    first = await eventually(lambda: outstanding(stack, "fay", "5", queued=1))
    expired_at = code_of(stack, first).expires_at
    late = expired_at + timedelta(days=2)

    with pytest.raises(CodeExpired):
        stack.commands.quote(TENANT, "fay", first, 6000, "GBP", at=late)
    with pytest.raises(CodeExpired):
        stack.commands.redeem(TENANT, "fay", first, "checkout-1", 6000, "GBP", late)

    second = outstanding(stack, "fay", "10")
    assert code_of(stack, first).status(late) == "expired"
    assert code_of(stack, second).issued_at == expired_at
    assert [e["code"] for e in stored(stack, "ClientLoyalty.RewardExpired")] == [first]


async def test_a_code_on_a_booking_event_counts_as_a_redemption_once(stack: LoyaltyStack) -> None:
    await stack.publish(*(visit("gus", n) for n in range(10)))
    first = await eventually(lambda: outstanding(stack, "gus", "5", queued=1))
    booked_at = START + timedelta(days=80)

    await stack.publish(
        examples.booking_created(
            TENANT, booked_at, booking_id="gus-b11", client_id="gus", **paid_with(first)
        ),
        visit("gus", 12, booking_id="gus-b11", **paid_with(first)),
        visit("gus", 13, booking_id="gus-b13", **paid_with(first)),  # the same code again
        visit("gus", 14, booking_id="gus-b14", **paid_with("LOYAL-ZZZZZZZZ")),
    )

    await eventually(lambda: _expect(record_of(stack, "gus").sessions(), 13))
    assert code_of(stack, first).booking_id == "gus-b11"
    assert code_of(stack, first).redeemed_at == booked_at
    second = outstanding(stack, "gus", "10")
    assert code_of(stack, second).issued_at == booked_at
    assert [
        (e["code"], e["booking_id"]) for e in stored(stack, "ClientLoyalty.RewardRedeemed")
    ] == [(first, "gus-b11")]
    assert DeadLetterStore(stack.settings.database_url).list(service="loyalty") == []


async def test_the_daily_tick_expires_codes_that_ran_out_and_fires_the_next(
    stack: LoyaltyStack,
) -> None:
    await stack.publish(*(visit("hal", n) for n in range(10)))
    await stack.publish(*(visit("ida", n) for n in range(3, 8)))
    await stack.publish(*(visit("hal", n, tenant=OTHER_TENANT) for n in range(5)))
    first = await eventually(lambda: outstanding(stack, "hal", "5", queued=1))
    await eventually(lambda: outstanding(stack, "ida", "5"))
    await eventually(lambda: _expect(len(stored(stack, "ClientLoyalty.RewardIssued")), 3))
    expired_at = code_of(stack, first).expires_at
    ida_expires_at = code_of(stack, outstanding(stack, "ida", "5")).expires_at
    day_after = (expired_at + timedelta(days=1)).date()
    assert ida_expires_at > datetime.combine(day_after, datetime.min.time(), UTC)

    assert stack.commands.outstanding_codes_due(expired_at) == [
        (TENANT, "hal"),
        (OTHER_TENANT, "hal"),
    ]
    assert stack.commands.outstanding_codes_due(expired_at, TENANT) == [(TENANT, "hal")]
    assert stack.commands.outstanding_codes_due(expired_at - timedelta(seconds=1)) == []

    ticked = tick(TENANT, day_after)
    stack.commands.process_batch(
        [
            InboundRecord(
                topic=stack.settings.topic(CLOCK),
                partition=0,
                offset=0,
                key=TENANT.encode(),
                value=ticked.model_dump_json().encode(),
                timestamp_ms=0,
            )
        ]
    )

    second = outstanding(stack, "hal", "10")
    assert code_of(stack, first).status(ticked.occurred_at) == "expired"
    assert code_of(stack, second).issued_at == expired_at
    assert outstanding(stack, "ida", "5")
    assert record_of(stack, "hal", OTHER_TENANT).outstanding_code is not None
    assert stack.commands.outstanding_codes_due(ticked.occurred_at, TENANT) == []


def _expect(actual: object, expected: object) -> None:
    assert actual == expected
