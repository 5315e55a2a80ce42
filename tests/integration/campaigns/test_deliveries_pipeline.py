"""Delivered, through the real path: a birthday offer's request is consumed by the real notifier,
which sends the email to the SMTP mailbox and publishes what became of it on
``starcard.deliveries.v1``; the campaigns service records it, and the results count it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from eventsourcing.utils import get_topic
from starcard_campaigns.domain.deliveries import MessageOutcomes
from starcard_events import examples
from starcard_notifier.app import outbox_relay
from starcard_notifier.mailbox import Mailbox, MailboxServer

from tests.integration.notifier.conftest import notifier_running, notifier_settings
from tests.support.campaigns import CampaignsStack, campaigns_stack
from tests.support.processes import free_port
from tests.support.stack import eventually

pytestmark = pytest.mark.integration

CLINIC = "glow-clinic"
REGISTERED = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
async def stack(
    fresh_database: str, kafka_bootstrap: str, topic_prefix: str
) -> AsyncIterator[CampaignsStack]:
    async with campaigns_stack(fresh_database, kafka_bootstrap, topic_prefix) as running:
        running.commands.open_programme(CLINIC, "Glow Clinic")
        running.commands.change_shared_settings(CLINIC, holdout_percent=0)
        running.commands.change_campaign_settings(CLINIC, "birthday", enabled=True, days_before=7)
        yield running


def outcomes_recorded(stack: CampaignsStack) -> int:
    """How many channel outcomes the campaigns service has recorded, of every message."""
    topics = [f"{get_topic(MessageOutcomes)}.{name}" for name in ("Delivered", "NotDelivered")]
    return len(stack.commands.recorder.select_notifications(start=1, limit=100, topics=topics))


async def test_an_offer_whose_email_the_notifier_delivered_counts_as_delivered(
    stack: CampaignsStack, tmp_path: Path
) -> None:
    port = free_port()
    settings = notifier_settings(
        stack.settings.database_url,
        stack.settings.kafka_bootstrap_servers,
        stack.settings.topic_prefix,
        port,
        STARCARD_NOTIFIER_CONTACT_WAIT_SECONDS=1,
    )
    with MailboxServer(tmp_path / "mailbox", port):
        async with notifier_running(settings) as notifier:
            stop = asyncio.Event()
            relay = asyncio.create_task(outbox_relay(notifier, settings).run(stop))
            try:
                # ada has an email on file, bea none: the notifier suppresses hers.
                await stack.publish(
                    *(
                        examples.client_registered(
                            CLINIC,
                            REGISTERED,
                            client_id=client_id,
                            email=email,
                            birthday={"month": 3, "day": 14},
                        )
                        for client_id, email in (("ada", "ada@example.com"), ("bea", None))
                    )
                )
                await stack.tick(CLINIC, date(2027, 3, 7))

                def all_recorded() -> None:
                    # Two messages, each an email and an SMS (none: no SMS provider here).
                    assert outcomes_recorded(stack) == 4, "outcomes still to come"

                await eventually(all_recorded, within=20)
            finally:
                stop.set()
                await relay

    [march] = stack.commands.results(CLINIC)
    sent = march.sent
    assert (sent.offers, sent.delivered, sent.sms_delivered, sent.opened) == (2, 1, 0, None)
    [email] = Mailbox(tmp_path / "mailbox").messages()
    assert email["To"] == "ada@example.com"
