"""A birthday's or an anniversary's reward of another kind than a discount, through the real
path (Kafka in, the event store, the SMTP mailbox out): a code worth a complimentary add-on, and
bonus points, which have no code."""

from __future__ import annotations

import pytest
from starcard_notifier.domain.notification import Status
from starcard_notifier.mailbox import code_in, text_of

from tests.support.stack import eventually

from .conftest import NotifierStack, campaign_request, exactly, has_status

pytestmark = pytest.mark.integration


async def test_an_add_on_reward_email_names_the_add_on_and_its_code(stack: NotifierStack) -> None:
    request = campaign_request("ada", discount_percent=None, add_on="Scalp massage, 15 min")
    await stack.publish_client("ada", "ada@example.com")
    await stack.request(request)

    [email] = await eventually(lambda: exactly(stack.emails_to("ada@example.com"), 1))

    # A subject this long is folded onto the header's next line; read back, it is unfolded.
    assert email["Subject"].strip() == (
        "Happy birthday from Serenity Massage: a complimentary Scalp massage, 15 min"
    )
    body = text_of(email)
    assert "a complimentary Scalp massage, 15 min with your next visit" in body
    assert "% off" not in body
    assert code_in(email) == "BDAY-7KQ2M9XD"
    await eventually(lambda: has_status(stack, request.data.notification_id, Status.SENT))


async def test_a_points_reward_email_says_the_points_are_added_without_a_code(
    stack: NotifierStack,
) -> None:
    request = campaign_request(
        "bo", "anniversary_offer", discount_percent=None, code=None, expires_at=None
    )
    await stack.publish_client("bo", "bo@example.com")
    await stack.request(request)

    [email] = await eventually(lambda: exactly(stack.emails_to("bo@example.com"), 1))

    assert email["Subject"] == "Happy anniversary from Serenity Massage: bonus points for you"
    body = text_of(email)
    assert "anniversary bonus points for your account" in body
    assert "Your code" not in body
    assert code_in(email) is None
    await eventually(lambda: has_status(stack, request.data.notification_id, Status.SENT))
