"""A campaign's results over the API, from offers the real campaigns pipeline made.

The tenant opts in and holds out half its clients through the API; the clients' records, the
clock's ticks and the bookings after them reach the campaigns service through Kafka. The hold-out
hash is stable, so for tenant ``serenity-results`` and the 2026 birthdays ada, bea and fay are
held out and cal, dee, eve and gus are sent theirs. Time is the events' own: every date is fixed.

March's cohort (offers decided by the tick of Monday 2 March 2026, attribution window 14 days):

==========  ==========================================================  =======  =========
client      after the offer                                             counted  revenue
==========  ==========================================================  =======  =========
cal (sent)  books on 4 March, comes in on 6 March, pays £60.00          yes      £60.00
dee (sent)  books on 5 March, comes in on 8 March, pays €30.00, €10.00  yes      €20.00
            refunded (a visitor paying in euros: kept apart from pounds)
eve (sent)  books on 3 March, cancels                                   no
ada (held)  walks in on 7 March (no booking seen), pays £45.00          yes      £45.00
bea (held)  books on 22 March: after the window                         no
fay (held)  nothing                                                     no
==========  ==========================================================  =======  =========

April's cohort: gus, sent his by the tick of Monday 6 April, does not come back.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from starcard_campaigns.app import GROUP_ID, SCHEMA, TOPICS, outbox_relay
from starcard_campaigns.application import CampaignsService
from starcard_events import examples
from starcard_events.topics import NOTIFICATIONS, booking_key
from starcard_runtime.settings import RuntimeSettings

from tests.integration.gateway.conftest import ADMIN_KEY, get
from tests.support.gateway import TenantCaller
from tests.support.stack import (
    consuming,
    create_topics,
    processed,
    publish_tick,
    stack_settings,
)

pytestmark = pytest.mark.integration

MARCH = date(2026, 3, 2)
APRIL = date(2026, 4, 6)
HELD_OUT = ("ada", "bea", "fay")
SENT = ("cal", "dee", "eve")
RESULTS = "/v1/campaigns/results"


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def march(days: int) -> date:
    """The day `days` after March's tick."""
    return MARCH + timedelta(days=days)


@dataclass
class Pipeline:
    """The campaigns service consuming the test's topics; what the booking platform and the
    clock publish reaches it, and each publish returns once the service has recorded it."""

    settings: RuntimeSettings
    producer: AIOKafkaProducer
    service: CampaignsService

    async def publish(self, *events: dict[str, Any]) -> None:
        topic = self.settings.topic(TOPICS[0])
        sending = [
            await self.producer.send(
                topic,
                examples.encode(event),
                key=booking_key(event["tenant_id"], event["data"]["client_id"]),
            )
            for event in events
        ]
        await processed(self.service, *await asyncio.gather(*sending))

    async def tick(self, tenant_id: str, day: date) -> None:
        await processed(
            self.service, await publish_tick(self.producer, self.settings, tenant_id, day)
        )


@pytest.fixture
async def serenity(gateway: httpx.AsyncClient) -> TenantCaller:
    """A tenant of a fixed id (the hold-out hash is of it), with the birthday campaign on and
    half its eligible clients held out."""
    created = await gateway.post(
        "/v1/operator/tenants",
        json={"name": "Serenity Spa", "tenant_id": "serenity-results"},
        headers={"Authorization": f"Bearer {ADMIN_KEY}"},
    )
    assert created.status_code == 201, created.text
    tenant = TenantCaller("serenity-results", created.json()["api_key"])
    for path, body in (
        ("/v1/campaigns/settings", {"holdout_percent": 50, "attribution_days": 14}),
        ("/v1/campaigns/birthday/settings", {"enabled": True, "discount_percent": 20}),
    ):
        response = await gateway.patch(path, json=body, headers=tenant.headers)
        assert response.status_code == 200, response.text
    return tenant


@pytest.fixture
async def pipeline(
    gateway: httpx.AsyncClient, fresh_database: str, kafka_bootstrap: str, topic_prefix: str
) -> AsyncIterator[Pipeline]:
    settings = stack_settings(fresh_database, kafka_bootstrap, topic_prefix)
    topics = [settings.topic(topic) for topic in (*TOPICS, NOTIFICATIONS)]
    await create_topics(kafka_bootstrap, topics, partitions=2)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        async with consuming(
            CampaignsService,
            outbox_relay,
            settings,
            schema=SCHEMA,
            topics=TOPICS,
            group_id=GROUP_ID,
        ) as service:
            yield Pipeline(settings, producer, service)
    finally:
        await producer.stop()


