"""Loyalty counting through the real path: Kafka in, the event store, the read model out."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from starcard_events import examples
from starcard_events.topics import dead_letter_topic
from starcard_loyalty.application import LoyaltyService
from starcard_loyalty.domain.counting import Appointment
from starcard_loyalty.domain.rewards import IssuedReward
from starcard_runtime.batching import UnitOfWork
from starcard_runtime.dead_letters import DeadLetterStore

from tests.support.stack import LoyaltyStack, eventually, loyalty_stack

pytestmark = pytest.mark.integration

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
async def stack(
    fresh_database: str, kafka_bootstrap: str, topic_prefix: str
) -> AsyncIterator[LoyaltyStack]:
    async with loyalty_stack(fresh_database, kafka_bootstrap, topic_prefix) as running:
        for tenant in ("anna-massage", "brook-spa"):
            running.commands.open_programme(tenant, tenant.title())
        yield running


def visit(tenant: str, client: str, n: int, *, minutes: int = 60, **extra: Any) -> dict[str, Any]:
    return examples.appointment_completed(
        tenant,
        START + timedelta(days=7 * n),
        booking_id=f"{client}-b{n}",
        client_id=client,
        minutes=minutes,
        **extra,
    )


async def test_full_price_sessions_become_stars_in_the_most_loyal_list(
    stack: LoyaltyStack,
) -> None:
    tenant = "anna-massage"
    await stack.publish(
        *(visit(tenant, "ada", n) for n in range(3)),
        visit(tenant, "bo", 0),
        visit(tenant, "bo", 1, discounts=[examples.discount("eco", 500)], price_minor=5500),
        visit(tenant, "bo", 2, payment_method="membership_credit"),
        visit(tenant, "bo", 3, price_minor=4000),  # priced down by hand
    )

    def listed() -> list[tuple[str, int, int]]:
        rows = [(r.client_id, r.stars, r.sessions) for r in stack.most_loyal(tenant)]
        assert rows == [("ada", 3, 3), ("bo", 1, 4)]
        return rows

    await eventually(listed)


async def test_a_client_with_a_label_discount_earns_no_stars_until_the_toggle_is_on(
    stack: LoyaltyStack,
) -> None:
    tenant = "anna-massage"
    vip = [{"name": "VIP", "percentage": "10", "amount": None}]
    await stack.publish(
        examples.client_registered(tenant, START, client_id="cy", labels=vip),
        *(visit(tenant, "cy", n) for n in range(1, 4)),
    )
    await eventually(lambda: _expect(stack.stars(tenant), {"cy": 0}))

    stack.commands.set_count_discounted_sessions(tenant, enabled=True)

    await eventually(lambda: _expect(stack.stars(tenant), {"cy": 3}))


async def test_duplicates_and_redeliveries_count_once(stack: LoyaltyStack) -> None:
    tenant = "anna-massage"
    feed = [visit(tenant, "dee", n) for n in range(4)]
    await stack.publish(*feed)
    await stack.publish(*feed)  # the platform re-sends everything
    await stack.publish(feed[2])
    await eventually(lambda: _expect(stack.stars(tenant), {"dee": 4}))


async def test_a_poison_record_is_dead_lettered_and_the_records_behind_it_are_processed(
    stack: LoyaltyStack, kafka_bootstrap: str
) -> None:
    tenant = "anna-massage"
    key = b"anna-massage:eve"
    negative = visit(tenant, "eve", 9)
    negative["data"]["price"]["amount_minor"] = -100
    unknown_type = visit(tenant, "eve", 8) | {"type": "AppointmentTeleported"}
    await stack.publish(visit(tenant, "eve", 0))
    await stack.publish_raw(b"{not json", key)
    await stack.publish_raw(examples.encode(unknown_type), key)
    await stack.publish_raw(examples.encode(negative), key)
    await stack.publish(visit("nobody-knows-me", "eve", 1))
    await stack.publish(visit(tenant, "eve", 2))

    await eventually(lambda: _expect(stack.stars(tenant), {"eve": 2}))
    letters = DeadLetterStore(stack.settings.database_url).list(service="loyalty")
    reasons = sorted(letter.reason for letter in letters)
    assert len(reasons) == 4
    assert any("malformed JSON" in r for r in reasons)
    assert any("AppointmentTeleported" in r for r in reasons)
    assert any("amount_minor" in r for r in reasons)
    assert any("unknown tenant 'nobody-knows-me'" in r for r in reasons)

    consumer = AIOKafkaConsumer(
        dead_letter_topic(stack.booking_topic),
        bootstrap_servers=kafka_bootstrap,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        seen: list[dict[str, bytes]] = []
        while len(seen) < 4:
            batch = await consumer.getmany(timeout_ms=5000)
            assert batch, "the dead-letter topic should hold the four poison records"
            seen += [dict(m.headers) for msgs in batch.values() for m in msgs]
    finally:
        await consumer.stop()
    assert {h["starcard.topic"] for h in seen} == {stack.booking_topic.encode()}
    assert all(h["starcard.reason"] and h["starcard.offset"] for h in seen)


async def test_an_unexpected_error_dead_letters_that_record_and_the_partition_goes_on(
    stack: LoyaltyStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fault nobody foresaw (here planted in the use case) sets aside that tenant's record with
    the error, instead of stopping the partition for every tenant on it."""
    original = LoyaltyService.record_appointment

    def failing(
        self: LoyaltyService, unit: UnitOfWork, tenant_id: str, appointment: Appointment
    ) -> list[IssuedReward]:
        if appointment.booking_id == "eve-b1":
            msg = "something nobody foresaw"
            raise RuntimeError(msg)
        return original(self, unit, tenant_id, appointment)

    monkeypatch.setattr(LoyaltyService, "record_appointment", failing)
    tenant, other = "anna-massage", "brook-spa"
    await stack.publish(*(visit(tenant, "eve", n) for n in range(3)), visit(other, "eve", 0))

    await eventually(lambda: _expect(stack.stars(tenant), {"eve": 2}))
    await eventually(lambda: _expect(stack.stars(other), {"eve": 1}))
    [letter] = DeadLetterStore(stack.settings.database_url).list(service="loyalty")
    assert letter.reason == "processing failed: RuntimeError: something nobody foresaw"
    assert letter.record.tenant_id == tenant


