"""The referrals service's aggregate ids, in their own `IdSpace` (``starcard_kernel.ids``)."""

from functools import lru_cache
from uuid import UUID

from starcard_kernel.ids import IdSpace

# Every stored aggregate id derives from this namespace: never change it.
NAMESPACE = UUID("0d6f1f55-3c1e-4a8e-9a57-2b7c1f3c9e21")
IDS = IdSpace(NAMESPACE)


@lru_cache(maxsize=4096)
def programme_id(tenant_id: str) -> UUID:
    """Id of the tenant's `ReferralProgramme`."""
    return IDS.id_of("referral-programme", tenant_id)


@lru_cache(maxsize=65536)
def link_id(tenant_id: str, code: str) -> UUID:
    """Id of the `ReferralLink` with this code (a visit names the code, not the client)."""
    return IDS.id_of("referral-link", tenant_id, code)


@lru_cache(maxsize=65536)
def client_link_id(tenant_id: str, client_id: str) -> UUID:
    """Id of the `ClientLink` saying which link is this client's."""
    return IDS.id_of("client-link", tenant_id, client_id)


@lru_cache(maxsize=65536)  # computed for every booking record
def referee_id(tenant_id: str, client_id: str) -> UUID:
    """Id of the `Referee`: a client as someone who may have been referred."""
    return IDS.id_of("referee", tenant_id, client_id)


@lru_cache(maxsize=65536)
def credit_account_id(tenant_id: str, client_id: str) -> UUID:
    """Id of the client's `CreditAccount`."""
    return IDS.id_of("credit-account", tenant_id, client_id)


@lru_cache(maxsize=65536)
def welcome_code_id(code: str) -> UUID:
    """Id of the `WelcomeCode` with this code: a code is unique across every tenant."""
    return IDS.id_of("welcome-code", code)
