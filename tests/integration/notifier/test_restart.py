"""``python -m starcard_notifier`` killed and restarted: nothing recorded as sent goes out again."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from starcard_notifier.domain.notification import Status
from starcard_notifier.mailbox import MailboxServer, code_in
from starcard_notifier.settings import NotifierSettings

from tests.support.processes import process_env, running
from tests.support.stack import eventually

from .conftest import exactly, has_status, notifier_stack, reward_request

pytestmark = pytest.mark.integration

RESTART_SECONDS = 90.0  # a new member waits for the killed one's Kafka session to time out


def notifier_env(settings: NotifierSettings) -> dict[str, str]:
    return process_env(
        settings,
        STARCARD_SMTP_HOST=settings.smtp_host,
        STARCARD_SMTP_PORT=str(settings.smtp_port),
        STARCARD_SMTP_TIMEOUT_SECONDS=str(settings.smtp_timeout_seconds),
        STARCARD_NOTIFIER_RETRY_SECONDS=str(settings.retry_seconds),
        STARCARD_NOTIFIER_CONTACT_WAIT_SECONDS=str(settings.contact_wait_seconds),
    )


async def test_a_notifier_killed_and_restarted_sends_nothing_already_recorded_as_sent(
    settings: NotifierSettings, mailbox_dir: Path, mailbox_server: MailboxServer
) -> None:
    env = notifier_env(settings)
    first = reward_request("ada", code="LOYAL-AAAA2222")
    second = reward_request("ada", code="LOYAL-BBBB3333")
    async with notifier_stack(settings, mailbox_dir) as stack:
        with running("starcard_notifier", env) as notifier:
            await stack.publish_client("ada", "ada@example.com")
            await stack.request(first)
            await eventually(
                lambda: has_status(stack, first.data.notification_id, Status.SENT),
                within=RESTART_SECONDS,
            )
            notifier.assert_alive()
            notifier.kill()
            notifier.wait()

        # As if the kill had landed before the dispatcher stored its position: the restarted
        # one reads every request again, and must find the first one already sent.
        with psycopg.connect(settings.database_url) as conn:
            conn.execute("UPDATE notifier.log_positions SET position = 0")

        with running("starcard_notifier", env) as notifier:
            await stack.request(first)  # and the relay published it again
            await stack.request(second)
            emails = await eventually(
                lambda: (
                    exactly(stack.emails(), 2)
                    if has_status(stack, second.data.notification_id, Status.SENT)
                    else []
                ),
                within=RESTART_SECONDS,
            )
            notifier.assert_alive()

    assert [code_in(email) for email in emails] == ["LOYAL-AAAA2222", "LOYAL-BBBB3333"]
    assert [email["Message-ID"] for email in emails] == [
        f"<{first.data.notification_id}@starcard.local>",
        f"<{second.data.notification_id}@starcard.local>",
    ]
