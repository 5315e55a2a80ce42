"""The hold-out group: a share of eligible clients who get nothing, chosen by a stable hash.

"A hold-out group: a share of eligible clients (10% by default, chosen by a stable hash) gets
nothing and is tracked the same way." The hash is of the tenant, the campaign, the client and the
occasion, so a tick re-sent or re-delivered decides the same, while a client held out of one
year's birthday is not held out of every birthday to come (each occasion is its own draw).
"""

from __future__ import annotations

import hashlib

__all__ = ["held_out"]

_BUCKETS = 10_000


def held_out(tenant_id: str, campaign: str, client_id: str, occasion: str, percent: int) -> bool:
    """Whether the client falls in the `percent` share held out of this campaign's occasion."""
    digest = hashlib.sha256(f"{tenant_id}\n{campaign}\n{client_id}\n{occasion}".encode()).digest()
    bucket = int.from_bytes(digest[:8], "big") % _BUCKETS
    return bucket < percent * _BUCKETS // 100
