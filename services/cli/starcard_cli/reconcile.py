"""``starcard points reconcile``: every points balance the read model shows, against the account
the loyalty service holds.

The read model sums the movements itself (``starcard_projections.points``) rather than copying
the balance each event states, so a balance that differs means a movement was projected wrongly,
or a row was changed by hand. The read model is caught up with the store first, and a client that
differs is looked at again after one more catch-up, so a movement recorded while the command runs
is not reported as a difference.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

import psycopg
from starcard_loyalty.api import LoyaltyService
from starcard_projections.points import read_balances

Owner = tuple[str, str]
"""``(tenant_id, client_id)``."""


@dataclass(frozen=True)
class BalanceDifference:
    """A client whose balance is not the same in the store and in the read model."""

    tenant_id: str
    client_id: str
    store: int | None
    """The account's own balance; None when the store has no account."""
    read: int | None
    """The read model's; None when it has no row for the client."""


@dataclass(frozen=True)
class Reconciliation:
    checked: int
    """Accounts compared (in the store, the read model or both)."""
    differences: list[BalanceDifference]


def differences(store: Mapping[Owner, int], read: Mapping[Owner, int]) -> list[BalanceDifference]:
    """The clients whose balances differ, by tenant then client."""
    return [
        BalanceDifference(*owner, store=store.get(owner), read=read.get(owner))
        for owner in sorted(store.keys() | read.keys())
        if store.get(owner) != read.get(owner)
    ]


def store_balances(
    loyalty: LoyaltyService, tenant_id: str | None, only: Collection[Owner] | None = None
) -> dict[Owner, int]:
    """The balance of every account in the store (of one tenant, or only of `only`)."""
    return {
        (tenant, client): loyalty.points_account(tenant, client).balance()
        for tenant, client in loyalty.points_account_owners()
        if (tenant_id is None or tenant == tenant_id) and (only is None or (tenant, client) in only)
    }


def reconcile(
    loyalty: LoyaltyService,
    conn: psycopg.Connection[Any],
    catch_up: Callable[[], object],
    tenant_id: str | None = None,
) -> Reconciliation:
    """Compare every balance (of one tenant, if given); `catch_up` brings the read model up to
    date with the store."""
    catch_up()
    store = store_balances(loyalty, tenant_id)
    read = read_balances(conn, tenant_id)
    checked = len(store.keys() | read.keys())
    found = differences(store, read)
    if found:
        catch_up()
        suspects = {(each.tenant_id, each.client_id) for each in found}
        store = store_balances(loyalty, tenant_id, suspects)
        read = {o: b for o, b in read_balances(conn, tenant_id).items() if o in suspects}
        found = differences(store, read)
    return Reconciliation(checked, found)
