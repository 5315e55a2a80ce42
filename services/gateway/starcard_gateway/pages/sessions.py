"""The pages' cookies: the therapist's dashboard session, the login form's nonce, the portal's.

Dashboard session: the login form takes the tenant's API key; once it authenticates, the browser
keeps a cookie signed as an HS256 JWT, audience ``starcard:dashboard``, holding the tenant and the
key's *id* (never its secret: the cookie is signed, not encrypted). The signing key is derived
from ``STARCARD_PORTAL_SECRET`` with HMAC under a label of its own, so neither a portal token nor
a session ever verifies as the other (the audience differs as well). Each request checks that the
key is still live through the tenant registry, so a revoked key ends its sessions at once. The
session also carries a random CSRF token, which every dashboard form posts back.

The cookies are ``HttpOnly`` (no script reads them), ``SameSite=Strict`` (no other site's page
sends them along), path-scoped, and ``Secure`` whenever the page was served over HTTPS.

Portal: the portal token is already a signed, expiring JWT bound to one client; the portal
cookie keeps it as it is (``SameSite=Lax``, so the link a client opens from their email or chat
app carries it on that first top-level visit).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import jwt
from fastapi import Request, Response

from starcard_gateway.settings import GatewaySettings

ALGORITHM = "HS256"
ISSUER = "starcard-gateway"
AUDIENCE = "starcard:dashboard"
KEY_LABEL = b"starcard dashboard session v1"
REQUIRED_CLAIMS = ["iss", "aud", "sub", "kid", "csrf", "iat", "exp"]
SESSION_TTL = timedelta(hours=12)
"""A working day: after it the therapist types the key again."""

DASHBOARD_COOKIE = "starcard_dashboard"
DASHBOARD_PATH = "/dashboard"
LOGIN_COOKIE = "starcard_login"
LOGIN_PATH = "/dashboard/login"
LOGIN_NONCE_SECONDS = 60 * 60
PORTAL_COOKIE = "starcard_portal"
PORTAL_PATH = "/portal"


class InvalidSession(Exception):
    """The cookie is expired, forged or malformed; ``reason`` is ``expired`` or ``invalid``."""

    def __init__(self, reason: Literal["expired", "invalid"]) -> None:
        super().__init__(reason)
        self.reason: Literal["expired", "invalid"] = reason


@dataclass(frozen=True)
class Session:
    """A verified session cookie: which key signed in (its id, never its secret: the cookie is
    signed, not encrypted), and the token its forms must post."""

    tenant_id: str
    key_id: str
    csrf: str


class DashboardSessions:
    """Signs and verifies dashboard session cookies with one key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def from_settings(cls, settings: GatewaySettings) -> DashboardSessions:
        """A key derived from the portal secret; without one, a random key that dies with the
        process (``PortalTokens`` already warns about that)."""
        if settings.portal_secret is None:
            return cls(secrets.token_bytes(32))
        secret = settings.portal_secret.get_secret_value().encode()
        return cls(hmac.new(secret, KEY_LABEL, hashlib.sha256).digest())

    def sign(self, tenant_id: str, key_id: str, *, now: datetime) -> tuple[str, Session]:
        """A new session (with a fresh CSRF token) for the tenant the key speaks for."""
        session = Session(tenant_id, key_id, secrets.token_urlsafe(32))
        issued_at = now.replace(microsecond=0)
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": tenant_id,
            "kid": key_id,
            "csrf": session.csrf,
            "iat": issued_at,
            "exp": issued_at + SESSION_TTL,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM), session

    def verify(self, cookie: str) -> Session:
        try:
            claims = jwt.decode(
                cookie,
                self._key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": REQUIRED_CLAIMS, "strict_aud": True},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidSession("expired") from None
        except jwt.InvalidTokenError:
            raise InvalidSession("invalid") from None
        return Session(tenant_id=claims["sub"], key_id=claims["kid"], csrf=claims["csrf"])


def same_token(sent: str | None, expected: str) -> bool:
    """Constant-time comparison of a posted token with the expected one."""
    return sent is not None and hmac.compare_digest(sent.encode(), expected.encode())


def set_cookie(
    response: Response,
    request: Request,
    name: str,
    value: str,
    *,
    path: str,
    samesite: Literal["strict", "lax"] = "strict",
    max_age: int | None = None,
) -> None:
    """An ``HttpOnly`` cookie, ``Secure`` when the page came over HTTPS."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite=samesite,
    )


def clear_cookie(response: Response, name: str, *, path: str) -> None:
    response.delete_cookie(name, path=path, httponly=True, samesite="strict")