def born(tenant: TenantCaller, client_id: str, tick: date) -> dict[str, Any]:
    """The client's record, with a birthday three days after the tick of `tick`."""
    birthday = tick + timedelta(days=3)
    return examples.client_registered(
        tenant.tenant_id,
        at(tick - timedelta(days=10)),
        client_id=client_id,
        birthday={"month": birthday.month, "day": birthday.day},
    )


def booking(tenant: TenantCaller, client_id: str, made: date, n: int = 1) -> dict[str, Any]:
    return examples.booking_created(
        tenant.tenant_id,
        at(made),
        booking_id=f"{client_id}-b{n}",
        client_id=client_id,
        starts_at=at(made + timedelta(days=2)),
    )


def visit(
    tenant: TenantCaller, client_id: str, day: date, paid: int, currency: str = "GBP"
) -> dict[str, Any]:
    return examples.appointment_completed(
        tenant.tenant_id,
        at(day),
        booking_id=f"{client_id}-b1",
        client_id=client_id,
        list_price_minor=paid,
        currency=currency,
    )


@pytest.fixture
async def offers_made(serenity: TenantCaller, pipeline: Pipeline) -> TenantCaller:
    """The story of the module's docstring, published and recorded."""
    await pipeline.publish(*(born(serenity, client, MARCH) for client in (*HELD_OUT, *SENT)))
    await pipeline.publish(born(serenity, "gus", APRIL))
    await pipeline.tick(serenity.tenant_id, MARCH)
    await pipeline.publish(
        booking(serenity, "cal", march(2)),
        visit(serenity, "cal", march(4), 6000),
        booking(serenity, "dee", march(3)),
        visit(serenity, "dee", march(6), 3000, "EUR"),
        examples.appointment_refunded(
            serenity.tenant_id,
            at(march(7)),
            refund_id="dee-r1",
            booking_id="dee-b1",
            client_id="dee",
            amount_minor=1000,
        ),
        booking(serenity, "eve", march(1)),
        examples.booking_cancelled(
            serenity.tenant_id, at(march(2)), booking_id="eve-b1", client_id="eve"
        ),
        visit(serenity, "ada", march(5), 4500),
        booking(serenity, "bea", march(20)),
    )
    await pipeline.tick(serenity.tenant_id, APRIL)
    return serenity


