"""The notifier's settings: the runtime's, plus where mail and texts go, where replies come in,
and how long to keep trying."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import Field
from starcard_runtime.settings import RuntimeSettings

DEFAULT_SMTP_PORT = 2525
DEFAULT_MAIL_FROM = "Starcard <rewards@starcard.local>"
DEFAULT_MAILBOX_DIR = Path(".run/mailbox")
DEFAULT_SMSBOX_DIR = Path(".run/smsbox")
DEFAULT_SMSBOX_PORT = 8026
DEFAULT_SMS_WEBHOOK_PORT = 8027
SMS_WEBHOOK_PATH = "/v1/sms/inbound"


class NotifierSettings(RuntimeSettings):
    """Environment: the runtime's variables, and ``STARCARD_SMTP_*``, ``STARCARD_MAIL_FROM``,
    ``STARCARD_MAILBOX_DIR``, ``STARCARD_SMS_*``, ``STARCARD_SMSBOX_*`` and
    ``STARCARD_NOTIFIER_*``."""

    smtp_host: str = Field(
        default="127.0.0.1",
        validation_alias="STARCARD_SMTP_HOST",
        description="The SMTP server the notifier sends to.",
    )
    smtp_port: int = Field(
        default=DEFAULT_SMTP_PORT,
        ge=1,
        le=65535,
        validation_alias="STARCARD_SMTP_PORT",
        description="Its port; also the port the development mailbox listens on.",
    )
    smtp_timeout_seconds: float = Field(
        default=30.0, gt=0, validation_alias="STARCARD_SMTP_TIMEOUT_SECONDS"
    )
    mail_from: str = Field(default=DEFAULT_MAIL_FROM, validation_alias="STARCARD_MAIL_FROM")
    mailbox_dir: Path = Field(
        default=DEFAULT_MAILBOX_DIR,
        validation_alias="STARCARD_MAILBOX_DIR",
        description="Where the development mailbox keeps what it receives (.eml files).",
    )
    sms_provider_url: str | None = Field(
        default=None,
        validation_alias="STARCARD_SMS_PROVIDER_URL",
        description=(
            "Base URL of the SMS provider's Messages API (https://api.twilio.com for Twilio, the "
            "smsbox in development). Unset: no SMS is sent (see `sms_enabled`)."
        ),
    )
    sms_account_sid: str | None = Field(default=None, validation_alias="STARCARD_SMS_ACCOUNT_SID")
    sms_auth_token: str | None = Field(
        default=None,
        validation_alias="STARCARD_SMS_AUTH_TOKEN",
        description="Authenticates the notifier to the provider, and the provider's webhooks.",
    )
    sms_from: str | None = Field(
        default=None,
        validation_alias="STARCARD_SMS_FROM",
        description="The number (E.164) or sender the texts come from.",
    )
    sms_timeout_seconds: float = Field(
        default=30.0, gt=0, validation_alias="STARCARD_SMS_TIMEOUT_SECONDS"
    )
    sms_webhook_host: str = Field(
        default="127.0.0.1",
        validation_alias="STARCARD_SMS_WEBHOOK_HOST",
        description="Where the notifier listens for the provider's inbound texts (STOP, START).",
    )
    sms_webhook_port: int = Field(
        default=DEFAULT_SMS_WEBHOOK_PORT,
        ge=1,
        le=65535,
        validation_alias="STARCARD_SMS_WEBHOOK_PORT",
    )
    sms_webhook_url: str | None = Field(
        default=None,
        validation_alias="STARCARD_SMS_WEBHOOK_URL",
        description=(
            "The webhook's URL as the provider calls it (the provider signs it), behind a proxy "
            f"the public one; default http://<host>:<port>{SMS_WEBHOOK_PATH}."
        ),
    )
    smsbox_dir: Path = Field(
        default=DEFAULT_SMSBOX_DIR,
        validation_alias="STARCARD_SMSBOX_DIR",
        description="Where the development SMS sink keeps what it receives (.json files).",
    )
    smsbox_port: int = Field(
        default=DEFAULT_SMSBOX_PORT, ge=1, le=65535, validation_alias="STARCARD_SMSBOX_PORT"
    )
    retry_seconds: float = Field(
        default=30.0,
        gt=0,
        validation_alias="STARCARD_NOTIFIER_RETRY_SECONDS",
        description="Wait after the first failed send; it doubles after each further failure.",
    )
    contact_wait_seconds: float = Field(
        default=60.0,
        ge=0,
        validation_alias="STARCARD_NOTIFIER_CONTACT_WAIT_SECONDS",
        description=(
            "How long a request for a client the notifier has not heard of yet waits for the "
            "client's record (it travels on another topic) before it is suppressed."
        ),
    )

    @property
    def retry_base(self) -> timedelta:
        return timedelta(seconds=self.retry_seconds)

    @property
    def contact_wait(self) -> timedelta:
        return timedelta(seconds=self.contact_wait_seconds)

    @property
    def sms_enabled(self) -> bool:
        """Whether a provider is configured: its URL, the account, its token and a sender."""
        return None not in (
            self.sms_provider_url,
            self.sms_account_sid,
            self.sms_auth_token,
            self.sms_from,
        )

    @property
    def inbound_sms_url(self) -> str:
        """The URL the provider posts inbound texts to, as it signs them."""
        return self.sms_webhook_url or (
            f"http://{self.sms_webhook_host}:{self.sms_webhook_port}{SMS_WEBHOOK_PATH}"
        )
