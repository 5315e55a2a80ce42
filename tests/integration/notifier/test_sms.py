"""Campaign offers by SMS through the real path: Kafka in, the event store, the SMTP mailbox and
the SMS sink out (spoken to by the real Twilio adapter), and STOP replies through the signed
inbound webhook; and quiet hours holding a request until its `send_after`, on an injected
clock."""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from starcard_notifier.app import dispatcher
from starcard_notifier.domain.notification import (
    NO_SMS_CONSENT,
    REPLIED_STOP,
    UNSUBSCRIBED_AT_PROVIDER,
    Notification,
    Status,
)
from starcard_notifier.mailbox import MailboxServer, text_of
from starcard_notifier.settings import NotifierSettings
from starcard_notifier.smsbox import SmsboxServer
from starcard_notifier.twilio_signature import HEADER, signature

from tests.support.processes import free_port
from tests.support.stack import eventually

from .conftest import (
    BOOKING_URL,
    ISSUED,
    NotifierStack,
    campaign_request,
    dispatching,
    exactly,
    has_status,
    notifier_running,
    notifier_stack,
    reward_request,
)

pytestmark = pytest.mark.integration

AUTH_TOKEN = "test-auth-token"  # noqa: S105 - the test account's, of the local sink
ACCOUNT_SID = "AC00000000000000000000000000000001"
SENDER = "+15005550006"


@pytest.fixture
def sms_settings(settings: NotifierSettings) -> NotifierSettings:
    return settings.model_copy(
        update={
            "sms_provider_url": f"http://127.0.0.1:{free_port()}",
            "sms_account_sid": ACCOUNT_SID,
            "sms_auth_token": AUTH_TOKEN,
            "sms_from": SENDER,
            "sms_timeout_seconds": 5.0,
            "sms_webhook_port": free_port(),
        }
    )


@pytest.fixture
def smsbox(tmp_path: Path, sms_settings: NotifierSettings) -> Iterator[SmsboxServer]:
    port = int(str(sms_settings.sms_provider_url).rsplit(":", 1)[1])
    with SmsboxServer(
        tmp_path / "smsbox",
        port,
        auth_token=AUTH_TOKEN,
        webhook_url=sms_settings.inbound_sms_url,
        number=SENDER,
    ) as server:
        yield server


@pytest.fixture
async def stack(
    sms_settings: NotifierSettings,
    mailbox_dir: Path,
    mailbox_server: MailboxServer,
    smsbox: SmsboxServer,
) -> AsyncIterator[NotifierStack]:
    async with notifier_stack(sms_settings, mailbox_dir) as running, notifier_running(sms_settings):
        await eventually(lambda: listening(sms_settings.sms_webhook_port))
        yield running


def listening(port: int) -> None:
    """The notifier's inbound-SMS webhook accepts connections."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError as error:
        raise AssertionError(f"nothing listens on {port}") from error


def texts_to(smsbox: SmsboxServer, phone: str) -> list[dict[str, Any]]:
    return [text for text in smsbox.box.messages() if text["to"] == phone]


def sms_status(stack: NotifierStack, notification_id: uuid.UUID, status: Status) -> Notification:
    found = stack.notification(notification_id)
    assert found.sms is not None
    assert found.sms.status is status, f"{found.sms.status} is not {status}"
    return found


async def reply(smsbox: SmsboxServer, phone: str, body: str) -> None:
    """The client texts back; the sink forwards it, signed, to the notifier's webhook."""
    async with httpx.AsyncClient() as client:
        answer = await client.post(f"{smsbox.url}/reply", json={"from": phone, "body": body})
    assert answer.json() == {"forwarded": 200}


async def sentinel_delivered(stack: NotifierStack, smsbox: SmsboxServer) -> None:
    """Another client's offer, dispatched after everything published before it."""
    await stack.publish_client(
        "sentinel", "sentinel@example.com", phone="+447700900999", sms_consent=True
    )
    await stack.request(campaign_request("sentinel"))
    await eventually(lambda: exactly(texts_to(smsbox, "+447700900999"), 1))


