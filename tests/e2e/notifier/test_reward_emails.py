"""A client's reward emails, end to end: booking feed on Kafka -> loyalty service -> outbox relay ->
notifier -> SMTP -> the mailbox; the card and the checkout through the gateway.

What is asserted is what a client and a front desk see: the mail in the inbox (who it is to, the
code in it, the business's name and message), the card on the dashboard, the checkout's answers.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import psycopg
import pytest
from starcard_events import examples
from starcard_events.topics import BOOKING_EVENTS
from starcard_notifier.domain.notification import NO_EMAIL_ON_FILE, Status
from starcard_notifier.mailbox import code_in, text_of

from tests.e2e.conftest import Gateway, Inbox, card, recorded, redeem
from tests.support.gateway import TenantCaller
from tests.support.processes import running
from tests.support.stack import until

from .conftest import NotifierStore, RewardStack

pytestmark = pytest.mark.e2e

LOYALTY_CODE = re.compile(r"LOYAL-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}")
"""The spec's code: ``LOYAL-`` and 8 characters nobody misreads (no 0/O, no 1/I/L)."""
MESSAGE_ID = re.compile(r"<[0-9a-f-]{36}@starcard\.local>")

TENANT_NAME = "Serenity Massage"
FIFTH = {
    "session_count": 5,
    "message": "Five visits already: thank you for coming back!",
    "discount_percent": 10,
}
TENTH = {"session_count": 10, "message": "Ten visits! You are a star.", "discount_percent": 25}

# Codes last 12 months from the visit that earned them, and the checkout redeems at the real
# "now": the feed is dated in the recent past so that no code has lapsed.
START = datetime.now(UTC).replace(microsecond=0) - timedelta(days=30)

MAIL_SECONDS = 30.0
RESTART_SECONDS = 60.0  # the restarted notifier waits for the killed member's Kafka session
SETTLE_SECONDS = 1.5  # how long "no further email" is watched for, once the cause is processed


def registered(tenant: TenantCaller, client: str, email: str | None) -> dict[str, Any]:
    return examples.client_registered(
        tenant.tenant_id, START - timedelta(days=1), client_id=client, email=email
    )


def visit(tenant: TenantCaller, client: str, n: int) -> dict[str, Any]:
    """The client's ``n``th completed 60-minute appointment (from 0), one a day."""
    return examples.appointment_completed(
        tenant.tenant_id, START + timedelta(days=n), booking_id=f"{client}-b{n}", client_id=client
    )


async def open_tenant(
    gateway: Gateway, tenant_id: str, *milestones: dict[str, Any]
) -> TenantCaller:
    tenant = gateway.create_tenant(TENANT_NAME, tenant_id)
    for milestone in milestones:
        added = await gateway.client.post(
            "/v1/loyalty/milestones", json=milestone, headers=tenant.headers
        )
        assert added.status_code == 201, added.text
    return tenant


async def inbox_of(
    mailbox: Inbox, address: str, count: int, *, within: float = MAIL_SECONDS
) -> list[EmailMessage]:
    """Wait until exactly ``count`` emails to ``address`` are in the mailbox; return them."""

    async def arrived() -> list[EmailMessage]:
        emails = mailbox.to(address)
        assert len(emails) == count, f"{len(emails)} email(s) to {address}, expected {count}"
        return emails

    return await until(arrived, within=within)


def assert_reward_email(
    email: EmailMessage, *, to: str, milestone: dict[str, Any], outstanding: dict[str, Any]
) -> str:
    """The email a client gets for a reward: theirs, from the business, with the milestone's
    message and the code the card shows. Returns the code."""
    assert email["To"] == to
    assert TENANT_NAME in str(email["Subject"])
    assert MESSAGE_ID.fullmatch(str(email["Message-ID"])), email["Message-ID"]
    code = code_in(email)
    assert code is not None, text_of(email)
    assert LOYALTY_CODE.fullmatch(code), code
    assert code == outstanding["code"]
    text = text_of(email)
    assert TENANT_NAME in text
    assert milestone["message"] in text
    assert f"{milestone['discount_percent']}% off" in text
    expires = datetime.fromisoformat(outstanding["expires_at"]).astimezone(UTC)
    assert f"valid until {expires.day} {expires:%B %Y}" in text
    html = email.get_body(preferencelist=("html",))
    assert isinstance(html, EmailMessage)
    assert code in html.get_content()
    return code


async def outstanding_code(
    gateway: Gateway, tenant: TenantCaller, client: str, *, stars: int
) -> dict[str, Any]:
    """The card once it counts ``stars`` and shows an outstanding code: that code's details."""

    async def shown() -> dict[str, Any]:
        body = await card(gateway, tenant, client)
        assert body["total_stars"] == stars, body
        assert body["outstanding"] is not None, body
        outstanding: dict[str, Any] = body["outstanding"]
        return outstanding

    return await until(shown)


def all_settled(store: NotifierStore, count: int) -> None:
    statuses = [n.email.status for n in store.notifications()]
    assert len(statuses) == count, statuses
    assert all(status is Status.SENT for status in statuses), statuses


