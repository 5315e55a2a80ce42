"""Pre-paid packages, read: a client's packages (under ``/v1/clients``), and the tenant's visits
needing attention and outstanding liability (under ``/v1/packages``).

Everything comes from the packages read model, which keeps what each client's holdings decided
(which package a visit used, what expired, what a refund owes); nothing is worked out again
here.
"""

from __future__ import annotations

from fastapi import HTTPException, status
from starcard_projections.packages import attention, client_holdings, liability

from starcard_gateway.api.loyalty import ClientIdPath, PageOffset, PageSize
from starcard_gateway.deps import ReadConnDep, TenantDep, tenant_router
from starcard_gateway.errors import refusal
from starcard_gateway.models.packages import (
    AttentionPublic,
    ClientPackagesPublic,
    LiabilityPublic,
)

NO_HOLDINGS = refusal(
    404, "Starcard has no package of the client: none bought, and no visit paid from one."
)

clients_router = tenant_router("/v1/clients", "packages")
router = tenant_router("/v1/packages", "packages")


@clients_router.get(
    "/{client_id}/packages",
    summary="One client's packages (sessions used and left, expiry, status) and their visits "
    "paid from a package that none could pay for",
    responses=NO_HOLDINGS,
)
def read_client_packages(
    client_id: ClientIdPath, tenant_id: TenantDep, conn: ReadConnDep
) -> ClientPackagesPublic:
    holdings = client_holdings(conn, tenant_id, client_id)
    if holdings is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"No packages of client {client_id!r}: none bought, and no visit paid from one.",
        )
    return ClientPackagesPublic.from_holdings(client_id, holdings)


@router.get(
    "/attention",
    summary="Every visit paid from a package that no package could pay for, newest first",
)
def list_attention(
    tenant_id: TenantDep,
    conn: ReadConnDep,
    limit: PageSize = 50,
    offset: PageOffset = 0,
) -> AttentionPublic:
    rows, count = attention(conn, tenant_id, limit=limit, offset=offset)
    return AttentionPublic.from_page(rows, count)


@router.get(
    "/liability",
    summary="The outstanding liability: sessions left on active packages and the price "
    "received for them, by package and currency, with totals",
)
def read_liability(tenant_id: TenantDep, conn: ReadConnDep) -> LiabilityPublic:
    return LiabilityPublic.from_rows(liability(conn, tenant_id))
