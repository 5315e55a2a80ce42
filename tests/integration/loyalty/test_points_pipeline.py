"""Points through the real path: booking events and clock ticks in through Kafka, the points
account in the event store, facts and the expiry email out through Kafka, the read model."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
import pytest
from starcard_events import Money, examples
from starcard_events.topics import CLOCK, LOYALTY_FACTS, NOTIFICATIONS
from starcard_loyalty.domain.points_settings import Expiry, PointsSettings, ServiceBonus
from starcard_projections.points import points_summary
from starcard_runtime.clock import tick
from starcard_runtime.dead_letters import DeadLetterStore

from tests.support.stack import LoyaltyStack, collect, create_topics, eventually, loyalty_stack

pytestmark = pytest.mark.integration

CLINIC, OTHER = "glow-clinic", "lumen-spa"
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SETTINGS = PointsSettings(
    enabled=True,
    treatment_rate=100,
    category_rates={"injectables": 300},
    retail_rate=50,
    service_bonuses=(ServiceBonus("laser-week", category="laser", multiplier_hundredths=200),),
    rebook_within_days=45,
    rebook_bonus_points=100,
    expiry=Expiry.AFTER_DAYS,
    expiry_days=90,
    expiry_notice_days=14,
    points_per_currency_unit=100,
    min_redeem_points=100,
    max_bill_percent=50,
)


@dataclass
class PointsStack:
    loyalty: LoyaltyStack
    published: list[dict[str, Any]]

    def facts(self, kind: str, client: str) -> list[dict[str, Any]]:
        seen: dict[str, dict[str, Any]] = {}
        for record in self.published:
            if record["type"] == kind and record["data"]["client_id"] == client:
                seen.setdefault(record["event_id"], record["data"])
        return list(seen.values())

    def balance(self, client: str, tenant: str = CLINIC) -> int:
        with psycopg.connect(self.loyalty.settings.database_url) as conn:
            return points_summary(conn, tenant, client).balance

    async def tick(self, day: date, tenant: str = CLINIC) -> None:
        ticked = tick(tenant, day)
        await self.loyalty.producer.send_and_wait(
            self.loyalty.settings.topic(CLOCK),
            ticked.model_dump_json().encode(),
            key=tenant.encode(),
        )


@pytest.fixture
async def stack(
    fresh_database: str, kafka_bootstrap: str, topic_prefix: str
) -> AsyncIterator[PointsStack]:
    async with loyalty_stack(fresh_database, kafka_bootstrap, topic_prefix) as running:
        out = [LOYALTY_FACTS, NOTIFICATIONS]
        await create_topics(kafka_bootstrap, [running.settings.topic(t) for t in out], 4)
        for tenant in (CLINIC, OTHER):
            running.commands.open_programme(tenant, tenant.title())
            running.commands.set_points_settings(tenant, SETTINGS, START - timedelta(days=1))
        published: list[dict[str, Any]] = []
        stop = asyncio.Event()
        collector = asyncio.create_task(collect(running.settings, out, published, stop))
        try:
            yield PointsStack(running, published)
        finally:
            stop.set()
            await collector


def treatment(client: str, booking: str, price: int, days: int = 0, **extra: Any) -> dict[str, Any]:
    extra.setdefault("category", "facials")
    return examples.appointment_completed(
        extra.pop("tenant", CLINIC),
        START + timedelta(days=days),
        client_id=client,
        booking_id=booking,
        list_price_minor=price,
        **extra,
    )


def order(client: str, order_id: str, lines: dict[str, int], days: int = 0) -> dict[str, Any]:
    return examples.product_purchased(
        CLINIC,
        START + timedelta(days=days),
        order_id=order_id,
        client_id=client,
        lines=[examples.order_line(sku, amount) for sku, amount in lines.items()],
        channel="shop",
    )


def expect(actual: object, expected: object) -> None:
    assert actual == expected


async def test_treatments_and_retail_earn_in_one_account_at_their_rates(stack: PointsStack) -> None:
    feed = [
        treatment("ada", "botox", 30000, category="Injectables"),  # 3 per £1: 900
        # within 45 days of the last visit: 100 + double 100 + rebook 100
        treatment("ada", "laser", 10000, days=30, category="laser"),
        order("ada", "o1", {"serum": 4000, "spf": 2001}),  # retail 0.5 per £1: 20 + 10
        treatment("ada", "gift", 9000, days=120, payment_method="gift_card"),  # not earning
        treatment("bo", "facial", 8000, tenant=OTHER),
    ]
    await stack.loyalty.publish(*feed)
    await eventually(lambda: expect(stack.balance("ada"), 1230))
    await stack.loyalty.publish(*feed)  # re-sent as is
    resent = [{**event, "event_id": f"{event['event_id'][:-4]}beef"} for event in feed]
    await stack.loyalty.publish(*resent)  # re-sent with new event ids
    await stack.loyalty.publish(treatment("ada", "later", 100, days=300))  # a marker behind them
    await eventually(lambda: expect(stack.balance("ada"), 1231))

    earned = await eventually(lambda: _facts(stack, "PointsEarned", "ada", 7))
    assert sorted((e["reason"], e["points"], e["source"]) for e in earned) == [
        ("bonus", 100, "booking:laser"),
        ("bonus", 100, "booking:laser"),
        ("earned", 1, "booking:later"),
        ("earned", 10, "order:o1:spf"),
        ("earned", 20, "order:o1:serum"),
        ("earned", 100, "booking:laser"),
        ("earned", 900, "booking:botox"),
    ]
    assert all(e["expires_on"] for e in earned)
    # Another tenant's client is on another partition: its own visit, in its own time.
    await eventually(lambda: expect(stack.balance("bo", OTHER), 80))
    assert stack.balance("bo") == 0  # never another tenant's


async def test_refunds_reverse_once_before_or_after_the_purchase_and_after_redemption(
    stack: PointsStack,
) -> None:
    await stack.loyalty.publish(
        examples.order_refunded(
            CLINIC, START, refund_id="r-o1", order_id="o1", client_id="ada", lines={"serum": 2000}
        ),
        order("ada", "o1", {"serum": 4000, "spf": 2000}),  # refund arrived first: 20 - 10, 10
        treatment("ada", "botox", 30000, category="injectables"),  # 900
        treatment("ada", "facial", 8000, days=1),  # 80 + rebook 100
    )
    await eventually(lambda: expect(stack.balance("ada"), 1100))

    redeemed = stack.loyalty.commands.redeem_points(
        CLINIC,
        "ada",
        booking_id="next",
        points=1000,
        bill=Money(amount_minor=200000, currency="GBP"),
        at=START + timedelta(days=2),
    )
    assert (redeemed.points, redeemed.discount_minor) == (1000, 1000)  # £10.00 off
    paid_with_points = [examples.discount("points", 1000)]
    await stack.loyalty.publish(  # the platform reports the points discount: taken once only
        treatment("ada", "next", 20000, days=2, price_minor=19000, discounts=paid_with_points)
    )  # earns on the £190 paid: 190 + rebook 100
    await eventually(lambda: expect(stack.balance("ada"), 390))

    refund = examples.appointment_refunded(
        CLINIC, START + timedelta(days=3), refund_id="r-botox", booking_id="botox", client_id="ada"
    )
    in_euros = examples.appointment_refunded(
        CLINIC,
        START + timedelta(days=3),
        refund_id="r-eur",
        booking_id="botox",
        client_id="ada",
        amount_minor=5000,
        currency="EUR",
    )
    bad_line = examples.product_purchased(
        CLINIC, START, order_id="o2", client_id="ada", lines=[examples.order_line("x", -5)]
    )
    await stack.loyalty.publish(in_euros, bad_line, refund, refund)
    await eventually(lambda: expect(stack.balance("ada"), -510))  # spent points stay spent
    letters = DeadLetterStore(stack.loyalty.settings.database_url).list(service="loyalty")
    reasons = sorted(letter.reason for letter in letters)
    assert len(reasons) == 2
    assert reasons[0].startswith("Refund 'r-eur' is in EUR, but booking:botox was paid in GBP")
    assert reasons[1].startswith("data.lines[0].amount_paid.amount_minor")
    reversed_ = await eventually(lambda: _facts(stack, "PointsReversed", "ada", 2))
    assert sorted(fact["points"] for fact in reversed_) == [-900, -10]

    await stack.loyalty.publish(treatment("ada", "peel", 90000, days=4))  # 900 + rebook 100
    await eventually(lambda: expect(stack.balance("ada"), 490))  # the debt is paid first
    stars = stack.loyalty.stars(CLINIC)
    assert stars["ada"] == 2  # facial and peel (full price); the refunded botox no longer counts


async def test_points_expire_on_the_tick_of_their_day_once_after_a_notice(
    stack: PointsStack,
) -> None:
    await stack.loyalty.publish(treatment("ada", "b1", 50000))  # 500, expire after 90 days
    await eventually(lambda: expect(stack.balance("ada"), 500))
    expires_on = (START + timedelta(days=90)).date()

    await stack.tick(expires_on - timedelta(days=15))
    await stack.tick(expires_on - timedelta(days=14))
    await stack.tick(expires_on - timedelta(days=13))
    notices = await eventually(lambda: _notices(stack, "ada", 1))
    assert "500 of your points expire on 31 May 2026" in notices[0]["message"]
    assert stack.balance("ada") == 500

    await stack.tick(expires_on - timedelta(days=1))
    await stack.tick(expires_on)
    await stack.tick(expires_on)
    await stack.tick(expires_on + timedelta(days=1))
    await eventually(lambda: expect(stack.balance("ada"), 0))
    await stack.loyalty.publish(treatment("ada", "b2", 100, days=95))  # a marker behind the ticks
    await eventually(lambda: expect(stack.balance("ada"), 1))
    expired = await eventually(lambda: _facts(stack, "PointsExpired", "ada", 1))
    assert [fact["points"] for fact in expired] == [-500]
    assert len(_notices(stack, "ada", 1)) == 1


def _facts(stack: PointsStack, kind: str, client: str, count: int) -> list[dict[str, Any]]:
    facts = stack.facts(kind, client)
    assert len(facts) == count
    return facts


def _notices(stack: PointsStack, client: str, count: int) -> list[dict[str, Any]]:
    notices = [
        data
        for data in stack.facts("NotificationRequested", client)
        if data["kind"] == "points_expiring"
    ]
    assert len(notices) == count
    return notices