async def test_reward_emails_one_per_reward_queued_until_redeemed_and_never_twice(
    stack: RewardStack,
) -> None:
    settings, gateway, platform = stack.settings, stack.gateway, stack.platform
    mailbox, notifier_env, notifier_store = stack.mailbox, stack.notifier_env, stack.notifier_store
    tenant = await open_tenant(gateway, "serenity-e2e", FIFTH, TENTH)
    ada = "ada@example.com"
    first_five = [registered(tenant, "ada", ada), *(visit(tenant, "ada", n) for n in range(5))]
    next_five = [visit(tenant, "ada", n) for n in range(5, 10)]

    with running("starcard_notifier", notifier_env) as notifier:
        # The 5th visit: one email, to the client, with the code the card shows.
        await platform.publish(*first_five)
        [first] = await inbox_of(mailbox, ada, 1)
        fifth = await outstanding_code(gateway, tenant, "ada", stars=5)
        assert fifth["discount_percent"] == 10
        code_5 = assert_reward_email(first, to=ada, milestone=FIFTH, outstanding=fifth)

        # Visits 6 to 10: the 10th milestone is reached, but its reward waits for the code.
        await platform.publish(*next_five)
        waiting = await outstanding_code(gateway, tenant, "ada", stars=10)
        assert waiting["code"] == code_5
        assert (await card(gateway, tenant, "ada"))["all_rewards_earned"] is True
        await asyncio.sleep(SETTLE_SECONDS)
        assert len(mailbox.messages()) == 1, "the queued 10th reward must not be emailed yet"
        assert len(notifier_store.notifications()) == 1

        # Redeeming the code at checkout fires the queued reward: its own email, a new code.
        used = await redeem(gateway, tenant, "ada", code_5, "ada-checkout-1")
        assert used.status_code == 200, used.text
        assert used.json()["discount"] == {"amount_minor": 600, "currency": "GBP"}
        released = used.json()["next_reward"]
        assert released["discount_percent"] == 25
        first_again, second = await inbox_of(mailbox, ada, 2)
        assert first_again["Message-ID"] == first["Message-ID"]
        tenth = await outstanding_code(gateway, tenant, "ada", stars=10)
        code_10 = assert_reward_email(second, to=ada, milestone=TENTH, outstanding=tenth)
        assert code_10 == released["code"]
        assert code_10 != code_5
        assert second["Message-ID"] != first["Message-ID"]

        # The same code on another booking is refused; the same booking again is the same answer.
        elsewhere = await redeem(gateway, tenant, "ada", code_5, "ada-checkout-2")
        assert elsewhere.status_code == 409, elsewhere.text
        assert "already used" in elsewhere.json()["detail"]
        retried = await redeem(gateway, tenant, "ada", code_5, "ada-checkout-1")
        assert (retried.status_code, retried.json()) == (200, used.json())

        # The platform sends the whole feed again, byte for byte, and once more as new records
        # of the same bookings (fresh event ids): no new reward, no new email.
        feed = [*first_five, *next_five]
        resent = [registered(tenant, "ada", ada), *(visit(tenant, "ada", n) for n in range(10))]
        await platform.publish(*feed, *resent)
        topic = settings.topic(BOOKING_EVENTS)

        async def duplicates_recorded() -> None:
            assert recorded(settings.database_url, topic) == 2 * len(feed) + len(resent)

        await until(duplicates_recorded)
        await asyncio.sleep(SETTLE_SECONDS)
        assert (await card(gateway, tenant, "ada"))["outstanding"]["code"] == code_10
        assert mailbox.message_ids() == [first["Message-ID"], second["Message-ID"]]

        # Killed once both emails are recorded as sent (outside the documented window).
        await until(lambda: asyncio.to_thread(all_settled, notifier_store, 2))
        notifier.assert_alive()
        notifier.kill()
        notifier.wait()

    sent_before = mailbox.message_ids()
    # As if the kill had landed before the dispatcher stored its position: the restarted one
    # reads every request again and must find each already sent.
    with psycopg.connect(settings.database_url) as conn:
        rewound = conn.execute(
            "UPDATE notifier.log_positions SET position = 0 WHERE name LIKE 'dispatch.%'"
        )
        assert rewound.rowcount == 1

    with running("starcard_notifier", notifier_env) as notifier:
        # Another client's 5th visit shows the restarted notifier is consuming and sending.
        bo = "bo@example.com"
        await platform.publish(
            registered(tenant, "bo", bo), *(visit(tenant, "bo", n) for n in range(5))
        )
        [bo_email] = await inbox_of(mailbox, bo, 1, within=RESTART_SECONDS)
        bo_card = await outstanding_code(gateway, tenant, "bo", stars=5)
        assert_reward_email(bo_email, to=bo, milestone=FIFTH, outstanding=bo_card)
        await until(lambda: asyncio.to_thread(all_settled, notifier_store, 3))
        await asyncio.sleep(SETTLE_SECONDS)
        notifier.assert_alive()

    message_ids = mailbox.message_ids()
    assert message_ids == [*sent_before, bo_email["Message-ID"]]
    assert len(set(message_ids)) == len(message_ids) == 3


async def test_a_client_without_an_email_keeps_the_reward_and_gets_no_email(
    stack: RewardStack,
) -> None:
    gateway, platform, mailbox = stack.gateway, stack.platform, stack.mailbox
    tenant = await open_tenant(gateway, "serenity-no-email", FIFTH)

    with running("starcard_notifier", stack.notifier_env) as notifier:
        await platform.publish(
            registered(tenant, "cy", None), *(visit(tenant, "cy", n) for n in range(5))
        )
        reward = await outstanding_code(gateway, tenant, "cy", stars=5)
        assert LOYALTY_CODE.fullmatch(reward["code"])
        assert reward["discount_percent"] == 10

        def suppressed() -> None:
            notifications = stack.notifier_store.notifications()
            assert len(notifications) == 1, notifications
            [notification] = notifications
            assert notification.client_id == "cy"
            assert notification.email.status is Status.SUPPRESSED, notification.email.status
            assert notification.email.reason == NO_EMAIL_ON_FILE

        await until(lambda: asyncio.to_thread(suppressed))
        await asyncio.sleep(SETTLE_SECONDS)
        notifier.assert_alive()

    assert mailbox.messages() == []
    still = await card(gateway, tenant, "cy")
    assert still["outstanding"]["code"] == reward["code"], "the reward stands"
