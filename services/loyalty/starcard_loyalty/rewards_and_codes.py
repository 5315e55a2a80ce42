"""The steps every loyalty use case shares: load the tenant's programme and the client's record
in a unit of work, and keep a client's rewards and their discount codes in step.

A reward's code lives in two aggregates: the client's `ClientLoyalty`, which owns the
one-outstanding-reward rule and the queue behind it, and a `DiscountCode`, which the checkout
finds from the code alone. Every use case that changes one changes the other in the same
transaction (the partition batch's, or one ``save`` at checkout), so they always agree. Codes are
drawn with `secrets.choice` (:meth:`RewardsAndCodes.new_code`).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime
from uuid import UUID

from starcard_runtime.batching import BatchApplication, UnitOfWork

from starcard_loyalty.domain.client import ClientLoyalty
from starcard_loyalty.domain.codes import DiscountCode, loyalty_code
from starcard_loyalty.domain.errors import CodeNotFound, UnknownTenant
from starcard_loyalty.domain.ids import client_loyalty_id, discount_code_id, programme_id
from starcard_loyalty.domain.programme import LoyaltyProgramme
from starcard_loyalty.domain.rewards import IssuedReward

__all__ = ["RewardsAndCodes"]


class RewardsAndCodes(BatchApplication):
    """The loyalty event store, where a client's rewards and their codes change together."""

    def new_code(self) -> str:
        """A fresh loyalty code from a cryptographically secure source."""
        return loyalty_code(secrets.choice)

    def programme_for(self, unit: UnitOfWork, tenant_id: str) -> LoyaltyProgramme:
        programme = unit.read(programme_id(tenant_id), LoyaltyProgramme)
        if programme is None:
            raise UnknownTenant(tenant_id)
        return programme

    def load_fresh(self, unit: UnitOfWork, aggregate_ids: Sequence[UUID]) -> None:
        """Load aggregates the daily tick reaches across every partition: the partitions their
        keys hash to write them, so a cached copy may be stale. A write that races one of those
        partitions is a version conflict, and the batch is re-run."""
        self.working_set.evict([each for each in aggregate_ids if each not in unit.aggregates])
        unit.prefetch(aggregate_ids)

    def client_for(self, unit: UnitOfWork, tenant_id: str, client_id: str) -> ClientLoyalty:
        client = unit.get(client_loyalty_id(tenant_id, client_id), ClientLoyalty)
        if client is None:
            client = ClientLoyalty(tenant_id=tenant_id, client_id=client_id)
            unit.add(client)
        return client

    def _expire_due(
        self, unit: UnitOfWork, client: ClientLoyalty, at: datetime
    ) -> list[IssuedReward]:
        """Expire the client's codes that ran out by `at`, on both aggregates; the rewards the
        queue released are issued with codes of their own."""
        issued = []
        while client.has_expired_reward(at):
            expiring = client.outstanding_code
            fired = client.expire_reward(at, self.new_code)
            if expiring is not None:
                self._discount_code(unit, expiring).expire(at)
            if fired is not None:
                self._add_codes(unit, client, [fired])
                issued.append(fired)
        return issued

    @staticmethod
    def _add_codes(
        unit: UnitOfWork, client: ClientLoyalty, rewards: Iterable[IssuedReward]
    ) -> None:
        for reward in rewards:
            if reward.code is None or reward.discount_percent is None:
                continue
            if reward.expires_at is None:  # pragma: no cover - a code always has an expiry
                raise AssertionError(reward)
            unit.add(
                DiscountCode(
                    code=reward.code,
                    tenant_id=client.tenant_id,
                    client_id=client.client_id,
                    discount_percent=reward.discount_percent,
                    milestone_id=reward.milestone_id,
                    issued_at=reward.issued_at,
                    expires_at=reward.expires_at,
                )
            )

    @staticmethod
    def _discount_code(unit: UnitOfWork, code: str) -> DiscountCode:
        discount = unit.get(discount_code_id(code), DiscountCode)
        if discount is None:
            raise CodeNotFound(code)
        return discount
