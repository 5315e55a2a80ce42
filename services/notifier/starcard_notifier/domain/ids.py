"""Deterministic aggregate ids, so any process finds an aggregate from its natural key.

A `Notification`'s id is the request's ``notification_id``, which its sender derives from the
cause; only contacts and the opt-outs of phone numbers need an id made here.
"""

from functools import lru_cache
from uuid import UUID, uuid5

# Every stored contact id derives from this namespace: never change it.
NAMESPACE = UUID("7d0f4c52-3a1e-4b8e-9f55-2c6b1d9e8a47")


@lru_cache(maxsize=65536)
def contact_id(tenant_id: str, client_id: str) -> UUID:
    """Id of the `Contact` of one client of one tenant."""
    return uuid5(NAMESPACE, f"contact:{tenant_id}:{client_id}")


def sms_opt_out_id(phone: str) -> UUID:
    """Id of the `SmsOptOut` of a phone number (as `phone_number` normalises it)."""
    return uuid5(NAMESPACE, f"sms-opt-out:{phone}")
