"""The tenants the gateway serves and the API keys that speak for them (schema ``gateway``).

A key reads ``sc_<key id>_<secret>``. Only the SHA-256 of the secret is stored, so the table
hands out no working key. The secret carries 256 random bits, which is why a fast hash is enough
here where a password would need a slow one.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool
from starcard_campaigns.api import CampaignsService
from starcard_events.envelope import TENANT_ID_PATTERN
from starcard_loyalty.api import LoyaltyService, TimeSettings
from starcard_referrals.api import ReferralsService

DDL = """
CREATE SCHEMA IF NOT EXISTS gateway;
CREATE TABLE IF NOT EXISTS gateway.tenants (
    tenant_id text PRIMARY KEY,
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS gateway.api_keys (
    key_id text PRIMARY KEY,
    tenant_id text NOT NULL REFERENCES gateway.tenants (tenant_id),
    secret_hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
CREATE INDEX IF NOT EXISTS api_keys_tenant_id ON gateway.api_keys (tenant_id);
"""

API_KEY_PATTERN = re.compile(r"^sc_(?P<key_id>[0-9a-f]{12})_(?P<secret>[A-Za-z0-9_-]+)$")


class TenantError(Exception):
    """Base of what the tenant registry refuses."""


class InvalidTenant(TenantError):
    """The tenant's id or name breaks a rule; the message says what to fix."""


class TenantExists(TenantError):
    def __init__(self, tenant_id: str) -> None:
        super().__init__(f"Tenant {tenant_id!r} already exists: pick another id.")
        self.tenant_id = tenant_id


class TenantNotFound(TenantError):
    def __init__(self, tenant_id: str) -> None:
        super().__init__(f"No tenant {tenant_id!r}.")
        self.tenant_id = tenant_id


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    name: str
    created_at: datetime


def migrate(database_url: str) -> None:
    """Create the registry's tables; safe to run from many processes at once."""
    with psycopg.connect(database_url, autocommit=True) as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('starcard.gateway.migrate'))")
        conn.execute(DDL)


def check_tenant_id(tenant_id: str) -> str:
    """Tenant ids go into Kafka keys (``tenant_id:client_id``) and URLs, hence the narrow set."""
    if not re.fullmatch(TENANT_ID_PATTERN, tenant_id):
        msg = (
            f"Tenant id {tenant_id!r} must be 1 to 63 lowercase letters, digits, '-' or '_', "
            "starting with a letter or digit."
        )
        raise InvalidTenant(msg)
    return tenant_id


def tenant_id_from_name(name: str) -> str:
    """A slug of the name: "Anna's Massage Studio" -> ``anna-s-massage-studio``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:63].rstrip("-")
    if not slug:
        msg = f"Cannot make a tenant id from the name {name!r}: give one explicitly."
        raise InvalidTenant(msg)
    return check_tenant_id(slug)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_api_key() -> tuple[str, str, str]:
    """A fresh key as ``(key_id, secret_hash, plaintext)``; the plaintext is never stored."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return key_id, hash_secret(secret), f"sc_{key_id}_{secret}"


def key_id_of(api_key: str) -> str | None:
    """The public id part of a well-formed key (``sc_<key id>_<secret>``)."""
    parsed = API_KEY_PATTERN.fullmatch(api_key)
    return None if parsed is None else parsed["key_id"]


def is_operator_key(presented: str, admin_key: str) -> bool:
    """The operator's key (``STARCARD_ADMIN_KEY``); with an empty one, nobody is operator."""
    return bool(admin_key) and hmac.compare_digest(presented.encode(), admin_key.encode())


class TenantRegistry:
    """Creates tenants (opening their loyalty, referral and campaign programmes), issues and
    checks their API keys."""

    def __init__(
        self,
        pool: ConnectionPool[psycopg.Connection[Any]],
        loyalty: LoyaltyService,
        referrals: ReferralsService,
        campaigns: CampaignsService,
    ) -> None:
        self._pool = pool
        self._loyalty = loyalty
        self._referrals = referrals
        self._campaigns = campaigns

    def create_tenant(
        self, name: str, tenant_id: str | None = None, *, time_zone: str | None = None
    ) -> tuple[Tenant, str]:
        """A new tenant, with open loyalty, referral and campaign programmes (every campaign
        off until the tenant opts in), in `time_zone` (UTC when None), and its first API key
        (plaintext). A zone the loyalty service refuses is refused before anything is made."""
        if not name.strip():
            raise InvalidTenant("The tenant's name must not be blank.")
        tenant_id = tenant_id_from_name(name) if tenant_id is None else check_tenant_id(tenant_id)
        if time_zone is not None:
            TimeSettings(time_zone=time_zone).check()
        # Opening is idempotent, so doing it first leaves nothing half-made if the insert fails.
        self._loyalty.open_programme(tenant_id, name)
        self._referrals.open_programme(tenant_id, name)
        self._campaigns.open_programme(tenant_id, name)
        with self._pool.connection() as conn, conn.transaction():
            row = conn.execute(
                "INSERT INTO gateway.tenants (tenant_id, name) VALUES (%s, %s)"
                " ON CONFLICT DO NOTHING RETURNING created_at",
                (tenant_id, name),
            ).fetchone()
            if row is None:
                raise TenantExists(tenant_id)
            api_key = self._insert_key(conn, tenant_id)
        if time_zone is not None:  # only once the tenant is surely new: never another's zone
            self._loyalty.change_time_settings(tenant_id, {"time_zone": time_zone})
        return Tenant(tenant_id, name, row[0]), api_key

    def issue_key(self, tenant_id: str) -> str:
        """Another API key for the tenant (e.g. to rotate one); returns the plaintext."""
        with self._pool.connection() as conn:
            return self._insert_key(conn, tenant_id)

    def authenticate(self, api_key: str) -> str | None:
        """The tenant id the key speaks for, or None if it is not a live key."""
        parsed = API_KEY_PATTERN.fullmatch(api_key)
        if parsed is None:
            return None
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT tenant_id, secret_hash FROM gateway.api_keys"
                " WHERE key_id = %s AND revoked_at IS NULL",
                (parsed["key_id"],),
            ).fetchone()
        if row is None or not hmac.compare_digest(row[1], hash_secret(parsed["secret"])):
            return None
        tenant_id: str = row[0]
        return tenant_id

    def tenant_of_live_key(self, key_id: str) -> str | None:
        """The tenant of a key that is still live, by its id (a dashboard session holds the id,
        never the secret); None once it is revoked."""
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT tenant_id FROM gateway.api_keys WHERE key_id = %s AND revoked_at IS NULL",
                (key_id,),
            ).fetchone()
        return None if row is None else str(row[0])

    def list_tenants(self) -> list[Tenant]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT tenant_id, name, created_at FROM gateway.tenants ORDER BY tenant_id"
            ).fetchall()
        return [Tenant(*row) for row in rows]

    @staticmethod
    def _insert_key(conn: psycopg.Connection[Any], tenant_id: str) -> str:
        key_id, secret_hash, api_key = new_api_key()
        inserted = conn.execute(
            "INSERT INTO gateway.api_keys (key_id, tenant_id, secret_hash)"
            " SELECT %s, tenant_id, %s FROM gateway.tenants WHERE tenant_id = %s",
            (key_id, secret_hash, tenant_id),
        )
        if inserted.rowcount == 0:
            raise TenantNotFound(tenant_id)
        return api_key
