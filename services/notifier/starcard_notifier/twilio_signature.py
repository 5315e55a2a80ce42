"""Twilio's request signature (``X-Twilio-Signature``), made and checked in one place.

Twilio signs each webhook request with the account's auth token: HMAC-SHA1 over the full URL it
posted to, followed by every form parameter's name and value, sorted by name, base64-encoded.
The inbound webhook checks it (``starcard_notifier.sms_webhook``); the development SMS sink
makes it (``starcard_notifier.smsbox``), so the reply it forwards is checked like a real one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable

__all__ = ["HEADER", "is_signed", "signature"]

HEADER = "X-Twilio-Signature"


def signature(url: str, params: Iterable[tuple[str, str]], auth_token: str) -> str:
    """The signature of a POST of form `params` to `url`."""
    payload = url + "".join(name + value for name, value in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def is_signed(
    url: str, params: Iterable[tuple[str, str]], auth_token: str, given: str | None
) -> bool:
    """Whether `given` is the signature of that request (compared in constant time)."""
    if not given:
        return False
    return hmac.compare_digest(signature(url, params, auth_token), given)
