"""The SMTP transport: hands an email to a server with aiosmtplib."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Protocol

import aiosmtplib


class EmailTransport(Protocol):
    """Something that delivers an email, or raises one of `SEND_ERRORS`."""

    async def send(self, message: EmailMessage) -> None: ...


SEND_ERRORS: tuple[type[Exception], ...] = (aiosmtplib.SMTPException, OSError, TimeoutError)
"""What a failed delivery raises: the server refused, or could not be reached in time."""


class SmtpTransport:
    """Sends over SMTP; STARTTLS is used when the server offers it."""

    def __init__(self, host: str, port: int, timeout_seconds: float = 30.0) -> None:
        self.host = host
        self.port = port
        self.timeout_seconds = timeout_seconds

    async def send(self, message: EmailMessage) -> None:
        await aiosmtplib.send(
            message, hostname=self.host, port=self.port, timeout=self.timeout_seconds
        )
