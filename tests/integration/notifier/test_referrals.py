"""Referral emails through the real path: the welcome goes to the referred client's address on
file, the alert to the business's own address, whatever the client's record says."""

from __future__ import annotations

from datetime import timedelta

import pytest
from starcard_notifier.domain.notification import Status
from starcard_notifier.mailbox import code_in, text_of

from tests.support.stack import eventually

from .conftest import ISSUED, NotifierStack, exactly, has_status, referral_request

pytestmark = pytest.mark.integration

BUSINESS = "owner@serenity.example"


async def test_a_referral_welcome_puts_the_code_in_the_referred_clients_inbox(
    stack: NotifierStack,
) -> None:
    request = referral_request(
        "ivy",
        "referral_welcome",
        code="REF-7KQ2M9XD",
        expires_at=ISSUED + timedelta(days=30),
    )
    await stack.publish_client("ivy", "ivy@example.com")
    await stack.request(request)

    [email] = await eventually(lambda: exactly(stack.emails_to("ivy@example.com"), 1))

    assert email["Subject"] == "Welcome to Serenity Massage: £10.00 off your first session"
    assert email["Message-ID"] == f"<{request.data.notification_id}@starcard.local>"
    assert code_in(email) == "REF-7KQ2M9XD"
    assert "valid until 24 December 2026" in text_of(email)
    assert "Use it once" in text_of(email)
    await eventually(lambda: has_status(stack, request.data.notification_id, Status.SENT))


async def test_a_referral_alert_goes_to_the_business_not_to_the_client(
    stack: NotifierStack,
) -> None:
    request = referral_request(
        "jo",
        "referral_alert",
        message="Client jo referred client kim, who completed their first session.",
        business_email=BUSINESS,
    )
    await stack.publish_client("jo", "jo@example.com")
    await stack.request(request)

    [email] = await eventually(lambda: exactly(stack.emails_to(BUSINESS), 1))

    assert email["Subject"] == "Referral reward due: jo"
    assert "Client jo referred client kim" in text_of(email)
    assert "Suggested reward: £10.00" in text_of(email)
    await eventually(lambda: has_status(stack, request.data.notification_id, Status.SENT))
    assert stack.emails_to("jo@example.com") == []


async def test_a_referral_alert_about_a_client_never_heard_of_is_still_sent(
    stack: NotifierStack,
) -> None:
    """Waiting for the client's record would end in "no email on file": it is never needed."""
    request = referral_request("lee", "referral_alert", business_email=BUSINESS)
    await stack.request(request)

    await eventually(lambda: has_status(stack, request.data.notification_id, Status.SENT))
    assert [email["Subject"] for email in stack.emails_to(BUSINESS)] == ["Referral reward due: lee"]


async def test_a_referral_alert_without_a_business_email_is_suppressed(
    stack: NotifierStack,
) -> None:
    request = referral_request("max", "referral_alert")
    await stack.publish_client("max", "max@example.com")
    await stack.request(request)

    suppressed = await eventually(
        lambda: has_status(stack, request.data.notification_id, Status.SUPPRESSED)
    )

    assert suppressed.email.reason == "no business email on file"
    assert stack.emails_to("max@example.com") == []
