"""Reward emails through the real path: Kafka in, the event store, the SMTP server out."""

from __future__ import annotations

import uuid

import pytest
from starcard_events.topics import BOOKING_EVENTS, NOTIFICATIONS, dead_letter_topic
from starcard_notifier.domain.notification import Status
from starcard_notifier.mailbox import code_in, text_of
from starcard_runtime.dead_letters import DeadLetterStore

from tests.support.stack import eventually

from .conftest import ISSUED, NotifierStack, exactly, has_status, reward_request

pytestmark = pytest.mark.integration


async def test_a_requested_reward_puts_one_email_in_the_clients_inbox(
    stack: NotifierStack,
) -> None:
    request = reward_request("ada", code="LOYAL-7KQ2M9XD")
    notification_id = request.data.notification_id
    await stack.publish_client("ada", "ada@example.com")
    await stack.request(request)

    [email] = await eventually(lambda: exactly(stack.emails(), 1))

    assert email["To"] == "ada@example.com"
    assert email["From"] == "Starcard <rewards@starcard.local>"
    assert email["Subject"] == "A thank-you from Serenity Massage"
    assert email["Message-ID"] == f"<{notification_id}@starcard.local>"
    assert code_in(email) == "LOYAL-7KQ2M9XD"
    assert "valid until 24 November 2027" in text_of(email)
    await eventually(lambda: has_status(stack, notification_id, Status.SENT))


async def test_a_request_published_again_sends_no_second_email(stack: NotifierStack) -> None:
    request = reward_request("bo")
    await stack.publish_client("bo", "bo@example.com")
    await stack.request(request)
    await eventually(lambda: exactly(stack.emails_to("bo@example.com"), 1))

    await stack.request(request)  # the relay re-publishes after a crash
    await stack.request(request.model_copy(update={"event_id": uuid.uuid4()}))
    # A later request on the same key is consumed after the copies, and dispatched after them.
    later = reward_request("bo", code="LOYAL-AAAA2222")
    await stack.request(later)

    emails = await eventually(lambda: exactly(stack.emails_to("bo@example.com"), 2))
    assert [code_in(e) for e in emails] == ["LOYAL-7KQ2M9XD", "LOYAL-AAAA2222"]


async def test_a_client_without_an_email_is_suppressed_and_sent_nothing(
    stack: NotifierStack,
) -> None:
    request = reward_request("cy")
    await stack.publish_client("cy", None)
    await stack.request(request)

    suppressed = await eventually(
        lambda: has_status(stack, request.data.notification_id, Status.SUPPRESSED)
    )

    assert suppressed.email.reason == "no email on file"
    await _sentinel_delivered(stack)
    assert stack.emails_to("cy@example.com") == []
    assert [e["To"] for e in stack.emails()] == ["sentinel@example.com"]


async def test_a_request_that_overtakes_the_clients_record_waits_for_it(
    stack: NotifierStack,
) -> None:
    """The client's record travels on another topic, so it may arrive a little later."""
    request = reward_request("dee")
    await stack.request(request)
    await eventually(lambda: has_status(stack, request.data.notification_id, Status.REQUESTED))

    await stack.publish_client("dee", "dee@example.com")

    await eventually(lambda: exactly(stack.emails_to("dee@example.com"), 1))


async def test_a_client_never_heard_of_is_suppressed_after_the_wait(stack: NotifierStack) -> None:
    request = reward_request("nobody")
    await stack.request(request)

    suppressed = await eventually(
        lambda: has_status(stack, request.data.notification_id, Status.SUPPRESSED)
    )

    assert suppressed.email.reason == "no email on file"


async def test_the_email_goes_to_the_address_of_the_latest_client_record(
    stack: NotifierStack,
) -> None:
    await stack.publish_client("eve", "eve@new.example", at=ISSUED, updated=True)
    await stack.publish_client("eve", "eve@old.example")  # older, arriving late
    await stack.request(reward_request("eve"))

    await eventually(lambda: exactly(stack.emails_to("eve@new.example"), 1))
    assert stack.emails_to("eve@old.example") == []


async def test_a_removed_email_suppresses_the_next_reward(stack: NotifierStack) -> None:
    await stack.publish_client("fay", "fay@example.com")
    await stack.publish_client("fay", None, at=ISSUED, updated=True)
    request = reward_request("fay")
    await stack.request(request)

    await eventually(lambda: has_status(stack, request.data.notification_id, Status.SUPPRESSED))
    assert stack.emails_to("fay@example.com") == []


async def test_a_bad_request_is_dead_lettered_and_a_bad_booking_record_is_skipped(
    stack: NotifierStack,
) -> None:
    key = b"serenity-massage:gus"
    await stack.publish_raw(NOTIFICATIONS, b"{not json", key)
    await stack.publish_raw(BOOKING_EVENTS, b"{not json", key)
    await stack.publish_client("gus", "gus@example.com")
    await stack.request(reward_request("gus"))

    await eventually(lambda: exactly(stack.emails_to("gus@example.com"), 1))
    [letter] = DeadLetterStore(stack.settings.database_url).list(service="notifier")
    assert letter.record.topic == stack.settings.topic(NOTIFICATIONS)
    assert letter.reason.startswith("invalid NotificationRequested")
    assert dead_letter_topic(letter.record.topic).endswith("starcard.notifications.v1.dlq")


async def _sentinel_delivered(stack: NotifierStack) -> None:
    """Another client's reward, dispatched after everything published before it."""
    await stack.publish_client("sentinel", "sentinel@example.com")
    await stack.request(reward_request("sentinel"))
    await eventually(lambda: exactly(stack.emails_to("sentinel@example.com"), 1))
