"""A referral from first click to credit spent, end to end: the referrals service, the
projections, the notifier and the mailbox run as their own processes; the test is the booking
platform (Kafka), the client's portal and the front desk (HTTP on the gateway).

What is asserted is what people see: the link in the portal, the badges on the board, the
emails in the inbox, the credit banner, the checkout's answers.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from starcard_events import examples
from starcard_events.topics import REFERRAL_VISITS, referral_visit_key
from starcard_notifier.mailbox import text_of
from starcard_runtime.settings import RuntimeSettings

from tests.e2e.conftest import PARTITIONS, Gateway, Inbox, Platform
from tests.support.gateway import TenantCaller
from tests.support.processes import LoggedProcess, process_env, running
from tests.support.stack import create_topics, until

pytestmark = pytest.mark.e2e

WELCOME_CODE = re.compile(r"REF-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}")
NOW = datetime.now(UTC).replace(microsecond=0)
MAIL_SECONDS = 40.0
ADA, ZOE = "ada@example.test", "zoe@example.test"


@pytest.fixture
async def visits(settings: RuntimeSettings) -> AsyncIterator[AIOKafkaProducer]:
    """A producer for ``referral.visits.v1`` (the booking page records link visits)."""
    await create_topics(
        settings.kafka_bootstrap_servers, [settings.topic(REFERRAL_VISITS)], PARTITIONS
    )
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


@pytest.fixture
def processes(
    settings: RuntimeSettings,
    platform: Platform,
    visits: AIOKafkaProducer,
    notifier_env: dict[str, str],
) -> Iterator[list[LoggedProcess]]:
    """The referrals service, the projections and the notifier, as deployed."""
    env = process_env(settings)
    with (
        running("starcard_referrals", env) as referrals,
        running("starcard_projections", env) as projections,
        running("starcard_notifier", notifier_env) as notifier,
    ):
        yield [referrals, projections, notifier]


async def portal(gateway: Gateway, tenant: TenantCaller, client: str) -> dict[str, str]:
    """The headers of the client's portal: a token the tenant minted for them."""
    minted = await gateway.client.post(
        "/v1/portal/tokens", json={"client_id": client}, headers=tenant.headers
    )
    assert minted.status_code == 201, minted.text
    return {"Authorization": f"Bearer {minted.json()['token']}"}


async def inbox(mailbox: Inbox, address: str, count: int) -> list[EmailMessage]:
    async def arrived() -> list[EmailMessage]:
        emails = mailbox.to(address)
        assert len(emails) == count, [str(e["Subject"]) for e in emails]
        return emails

    return await until(arrived, within=MAIL_SECONDS)