async def test_an_offer_to_a_consenting_client_is_one_email_and_one_sms_with_the_link(
    stack: NotifierStack, smsbox: SmsboxServer
) -> None:
    request = campaign_request("ada")
    notification_id = request.data.notification_id
    await stack.publish_client("ada", "ada@example.com", phone="+447700900123", sms_consent=True)
    await stack.request(request)

    [text] = await eventually(lambda: exactly(texts_to(smsbox, "+447700900123"), 1))
    [email] = await eventually(lambda: exactly(stack.emails_to("ada@example.com"), 1))

    assert text["from"] == SENDER
    assert text["body"] == (
        "Serenity Massage: Happy birthday! 10% off with code BDAY-7KQ2M9XD until 24 Dec. "
        f"Book: {BOOKING_URL} Reply STOP to opt out"
    )
    assert text["idempotency_key"] == str(notification_id)
    assert f"Book now: {BOOKING_URL}" in text_of(email)
    sent = await eventually(lambda: sms_status(stack, notification_id, Status.SENT))
    assert sent.email.status is Status.SENT


async def test_a_request_published_again_sends_no_second_sms(
    stack: NotifierStack, smsbox: SmsboxServer
) -> None:
    request = campaign_request("bo")
    await stack.publish_client("bo", "bo@example.com", phone="+447700900124", sms_consent=True)
    await stack.request(request)
    await eventually(lambda: exactly(texts_to(smsbox, "+447700900124"), 1))

    await stack.request(request)
    await stack.request(request.model_copy(update={"event_id": uuid.uuid4()}))
    await sentinel_delivered(stack, smsbox)

    exactly(texts_to(smsbox, "+447700900124"), 1)
    exactly(stack.emails_to("bo@example.com"), 1)


async def test_a_client_without_sms_consent_gets_the_email_and_no_sms(
    stack: NotifierStack, smsbox: SmsboxServer
) -> None:
    request = campaign_request("cy", kind="anniversary_offer")
    await stack.publish_client("cy", "cy@example.com", phone="+447700900125", sms_consent=False)
    await stack.request(request)

    suppressed = await eventually(
        lambda: sms_status(stack, request.data.notification_id, Status.SUPPRESSED)
    )
    await eventually(lambda: exactly(stack.emails_to("cy@example.com"), 1))

    assert suppressed.sms is not None
    assert suppressed.sms.reason == NO_SMS_CONSENT
    assert texts_to(smsbox, "+447700900125") == []


async def test_a_client_who_replied_stop_gets_the_email_and_no_sms_until_start(
    stack: NotifierStack, smsbox: SmsboxServer
) -> None:
    phone = "+447700900126"
    await stack.publish_client("dee", "dee@example.com", phone=phone, sms_consent=True)
    await reply(smsbox, phone, "STOP")
    # The platform re-sends the record, consent and all: the STOP still holds.
    await stack.publish_client(
        "dee", "dee@example.com", phone=phone, sms_consent=True, at=ISSUED, updated=True
    )
    stopped = campaign_request("dee", kind="reengagement_offer")
    await stack.request(stopped)

    suppressed = await eventually(
        lambda: sms_status(stack, stopped.data.notification_id, Status.SUPPRESSED)
    )
    await eventually(lambda: exactly(stack.emails_to("dee@example.com"), 1))
    assert suppressed.sms is not None
    assert suppressed.sms.reason == REPLIED_STOP
    assert texts_to(smsbox, phone) == []

    await reply(smsbox, phone, "START")
    started = campaign_request("dee", kind="anniversary_offer")
    await stack.request(started)

    [text] = await eventually(lambda: exactly(texts_to(smsbox, phone), 1))
    assert text["body"].startswith("Serenity Massage: Happy anniversary!")


async def test_a_number_the_provider_reports_unsubscribed_is_kept_as_stopped(
    stack: NotifierStack, smsbox: SmsboxServer
) -> None:
    """A STOP the notifier never heard of (the provider's error 21610): recorded on the number,
    so the next offer is not even tried."""
    phone = "+447700900127"
    smsbox.stopped.add(phone)
    await stack.publish_client("eve", "eve@example.com", phone=phone, sms_consent=True)
    first = campaign_request("eve")
    await stack.request(first)

    refused = await eventually(
        lambda: sms_status(stack, first.data.notification_id, Status.SUPPRESSED)
    )
    assert refused.sms is not None
    assert refused.sms.reason == UNSUBSCRIBED_AT_PROVIDER
    opt_out = stack.store.opt_out(phone)
    assert opt_out is not None
    assert opt_out.stopped

    second = campaign_request("eve", kind="anniversary_offer")
    await stack.request(second)
    again = await eventually(
        lambda: sms_status(stack, second.data.notification_id, Status.SUPPRESSED)
    )
    assert again.sms is not None
    assert again.sms.reason == REPLIED_STOP