async def test_a_shuffled_feed_gives_the_same_list(stack: LoyaltyStack) -> None:
    """Across clients any interleaving; within a client the platform's order is kept."""
    rng = random.Random(7)
    per_client: dict[str, list[dict[str, Any]]] = {}
    for i in range(25):
        client = f"c{i:02d}"
        per_client[client] = []
        for n in range(rng.randint(1, 8)):
            extra: dict[str, Any] = {}
            if rng.random() < 0.3:
                extra = {"discounts": [examples.discount("promo_code", 700)], "price_minor": 5300}
            per_client[client].append(visit("{tenant}", client, n, **extra))

    def for_tenant(event: dict[str, Any], tenant: str) -> dict[str, Any]:
        return event | {"tenant_id": tenant}

    in_order = [e for events in per_client.values() for e in events]
    queues = [list(events) for events in per_client.values()]
    shuffled: list[dict[str, Any]] = []
    while queues:
        queue = rng.choice(queues)
        shuffled.append(queue.pop(0))
        if not queue:
            queues.remove(queue)

    await stack.publish(*(for_tenant(e, "anna-massage") for e in in_order))
    await stack.publish(*(for_tenant(e, "brook-spa") for e in shuffled))

    def same_lists() -> None:
        anna = [(r.client_id, r.stars, r.sessions) for r in stack.most_loyal("anna-massage")]
        brook = [(r.client_id, r.stars, r.sessions) for r in stack.most_loyal("brook-spa")]
        assert len(anna) == 25
        assert anna == brook

    await eventually(same_lists)


async def test_tenants_are_counted_apart(stack: LoyaltyStack) -> None:
    await stack.publish(visit("anna-massage", "fay", 0), visit("anna-massage", "fay", 1))
    await stack.publish(visit("brook-spa", "fay", 0))
    await eventually(lambda: _expect(stack.stars("anna-massage"), {"fay": 2}))
    await eventually(lambda: _expect(stack.stars("brook-spa"), {"fay": 1}))


def _expect(actual: dict[str, int], expected: dict[str, int]) -> None:
    assert actual == expected
