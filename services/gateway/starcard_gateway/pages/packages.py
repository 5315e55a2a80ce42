"""The dashboard's Packages page: the outstanding liability by package (the sessions still to
deliver and the price received for them) and the package-paid visits no package could pay for,
each linking to its client; through the packages API's own route functions."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from starcard_gateway.api import packages as packages_api
from starcard_gateway.deps import LoyaltyDep, ReadConnDep
from starcard_gateway.pages.auth import SessionDep
from starcard_gateway.pages.dashboard import dashboard_page, page_number

router = APIRouter(prefix="/dashboard", include_in_schema=False)

ATTENTION_PAGE_SIZE = 20


@router.get("/packages")
def packages_page(
    request: Request,
    session: SessionDep,
    loyalty: LoyaltyDep,
    conn: ReadConnDep,
    attention_page: str | None = None,
) -> Response:
    tenant_id = session.tenant_id
    page = page_number(attention_page)
    attention = packages_api.list_attention(
        tenant_id, conn, limit=ATTENTION_PAGE_SIZE, offset=(page - 1) * ATTENTION_PAGE_SIZE
    )
    pages = max(1, -(-attention.count // ATTENTION_PAGE_SIZE))
    if page > pages:  # past the end (an old link): the last page, not "nothing to attend to"
        page = pages
        attention = packages_api.list_attention(
            tenant_id, conn, limit=ATTENTION_PAGE_SIZE, offset=(page - 1) * ATTENTION_PAGE_SIZE
        )
    return dashboard_page(
        request,
        session,
        loyalty,
        "dashboard/packages.html",
        section="packages",
        title="Packages",
        liability=packages_api.read_liability(tenant_id, conn),
        attention=attention,
        attention_page=page,
        attention_pages=pages,
    )
