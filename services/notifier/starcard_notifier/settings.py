"""The notifier's settings: the runtime's, plus where mail goes and how long to keep trying."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import Field
from starcard_runtime.settings import RuntimeSettings

DEFAULT_SMTP_PORT = 2525
DEFAULT_MAIL_FROM = "Starcard <rewards@starcard.local>"
DEFAULT_MAILBOX_DIR = Path(".run/mailbox")


class NotifierSettings(RuntimeSettings):
    """Environment: the runtime's variables, and ``STARCARD_SMTP_*``, ``STARCARD_MAIL_FROM``,
    ``STARCARD_MAILBOX_DIR`` and ``STARCARD_NOTIFIER_*``."""

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