async def test_an_inbound_text_without_a_valid_signature_is_refused(
    stack: NotifierStack, sms_settings: NotifierSettings
) -> None:
    phone = "+447700900128"
    form = {"From": phone, "To": SENDER, "Body": "STOP"}
    forged = signature(sms_settings.inbound_sms_url, form.items(), "not-the-token")
    async with httpx.AsyncClient() as client:
        unsigned = await client.post(sms_settings.inbound_sms_url, data=form)
        wrong = await client.post(sms_settings.inbound_sms_url, data=form, headers={HEADER: forged})

    assert (unsigned.status_code, wrong.status_code) == (403, 403)
    assert stack.store.opt_out(phone) is None


async def test_an_oversized_inbound_body_is_refused_whether_or_not_it_says_its_length(
    stack: NotifierStack, sms_settings: NotifierSettings
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(64):  # 4 MiB, sent chunked, with no Content-Length
            yield b"Body=" + b"x" * (64 * 1024)

    async with httpx.AsyncClient() as client:
        chunked = await client.post(sms_settings.inbound_sms_url, content=chunks())
        declared = await client.post(sms_settings.inbound_sms_url, content=b"x" * (17 * 1024))

    assert (chunked.status_code, declared.status_code) == (413, 413)


async def test_offers_to_a_client_with_no_phone_still_send_the_email(
    stack: NotifierStack, smsbox: SmsboxServer
) -> None:
    request = campaign_request("fay")
    await stack.publish_client("fay", "fay@example.com")
    await stack.request(request)

    await eventually(lambda: exactly(stack.emails_to("fay@example.com"), 1))
    suppressed = await eventually(
        lambda: sms_status(stack, request.data.notification_id, Status.SUPPRESSED)
    )
    assert suppressed.sms is not None
    assert suppressed.sms.reason == "no phone on file"


class Clock:
    """The dispatcher's wall clock, moved on by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def test_quiet_hours_hold_a_request_until_its_send_after(
    sms_settings: NotifierSettings,
    mailbox_dir: Path,
    mailbox_server: MailboxServer,
    smsbox: SmsboxServer,
) -> None:
    phone = "+447700900129"
    night = ISSUED.replace(hour=2)
    morning = ISSUED.replace(hour=9)
    clock = Clock(night)
    held = campaign_request("gus", send_after=morning)
    notification_id = held.data.notification_id
    async with (
        notifier_stack(sms_settings, mailbox_dir) as stack,
        notifier_running(sms_settings, dispatch=False) as service,
    ):
        running = dispatcher(service, sms_settings)
        running.clock = clock
        async with dispatching(running):
            await stack.publish_client("gus", "gus@example.com", phone=phone, sms_consent=True)
            await stack.request(held)
            # A reward for another client, published after it, is sent: the held one was seen.
            await stack.publish_client("hal", "hal@example.com")
            await stack.request(reward_request("hal"))
            await eventually(lambda: exactly(stack.emails_to("hal@example.com"), 1))

            has_status(stack, notification_id, Status.REQUESTED)
            assert stack.emails_to("gus@example.com") == []
            assert texts_to(smsbox, phone) == []
            assert running.low_water_mark() < running.cursor  # its position holds the mark

            clock.now = morning - timedelta(seconds=1)
            await stack.request(reward_request("hal", code="LOYAL-BBBB3333"))
            await eventually(lambda: exactly(stack.emails_to("hal@example.com"), 2))
            assert stack.emails_to("gus@example.com") == []

            clock.now = morning
            await eventually(lambda: exactly(stack.emails_to("gus@example.com"), 1))
            await eventually(lambda: exactly(texts_to(smsbox, phone), 1))
            sent = await eventually(lambda: sms_status(stack, notification_id, Status.SENT))

    assert sent.email.sent_at == morning
    assert sent.sms is not None
    assert sent.sms.sent_at == morning
