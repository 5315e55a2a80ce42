"""The notifier's composition root: ``python -m starcard_notifier``.

One process runs the partition consumer of ``starcard.notifications.v1`` and
``booking.events.v1`` (requests and contact details, recorded exactly once) and, beside it, the
dispatcher that sends the emails over SMTP after each batch commits. SIGTERM stops both.
"""

from __future__ import annotations

from collections.abc import Sequence

from starcard_events.topics import BOOKING_EVENTS, NOTIFICATIONS
from starcard_runtime.service import Companion, run_service
from starcard_runtime.settings import RuntimeSettings

from starcard_notifier.application import NotifierService
from starcard_notifier.dispatcher import Dispatcher
from starcard_notifier.settings import NotifierSettings
from starcard_notifier.smtp import SmtpTransport

SCHEMA = "notifier"
GROUP_ID = "starcard-notifier"
TOPICS = (NOTIFICATIONS, BOOKING_EVENTS)


def dispatcher(service: NotifierService, settings: NotifierSettings) -> Dispatcher:
    """The email dispatcher of `service`, sending to the SMTP server the settings name."""
    return Dispatcher(
        service=service,
        transport=SmtpTransport(
            settings.smtp_host, settings.smtp_port, settings.smtp_timeout_seconds
        ),
        database_url=settings.database_url,
        mail_from=settings.mail_from,
        retry_base=settings.retry_base,
        contact_wait=settings.contact_wait,
    )


def companions(service: NotifierService, settings: RuntimeSettings) -> Sequence[Companion]:
    if not isinstance(settings, NotifierSettings):
        settings = NotifierSettings()  # the same environment, read with the notifier's fields
    return [dispatcher(service, settings)]


def main() -> None:
    run_service(
        NotifierService, schema=SCHEMA, topics=TOPICS, group_id=GROUP_ID, companions=companions
    )
