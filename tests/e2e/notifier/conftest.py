"""Reward emails end to end: the loyalty service, the projections, the notifier and the mailbox
all run as their own processes, exactly as deployed (the mailbox and the notifier's environment
come from ``tests/e2e/conftest.py``). The notifier is started by the test itself, so that a test
can kill it and start it again.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from uuid import UUID

import pytest
from starcard_notifier.app import SCHEMA as NOTIFIER_SCHEMA
from starcard_notifier.application import NotifierService
from starcard_notifier.domain.notification import Notification
from starcard_runtime.service import build_application
from starcard_runtime.settings import RuntimeSettings

from tests.e2e.conftest import Gateway, Inbox, Platform, sql
from tests.support.processes import LoggedProcess


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
