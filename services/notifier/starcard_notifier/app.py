"""The notifier's composition root: ``python -m starcard_notifier``.

One process runs the partition consumer of ``starcard.notifications.v1`` and
``booking.events.v1`` (requests and contact details, recorded exactly once) and, beside it, the
dispatcher that sends the emails over SMTP and the texts through the SMS provider after each
batch commits, the outbox relay that publishes what became of each message
(``starcard.deliveries.v1``: delivered, or not), and, when a provider is configured, the webhook
its inbound texts (STOP, START) come to. SIGTERM stops them all.
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog
from starcard_events.topics import BOOKING_EVENTS, NOTIFICATIONS
from starcard_runtime.relay import OutboxRelay
from starcard_runtime.service import Companion, run_service
from starcard_runtime.settings import RuntimeSettings

from starcard_notifier.application import NotifierService
from starcard_notifier.dispatcher import Dispatcher
from starcard_notifier.publishing import DeliveryPublisher
from starcard_notifier.settings import NotifierSettings
from starcard_notifier.sms import SmsSender, TwilioSender
from starcard_notifier.sms_webhook import SmsWebhook, inbound_sms_app
from starcard_notifier.smtp import SmtpTransport

log = structlog.get_logger(__name__)

SCHEMA = "notifier"
GROUP_ID = "starcard-notifier"
TOPICS = (NOTIFICATIONS, BOOKING_EVENTS)


def sms_sender(settings: NotifierSettings) -> SmsSender | None:
    """The SMS provider the settings name; None when they name none (no SMS is sent)."""
    if not settings.sms_enabled:
        return None
    return TwilioSender(
        base_url=str(settings.sms_provider_url),
        account_sid=str(settings.sms_account_sid),
        auth_token=str(settings.sms_auth_token),
        sender=str(settings.sms_from),
        timeout_seconds=settings.sms_timeout_seconds,
    )


def sms_webhook(service: NotifierService, settings: NotifierSettings) -> SmsWebhook:
    """The webhook the provider posts inbound texts to, checked with its auth token."""
    app = inbound_sms_app(
        service, url=settings.inbound_sms_url, auth_token=str(settings.sms_auth_token)
    )
    return SmsWebhook(app, host=settings.sms_webhook_host, port=settings.sms_webhook_port)


def dispatcher(service: NotifierService, settings: NotifierSettings) -> Dispatcher:
    """The dispatcher of `service`, sending to the SMTP server and the SMS provider the
    settings name."""
    return Dispatcher(
        service=service,
        transport=SmtpTransport(
            settings.smtp_host, settings.smtp_port, settings.smtp_timeout_seconds
        ),
        database_url=settings.database_url,
        mail_from=settings.mail_from,
        retry_base=settings.retry_base,
        contact_wait=settings.contact_wait,
        sms=sms_sender(settings),
    )


def outbox_relay(service: NotifierService, settings: RuntimeSettings) -> OutboxRelay:
    """The relay that publishes the delivery facts (its position: ``relay.notifier``)."""
    publisher = DeliveryPublisher(service, settings.topic)
    return OutboxRelay.deployed("notifier", service, publisher, settings, reads=publisher.reads)


def companions(service: NotifierService, settings: RuntimeSettings) -> Sequence[Companion]:
    if not isinstance(settings, NotifierSettings):
        settings = NotifierSettings()  # the same environment, read with the notifier's fields
    running: list[Companion] = [dispatcher(service, settings), outbox_relay(service, settings)]
    if not settings.sms_enabled:
        log.warning(
            "SMS disabled: no provider configured (STARCARD_SMS_PROVIDER_URL, "
            "STARCARD_SMS_ACCOUNT_SID, STARCARD_SMS_AUTH_TOKEN, STARCARD_SMS_FROM); "
            "every SMS is suppressed"
        )
        return running
    return [*running, sms_webhook(service, settings)]


def main() -> None:
    run_service(
        NotifierService, schema=SCHEMA, topics=TOPICS, group_id=GROUP_ID, companions=companions
    )
