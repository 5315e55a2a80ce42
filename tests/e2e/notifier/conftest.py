"""Reward emails end to end: the loyalty service, the projections, the notifier and the mailbox
all run as their own processes, exactly as deployed.

The mailbox is the development SMTP server (``python -m starcard_notifier.mailbox``, aiosmtpd) on
a free port, keeping what it receives in the test's temporary folder; the test reads that folder
like a client reads their inbox. The notifier is started by the test itself (``notifier_env``
is its environment), so that a test can kill it and start it again.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from uuid import UUID

import pytest
from starcard_events.topics import CLOCK, LOYALTY_FACTS, NOTIFICATIONS
from starcard_notifier.app import SCHEMA as NOTIFIER_SCHEMA
from starcard_notifier.application import NotifierService
from starcard_notifier.domain.notification import Notification
from starcard_notifier.mailbox import Mailbox
from starcard_runtime.service import build_application
from starcard_runtime.settings import RuntimeSettings

from tests.e2e.conftest import PARTITIONS, Gateway, Platform, sql
from tests.support.processes import LoggedProcess, process_env, running
from tests.support.stack import create_topics

SMTP_READY_SECONDS = 15.0
RETRY_SECONDS = 0.5
"""The notifier's first retry after a failed send (the default is 30 s)."""
CONTACT_WAIT_SECONDS = 20.0
"""How long a request waits for a client record the notifier has not seen yet."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class Inbox:
    """The mailbox server's folder, read as the recipients would read their mail."""

    folder: Path
    port: int
    process: LoggedProcess

    def messages(self) -> list[EmailMessage]:
        """Every message the SMTP server accepted, oldest first."""
        return Mailbox(self.folder).messages()

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages() if message["To"] == address]

    def message_ids(self) -> list[str]:
        return [str(message["Message-ID"]) for message in self.messages()]


@pytest.fixture
def mailbox(tmp_path: Path) -> Iterator[Inbox]:
    """``python -m starcard_notifier.mailbox`` listening on a free port, keeping mail in a
    temporary folder."""
    port = free_port()
    folder = tmp_path / "mailbox"
    env = {
        **os.environ,
        "STARCARD_SMTP_PORT": str(port),
        "STARCARD_MAILBOX_DIR": str(folder),
        "PYTHONUNBUFFERED": "1",
    }
    with running("starcard_notifier.mailbox", env) as process:
        deadline = time.monotonic() + SMTP_READY_SECONDS
        while not _listening(port):
            process.assert_alive()
            assert time.monotonic() < deadline, f"the mailbox is not listening on {port}"
            time.sleep(0.05)
        yield Inbox(folder, port, process)


@pytest.fixture
async def notifier_topics(settings: RuntimeSettings) -> None:
    """The topics the loyalty service publishes to and the notifier reads, made up front with
    the test's partition count (creating an existing topic changes nothing)."""
    await create_topics(
        settings.kafka_bootstrap_servers,
        [settings.topic(topic) for topic in (NOTIFICATIONS, LOYALTY_FACTS, CLOCK)],
        PARTITIONS,
    )


@pytest.fixture
def notifier_env(
    settings: RuntimeSettings, mailbox: Inbox, notifier_topics: None
) -> dict[str, str]:
    """The environment of ``python -m starcard_notifier`` sending to the test's mailbox."""
    return process_env(
        settings,
        STARCARD_SMTP_HOST="127.0.0.1",
        STARCARD_SMTP_PORT=str(mailbox.port),
        STARCARD_SMTP_TIMEOUT_SECONDS="5",
        STARCARD_NOTIFIER_RETRY_SECONDS=str(RETRY_SECONDS),
        STARCARD_NOTIFIER_CONTACT_WAIT_SECONDS=str(CONTACT_WAIT_SECONDS),
    )


@dataclass
class NotifierStore:
    """The notifier's event store, read from the test (the schema ``notifier``)."""

    service: NotifierService
    database_url: str

    def notifications(self) -> list[Notification]:
        """Every notification the notifier has recorded, in the order it recorded them."""
        rows = sql(
            self.database_url,
            "SELECT originator_id FROM notifier.notifier_events WHERE topic LIKE %s"
            " ORDER BY notification_id",
            ("%:Notification.Requested",),
        )
        found = [self.service.notification(UUID(str(row[0]))) for row in rows]
        return [notification for notification in found if notification is not None]


@pytest.fixture
async def notifier_store(settings: RuntimeSettings) -> AsyncIterator[NotifierStore]:
    service = await asyncio.to_thread(build_application, NotifierService, settings, NOTIFIER_SCHEMA)
    try:
        yield NotifierStore(service, settings.database_url)
    finally:
        service.close()


@dataclass
class RewardStack:
    """Everything a reward email travels through, the notifier excepted (the test runs it)."""

    settings: RuntimeSettings
    gateway: Gateway
    platform: Platform
    mailbox: Inbox
    notifier_env: dict[str, str]
    notifier_store: NotifierStore


@pytest.fixture
def stack(  # keyword-only: pytest fills them in by name all the same
    *,
    settings: RuntimeSettings,
    gateway: Gateway,
    platform: Platform,
    loyalty: LoggedProcess,
    projections: LoggedProcess,
    notifier_env: dict[str, str],
    mailbox: Inbox,
    notifier_store: NotifierStore,
) -> RewardStack:
    """The loyalty service and the projections running, the gateway, the mailbox listening."""
    return RewardStack(settings, gateway, platform, mailbox, notifier_env, notifier_store)
