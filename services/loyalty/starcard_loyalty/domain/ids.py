"""The loyalty service's aggregate ids, in their own `IdSpace` (``starcard_kernel.ids``)."""

from functools import lru_cache
from uuid import UUID

from starcard_kernel.ids import IdSpace

# Every stored aggregate id derives from this namespace: never change it.
NAMESPACE = UUID("62e30359-26e6-460e-b7c3-ace3752e0cb4")
IDS = IdSpace(NAMESPACE)


@lru_cache(maxsize=4096)
def programme_id(tenant_id: str) -> UUID:
    """Id of the tenant's `LoyaltyProgramme`."""
    return IDS.id_of("loyalty-programme", tenant_id)


@lru_cache(maxsize=65536)  # computed several times per record on the hot path
def client_loyalty_id(tenant_id: str, client_id: str) -> UUID:
    """Id of the `ClientLoyalty` of one client of one tenant."""
    return IDS.id_of("client-loyalty", tenant_id, client_id)


@lru_cache(maxsize=65536)
def discount_code_id(code: str) -> UUID:
    """Id of the `DiscountCode` with this code: a code is unique across every tenant."""
    return IDS.id_of("discount-code", code)


@lru_cache(maxsize=65536)
def points_account_id(tenant_id: str, client_id: str) -> UUID:
    """Id of the `PointsAccount` of one client of one tenant."""
    return IDS.id_of("points-account", tenant_id, client_id)


@lru_cache(maxsize=65536)
def membership_id(tenant_id: str, client_id: str) -> UUID:
    """Id of the `Membership` (tier) of one client of one tenant."""
    return IDS.id_of("membership", tenant_id, client_id)


@lru_cache(maxsize=65536)
def package_holdings_id(tenant_id: str, client_id: str) -> UUID:
    """Id of the `PackageHoldings` of one client of one tenant."""
    return IDS.id_of("package-holdings", tenant_id, client_id)
