"""Client portal tokens: signed, expiring JWTs a tenant mints for one of its clients.

A token binds the tenant, the client and the expiry under the gateway's secret
(``STARCARD_PORTAL_SECRET``), signed HS256 with PyJWT. Its audience says what it is for, so a
token minted for another purpose with the same secret is refused, and it never opens a tenant
route: those take only API keys (``sc_...``), which in turn never verify as a token here.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
import structlog

from starcard_gateway.settings import GatewaySettings

ALGORITHM = "HS256"
ISSUER = "starcard-gateway"
AUDIENCE = "starcard:portal"
"""What the token is for: the client portal, and nothing else."""
TENANT_CLAIM = "tid"
REQUIRED_CLAIMS = ["iss", "aud", "sub", TENANT_CLAIM, "iat", "exp"]

log = structlog.get_logger(__name__)


class InvalidPortalToken(Exception):
    """The token is expired, forged, malformed or for something else; the message says which."""


class PortalTokenExpired(InvalidPortalToken):
    """The token was good but its time is up: the client needs a new link, nothing more."""


@dataclass(frozen=True)
class PortalClient:
    """Who a verified token speaks for: one client of one tenant."""

    tenant_id: str
    client_id: str


@dataclass(frozen=True)
class PortalToken:
    token: str
    expires_at: datetime


class PortalTokens:
    """Mints and verifies portal tokens with one secret."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    @classmethod
    def from_settings(cls, settings: GatewaySettings) -> PortalTokens:
        """The configured secret; without one, a random secret that dies with the process."""
        if settings.portal_secret is None:
            log.warning(
                "STARCARD_PORTAL_SECRET is not set: portal tokens are signed with a random "
                "secret and stop working when this process stops, and other gateway processes "
                "refuse them"
            )
            return cls(secrets.token_bytes(32))
        return cls(settings.portal_secret.get_secret_value().encode())

    def mint(self, tenant_id: str, client_id: str, *, ttl: timedelta, now: datetime) -> PortalToken:
        """A token for the client, valid from `now` (whole seconds, as JWTs count) for `ttl`."""
        issued_at = now.replace(microsecond=0)
        expires_at = issued_at + ttl
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": client_id,
            TENANT_CLAIM: tenant_id,
            "iat": issued_at,
            "exp": expires_at,
        }
        return PortalToken(jwt.encode(claims, self._secret, algorithm=ALGORITHM), expires_at)

    def verify(self, token: str) -> PortalClient:
        """The tenant and client the token was minted for; raises `InvalidPortalToken`."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": REQUIRED_CLAIMS, "strict_aud": True},
            )
        except jwt.ExpiredSignatureError:
            msg = "The portal token has expired: ask the business for a new portal link."
            raise PortalTokenExpired(msg) from None
        except (jwt.InvalidAudienceError, jwt.InvalidIssuerError):
            msg = "This token is not a client portal token."
            raise InvalidPortalToken(msg) from None
        except jwt.InvalidTokenError:
            msg = (
                "Invalid portal token: send the token the business minted for the client as "
                "'Authorization: Bearer <token>'."
            )
            raise InvalidPortalToken(msg) from None
        return PortalClient(tenant_id=claims[TENANT_CLAIM], client_id=claims["sub"])
