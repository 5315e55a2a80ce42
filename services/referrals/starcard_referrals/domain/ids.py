"""Deterministic aggregate ids, so any process finds an aggregate from its natural key.

Tenant ids never contain ":" (the Kafka key is ``tenant_id:client_id``), which keeps the names
below unambiguous.
"""

from functools import lru_cache
from uuid import UUID, uuid5

# Every stored aggregate id derives from this namespace: never change it.
NAMESPACE = UUID("0d6f1f55-3c1e-4a8e-9a57-2b7c1f3c9e21")


@lru_cache(maxsize=4096)
def programme_id(tenant_id: str) -> UUID:
    """Id of the tenant's `ReferralProgramme`."""
    return uuid5(NAMESPACE, f"referral-programme:{tenant_id}")


@lru_cache(maxsize=65536)
def link_id(tenant_id: str, code: str) -> UUID:
    """Id of the `ReferralLink` with this code (a visit names the code, not the client)."""
    return uuid5(NAMESPACE, f"referral-link:{tenant_id}:{code}")


@lru_cache(maxsize=65536)
def client_link_id(tenant_id: str, client_id: str) -> UUID:
    """Id of the `ClientLink` saying which link is this client's."""
    return uuid5(NAMESPACE, f"client-link:{tenant_id}:{client_id}")


@lru_cache(maxsize=65536)  # computed for every booking record
def referee_id(tenant_id: str, client_id: str) -> UUID:
    """Id of the `Referee`: a client as someone who may have been referred."""
    return uuid5(NAMESPACE, f"referee:{tenant_id}:{client_id}")


@lru_cache(maxsize=65536)
def credit_account_id(tenant_id: str, client_id: str) -> UUID:
    """Id of the client's `CreditAccount`."""
    return uuid5(NAMESPACE, f"credit-account:{tenant_id}:{client_id}")


@lru_cache(maxsize=65536)
def welcome_code_id(code: str) -> UUID:
    """Id of the `WelcomeCode` with this code: a code is unique across every tenant."""
    return uuid5(NAMESPACE, f"welcome-code:{code}")
