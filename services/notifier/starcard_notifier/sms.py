"""The SMS transport: a provider interface, and its adapter for Twilio's Messages API.

``POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json`` with the form fields ``To``,
``From`` and ``Body``, authenticated by HTTP basic auth (AccountSid, AuthToken); the answer names
the message (``sid``). The base URL is a setting, so in development and tests the same adapter
talks to the local sink (``starcard_notifier.smsbox``), which speaks the same endpoint.

Twilio's Messages API takes no idempotency key: a message sent again after a crash (see
``starcard_notifier.dispatcher``) reaches the phone again. The key is still sent, as the
``Idempotency-Key`` header, so that a provider or a sink that honours it can tell the copy.
"""

from __future__ import annotations

from typing import Protocol

import httpx

__all__ = [
    "SEND_ERRORS",
    "UNSUBSCRIBED_RECIPIENT",
    "SmsRefused",
    "SmsSender",
    "TwilioSender",
]

UNSUBSCRIBED_RECIPIENT = 21610
"""Twilio's error code for a number that replied STOP to the sending number."""


class SmsSender(Protocol):
    """Something that hands an SMS to a provider and returns the provider's id for it, or
    raises one of `SEND_ERRORS`."""

    async def send(self, to: str, body: str, idempotency_key: str) -> str: ...


class SmsRefused(Exception):
    """The provider answered, and refused the message: HTTP `status`, the provider's error
    `code` when it gave one. Its own words are not kept: they may quote the number."""

    def __init__(self, status: int, code: int | None) -> None:
        super().__init__(f"the SMS provider answered {status} (error {code})")
        self.status = status
        self.code = code

    @property
    def unsubscribed(self) -> bool:
        """The number opted out at the provider (it replied STOP)."""
        return self.code == UNSUBSCRIBED_RECIPIENT


SEND_ERRORS: tuple[type[Exception], ...] = (SmsRefused, httpx.HTTPError)
"""What a failed send raises: the provider refused, or could not be reached in time."""


class TwilioSender:
    """Sends through Twilio's Messages API (or anything that speaks it, at `base_url`)."""

    def __init__(
        self,
        *,
        base_url: str,
        account_sid: str,
        auth_token: str,
        sender: str,
        timeout_seconds: float = 30.0,
    ) -> None:
        self.url = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self.auth = httpx.BasicAuth(account_sid, auth_token)
        self.sender = sender
        self.timeout_seconds = timeout_seconds

    async def send(self, to: str, body: str, idempotency_key: str) -> str:
        async with httpx.AsyncClient(timeout=self.timeout_seconds) as client:
            response = await client.post(
                self.url,
                data={"To": to, "From": self.sender, "Body": body},
                auth=self.auth,
                headers={"Idempotency-Key": idempotency_key},
            )
        if not response.is_success:
            code = _field(response, "code")
            raise SmsRefused(response.status_code, code if isinstance(code, int) else None)
        # Accepted: a body without the message's id does not make the text unsent.
        return str(_field(response, "sid") or "")


def _field(response: httpx.Response, name: str) -> object:
    """A field of the provider's JSON answer (``{"sid": ...}``, ``{"code": 21610, ...}``)."""
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get(name) if isinstance(body, dict) else None
