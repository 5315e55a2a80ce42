"""A client's profile on the dashboard: stars, card, referrals (the attendance page adds its
count and tags), and the overview's form that opens one."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request, Response, status

from starcard_gateway.api import loyalty as loyalty_api
from starcard_gateway.api import referrals as referrals_api
from starcard_gateway.deps import LoyaltyDep, ReadConnDep
from starcard_gateway.models.referrals import ClientReferralsPublic
from starcard_gateway.pages.auth import SessionDep
from starcard_gateway.pages.dashboard import DONE, dashboard_page
from starcard_gateway.pages.rendering import PageError, redirect

T = TypeVar("T")

router = APIRouter(prefix="/dashboard", include_in_schema=False)


def _found(read: Callable[[], T]) -> T | None:
    """What the API route reads, or None where it answers 404 (no record, no card)."""
    try:
        return read()
    except HTTPException as exc:
        if exc.status_code == status.HTTP_404_NOT_FOUND:
            return None
        raise


@router.get("/clients")
def find_client(session: SessionDep, client_id: str = "") -> Response:
    """The overview's "open a client" form."""
    del session  # only a signed-in therapist is sent on
    if not client_id.strip():
        return redirect("/dashboard")
    return redirect(f"/dashboard/clients/{quote(client_id.strip(), safe='')}")


@router.get("/clients/{client_id}")
def client_profile(
    request: Request,
    client_id: str,
    *,
    session: SessionDep,
    loyalty: LoyaltyDep,
    conn: ReadConnDep,
    done: str | None = None,
) -> Response:
    tenant_id = session.tenant_id
    summary = _found(lambda: loyalty_api.read_client_summary(client_id, tenant_id, conn))
    card = _found(lambda: loyalty_api.loyalty_card(conn, tenant_id, client_id))
    referrals: ClientReferralsPublic = referrals_api.list_client_referrals(
        client_id, tenant_id, conn
    )
    if summary is None and not referrals.count and referrals.link_code is None:
        raise PageError(
            404,
            "No such client",
            f"Starcard has no record of a client {client_id!r}: no completed session, no "
            "referral. Check the client's id.",
            action=("/dashboard", "Back to the dashboard"),
        )
    return dashboard_page(
        request,
        session,
        loyalty,
        "dashboard/client.html",
        section="clients",
        title=f"Client {client_id}",
        client_id=client_id,
        summary=summary,
        card=card,
        referrals=referrals,
        done=DONE.get(done or ""),
    )