async def test_a_friend_follows_the_link_books_comes_in_and_the_credit_is_spent_once(
    *,  # keyword-only: pytest fills them in by name all the same
    settings: RuntimeSettings,
    gateway: Gateway,
    platform: Platform,
    visits: AIOKafkaProducer,
    mailbox: Inbox,
    processes: list[LoggedProcess],
) -> None:
    anna = gateway.create_tenant("Serenity Massage", "serenity")
    changed = await gateway.client.patch(
        "/v1/referrals/settings",
        json={
            "reward": {"amount": {"amount_minor": 1000, "currency": "GBP"}},
            "reward_referred": True,
            "booking_page_url": "https://serenity.example/book",
        },
        headers=anna.headers,
    )
    assert changed.status_code == 200, changed.text

    # Ada opens her portal: her link is made, on the studio's booking page.
    ada = await portal(gateway, anna, "ada")
    first = (await gateway.client.get("/v1/portal/referrals", headers=ada)).json()
    code = first["link"]["code"]
    assert first["link"]["url"] == f"https://serenity.example/book?ref={code}"
    assert (first["referrals"], first["credit_banner"]) == ([], None)

    # Zoe follows it, registers and books through it.
    await platform.publish(
        examples.client_registered(
            anna.tenant_id, NOW - timedelta(days=3), client_id="ada", email=ADA
        ),
    )
    visit = examples.link_visited(
        anna.tenant_id, NOW - timedelta(days=2), referral_code=code, visitor_id="cookie-42"
    )
    await visits.send_and_wait(
        settings.topic(REFERRAL_VISITS),
        examples.encode(visit),
        key=referral_visit_key(anna.tenant_id, code),
    )
    first_visit = {
        "booking_id": "zoe-1",
        "client_id": "zoe",
        "referral_code": code,
        "referral_visitor_id": "cookie-42",
    }
    await platform.publish(
        examples.client_registered(
            anna.tenant_id, NOW - timedelta(days=2), client_id="zoe", email=ZOE
        ),
        examples.booking_created(anna.tenant_id, NOW - timedelta(days=2), **first_visit),
    )

    # Zoe's welcome email carries her code; Ada's board shows Zoe booked (amber).
    [welcome] = await inbox(mailbox, ZOE, 1)
    found = WELCOME_CODE.search(text_of(welcome))
    assert found is not None, text_of(welcome)
    assert "£10.00" in str(welcome["Subject"])

    async def booked() -> None:
        shown = (await gateway.client.get("/v1/portal/referrals", headers=ada)).json()
        assert [(r["stage"], r["colour"]) for r in shown["referrals"]] == [("booked", "amber")]

    await until(booked)

    # Zoe comes in and uses her code; the completion earns Ada £10 of credit, by email too.
    redeemed = await gateway.client.post(
        "/v1/checkout/redeem",
        json={
            "client_id": "zoe",
            "code": found.group(0),
            "booking_id": "zoe-1",
            "amount": {"amount_minor": 6000, "currency": "GBP"},
        },
        headers=anna.headers,
    )
    assert redeemed.status_code == 200, redeemed.text
    assert redeemed.json()["total"] == {"amount_minor": 5000, "currency": "GBP"}
    await platform.publish(
        examples.appointment_completed(
            anna.tenant_id,
            NOW - timedelta(days=1),
            **first_visit,
            price_minor=5000,
            discounts=[{**examples.discount("promo_code", 1000), "code": found.group(0)}],
        )
    )
    [credit] = await inbox(mailbox, ADA, 1)
    assert "£10.00" in str(credit["Subject"])

    async def completed_with_a_banner() -> dict[str, Any]:
        shown: dict[str, Any] = (
            await gateway.client.get("/v1/portal/referrals", headers=ada)
        ).json()
        assert [(r["stage"], r["colour"]) for r in shown["referrals"]] == [("completed", "green")]
        assert shown["credit_banner"] is not None
        return shown

    shown = await until(completed_with_a_banner)
    assert "£10.00" in shown["credit_banner"]["text"]
    assert "next booking" in shown["credit_banner"]["text"]

    # Ada's next booking: the credit comes off once, however often the till retries.
    body = {
        "client_id": "ada",
        "booking_id": "ada-7",
        "amount": {"amount_minor": 4500, "currency": "GBP"},
    }
    spent = await gateway.client.post("/v1/checkout/credit/redeem", json=body, headers=anna.headers)
    again = await gateway.client.post("/v1/checkout/credit/redeem", json=body, headers=anna.headers)
    assert spent.status_code == again.status_code == 200, spent.text
    assert spent.json() == again.json()
    assert spent.json()["total"] == {"amount_minor": 3500, "currency": "GBP"}

    async def banner_gone() -> None:
        shown = (await gateway.client.get("/v1/portal/referrals", headers=ada)).json()
        assert shown["credit_banner"] is None

    await until(banner_gone)

    # The dashboard's overview across clients.
    async def summarised() -> None:
        summary = (await gateway.get(anna, "/v1/referrals/summary")).json()
        assert (summary["invited"], summary["booked"], summary["completed"]) == (0, 0, 1)
        assert summary["credits_issued"] == 1
        assert summary["welcome_codes_issued"] == summary["welcome_codes_redeemed"] == 1

    await until(summarised)
    assert len(mailbox.to(ADA)) == len(mailbox.to(ZOE)) == 1
    for process in processes:
        process.assert_alive()
