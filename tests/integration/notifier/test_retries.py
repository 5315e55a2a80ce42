"""When the SMTP server is away: retried with a growing wait, given up at the 5th failure; and
the one window in which an email can go out twice, with the same Message-ID."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage
from pathlib import Path

import pytest
from starcard_notifier.app import dispatcher
from starcard_notifier.domain.notification import MAX_ATTEMPTS, Status
from starcard_notifier.mailbox import MailboxServer
from starcard_notifier.settings import NotifierSettings
from starcard_notifier.smtp import EmailTransport

from tests.support.stack import eventually

from .conftest import (
    dispatching,
    exactly,
    has_status,
    notifier_running,
    notifier_stack,
    reward_request,
)

pytestmark = pytest.mark.integration


async def test_an_smtp_outage_is_retried_until_the_server_is_back(
    settings: NotifierSettings, smtp_port: int, mailbox_dir: Path
) -> None:
    # Waits of 1 s, 2 s, 4 s and 8 s: time enough to start the server.
    settings = settings.model_copy(update={"retry_seconds": 1.0})
    request = reward_request("ada")
    async with notifier_stack(settings, mailbox_dir) as stack, notifier_running(settings):
        await stack.publish_client("ada", "ada@example.com")
        await stack.request(request)
        failed = await eventually(
            lambda: has_status(stack, request.data.notification_id, Status.FAILED)
        )
        assert failed.email.reason == "the SMTP server could not be reached (SMTPConnectError)"

        with MailboxServer(mailbox_dir, smtp_port):
            [email] = await eventually(lambda: exactly(stack.emails(), 1))
            sent = await eventually(
                lambda: has_status(stack, request.data.notification_id, Status.SENT)
            )

    assert email["Message-ID"] == f"<{request.data.notification_id}@starcard.local>"
    assert sent.email.attempts >= 1


async def test_a_server_that_never_answers_is_given_up_after_five_attempts(
    settings: NotifierSettings, mailbox_dir: Path
) -> None:
    settings = settings.model_copy(update={"retry_seconds": 0.05})
    request = reward_request("bo")
    async with notifier_stack(settings, mailbox_dir) as stack, notifier_running(settings):
        await stack.publish_client("bo", "bo@example.com")
        await stack.request(request)

        gave_up = await eventually(
            lambda: has_status(stack, request.data.notification_id, Status.GAVE_UP)
        )

    assert gave_up.email.attempts == MAX_ATTEMPTS
    assert gave_up.email.reason == "the SMTP server could not be reached (SMTPConnectError)"
    assert stack.emails() == []


class SendThenDie:
    """A transport that delivers, then dies before the dispatcher can record "Sent"."""

    def __init__(self, transport: EmailTransport) -> None:
        self.transport = transport
        self.sent = 0

    async def send(self, message: EmailMessage) -> None:
        await self.transport.send(message)
        self.sent += 1
        raise asyncio.CancelledError  # as abrupt as a crash, for this coroutine


async def test_a_crash_between_sending_and_recording_resends_with_the_same_message_id(
    settings: NotifierSettings, mailbox_dir: Path, mailbox_server: MailboxServer
) -> None:
    """The documented window: at least once, and the copy is recognisable by its Message-ID."""
    request = reward_request("cy")
    notification_id = request.data.notification_id
    async with (
        notifier_stack(settings, mailbox_dir) as stack,
        notifier_running(settings, dispatch=False) as service,
    ):
        await stack.publish_client("cy", "cy@example.com")
        await stack.request(request)
        await eventually(lambda: has_status(stack, notification_id, Status.REQUESTED))

        doomed = dispatcher(service, settings)
        dying = SendThenDie(doomed.transport)
        doomed.transport = dying
        async with dispatching(doomed) as task:
            await eventually(lambda: exactly(stack.emails(), 1))
            await asyncio.wait({task}, timeout=10)
            assert task.cancelled()
        has_status(stack, notification_id, Status.REQUESTED)  # the crash: not recorded

        async with dispatching(dispatcher(service, settings)):
            emails = await eventually(lambda: exactly(stack.emails(), 2))
            await eventually(lambda: has_status(stack, notification_id, Status.SENT))

    message_id = f"<{notification_id}@starcard.local>"
    assert [e["Message-ID"] for e in emails] == [message_id, message_id]
    assert dying.sent == 1