async def results(
    gateway: httpx.AsyncClient, tenant: TenantCaller, path: str = RESULTS, **params: str
) -> Any:
    response = await gateway.get(path, params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    return response.json()


def amounts(**by_currency: int) -> list[dict[str, Any]]:
    """Money kept by currency, as the API writes it: one amount each, in currency order."""
    return [
        {"amount_minor": amount, "currency": currency}
        for currency, amount in sorted(by_currency.items())
    ]


def group(offers: int, rebooked: int, **revenue: int) -> dict[str, Any]:
    """A group's results, its `revenue` by currency (none: none of its clients came in). No
    notifier runs here: nothing is reported delivered, and opens are never known."""
    per_rebooked = {currency: amount // rebooked for currency, amount in revenue.items()}
    return {
        "offers": offers,
        "delivered": 0,
        "sms_delivered": 0,
        "opened": None,
        "rebooked": rebooked,
        "rebooking_rate": rebooked / offers,
        "revenue": amounts(**revenue),
        "revenue_per_rebooked": amounts(**per_rebooked) if rebooked else None,
    }


MARCH_ROW = {
    "campaign": "birthday",
    "sent": group(3, 2, GBP=6000, EUR=2000),
    "held_out": group(3, 1, GBP=4500),
    "uplift_points": 33.33,
}
APRIL_ROW: dict[str, Any] = {
    "campaign": "birthday",
    "sent": group(1, 0),
    "held_out": {
        "offers": 0,
        "delivered": 0,
        "sms_delivered": 0,
        "opened": None,
        "rebooked": 0,
        "rebooking_rate": None,
        "revenue": [],
        "revenue_per_rebooked": None,
    },
    "uplift_points": None,
}


async def test_each_cohort_shows_the_offers_sent_against_those_held_out(
    gateway: httpx.AsyncClient, offers_made: TenantCaller
) -> None:
    assert await results(gateway, offers_made) == {
        "period": "month",
        "since": None,
        "attribution_days": 14,
        "data": [
            MARCH_ROW | {"cohort": "2026-03-01"},
            APRIL_ROW | {"cohort": "2026-04-01"},
        ],
        "count": 2,
    }


async def test_weekly_cohorts_start_on_monday_and_since_leaves_out_earlier_offers(
    gateway: httpx.AsyncClient, offers_made: TenantCaller
) -> None:
    weekly = await results(gateway, offers_made, period="week")
    assert [(row["cohort"], row["sent"]["offers"]) for row in weekly["data"]] == [
        ("2026-03-02", 3),
        ("2026-04-06", 1),
    ]

    since = await results(gateway, offers_made, period="week", since="2026-03-03")
    assert since["since"] == "2026-03-03"
    assert since["data"] == [APRIL_ROW | {"cohort": "2026-04-06"}]


async def test_a_longer_attribution_window_counts_a_later_booking(
    gateway: httpx.AsyncClient, offers_made: TenantCaller
) -> None:
    response = await gateway.patch(
        "/v1/campaigns/settings", json={"attribution_days": 30}, headers=offers_made.headers
    )
    assert response.status_code == 200, response.text

    # bea's booking of 22 March now counts (she did not come in: no revenue).
    march_row = (await results(gateway, offers_made))["data"][0]
    assert march_row["held_out"] == group(3, 2, GBP=4500)


async def test_the_results_download_as_csv(
    gateway: httpx.AsyncClient, offers_made: TenantCaller
) -> None:
    response = await gateway.get(f"{RESULTS}.csv", headers=offers_made.headers)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    header, march, april = csv.reader(io.StringIO(response.text))
    assert header == [
        "campaign",
        "cohort",
        "sent_offers",
        "sent_delivered",
        "sent_sms_delivered",
        "sent_opened",
        "sent_rebooked",
        "sent_rebooking_rate",
        "sent_revenue",
        "sent_revenue_per_rebooked",
        "held_out_offers",
        "held_out_delivered",
        "held_out_sms_delivered",
        "held_out_opened",
        "held_out_rebooked",
        "held_out_rebooking_rate",
        "held_out_revenue",
        "held_out_revenue_per_rebooked",
        "uplift_points",
    ]
    assert march == [
        "birthday",
        "2026-03-01",
        "3",
        "0",
        "0",
        "",
        "2",
        str(2 / 3),
        "€20.00; £60.00",
        "€10.00; £30.00",
        "3",
        "0",
        "0",
        "",
        "1",
        str(1 / 3),
        "£45.00",
        "£45.00",
        "33.33",
    ]
    # none held out: nothing delivered, no rate, no revenue, nothing per client
    no_one = ["0", "0", "0", "", "0", "", "", ""]
    april_sent = ["1", "0", "0", "", "0", "0.0", "", ""]
    assert april == ["birthday", "2026-04-01", *april_sent, *no_one, ""]
    weekly = await gateway.get(
        f"{RESULTS}.csv", params={"period": "week"}, headers=offers_made.headers
    )
    assert [row[1] for row in csv.reader(io.StringIO(weekly.text))][1:] == [
        "2026-03-02",
        "2026-04-06",
    ]


async def test_a_client_s_offers_show_the_code_sent_or_that_they_were_held_out(
    gateway: httpx.AsyncClient, offers_made: TenantCaller
) -> None:
    (cal,) = (await get(gateway, offers_made, "/v1/campaigns/clients/cal/offers"))["data"]
    assert cal["code"].startswith("BDAY-")
    assert cal == {
        "campaign": "birthday",
        "occasion": "2026",
        "day": "2026-03-02",
        "held_out": False,
        "reward": "discount",
        "code": cal["code"],
        "discount_percent": 20,
        "add_on": None,
        "expires_at": "2026-04-01T00:00:00Z",
    }

    ada = await get(gateway, offers_made, "/v1/campaigns/clients/ada/offers")
    assert ada == {
        "data": [
            {
                "campaign": "birthday",
                "occasion": "2026",
                "day": "2026-03-02",
                "held_out": True,
                "reward": None,
                "code": None,
                "discount_percent": None,
                "add_on": None,
                "expires_at": None,
            }
        ],
        "count": 1,
    }


async def test_another_tenant_sees_none_of_the_results_nor_the_offers(
    gateway: httpx.AsyncClient, offers_made: TenantCaller, brook: TenantCaller
) -> None:
    assert (await results(gateway, brook))["data"] == []
    assert (await get(gateway, brook, "/v1/campaigns/clients/cal/offers"))["data"] == []


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("period=year", "query parameter period: Input should be 'week' or 'month'"),
        ("since=March", "query parameter since: Value error, Input should be a day as YYYY-MM-DD"),
        ("since=0", "query parameter since: Value error, Input should be a day as YYYY-MM-DD"),
        ("since=2026-02-30", "query parameter since: Input should be a valid date"),
        ("limit=5", "query parameter limit: Unknown parameter"),
    ],
)
async def test_a_query_it_cannot_read_is_refused_naming_the_parameter(
    gateway: httpx.AsyncClient, serenity: TenantCaller, query: str, named: str
) -> None:
    for path in (RESULTS, f"{RESULTS}.csv"):
        response = await gateway.get(f"{path}?{query}", headers=serenity.headers)

        assert response.status_code == 422, response.text
        assert named in response.json()["detail"]
