"""Deterministic aggregate ids, so any process finds an aggregate from its natural key.

Each service derives its ids in a namespace of its own, from the aggregate's kind and its natural
key joined by ":" (``client-loyalty:{tenant_id}:{client_id}``). Tenant ids never contain ":" (the
Kafka key is ``tenant_id:client_id``), which keeps the names unambiguous.
"""

from __future__ import annotations

from uuid import UUID, uuid5


class IdSpace:
    """The ids of one service's aggregates. Every stored id derives from `namespace`: a service
    never changes its namespace, nor the kind or key an aggregate's id is made of."""

    def __init__(self, namespace: UUID) -> None:
        self.namespace = namespace

    def id_of(self, kind: str, *key: str) -> UUID:
        """The id of the aggregate of `kind` whose natural key is `key`."""
        return uuid5(self.namespace, ":".join((kind, *key)))
