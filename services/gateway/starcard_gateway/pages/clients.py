"""A client's profile on the dashboard: stars, card, tier (with what keeps it and its history),
packages (with their visits needing attention), points (with the form that adjusts them by hand),
referrals (the attendance page adds its count and tags), and the overview's form that opens
one."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import TypeVar
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request, Response, status

from starcard_gateway.api import loyalty as loyalty_api
from starcard_gateway.api import packages as packages_api
from starcard_gateway.api import points as points_api
from starcard_gateway.api import referrals as referrals_api
from starcard_gateway.api import tiers as tiers_api
from starcard_gateway.deps import LoyaltyDep, ReadConnDep
from starcard_gateway.models.points import PointsAdjustment
from starcard_gateway.models.referrals import ClientReferralsPublic
from starcard_gateway.pages.auth import CheckedFormDep, SessionDep
from starcard_gateway.pages.dashboard import DONE, dashboard_page, page_number
from starcard_gateway.pages.rendering import PageError, redirect, submit_form
from starcard_gateway.pages.sessions import Session

T = TypeVar("T")

router = APIRouter(prefix="/dashboard", include_in_schema=False)

POINTS_PAGE_SIZE = 10
TIER_PAGE_SIZE = 10
ADJUSTMENT_LABELS = {"points": "Points", "note": "Note", "adjustment_id": "Adjustment"}


def profile_url(client_id: str) -> str:
    return f"/dashboard/clients/{quote(client_id, safe='')}"


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
    return redirect(profile_url(client_id.strip()))


@router.get("/clients/{client_id}")
def client_profile(
    request: Request,
    client_id: str,
    *,
    session: SessionDep,
    loyalty: LoyaltyDep,
    conn: ReadConnDep,
    done: str | None = None,
    points_page: str | None = None,
    tier_page: str | None = None,
) -> Response:
    return _profile_page(
        request,
        client_id,
        session,
        loyalty,
        conn,
        done=done,
        points_page=page_number(points_page),
        tier_page=page_number(tier_page),
    )


def _profile_page(
    request: Request,
    client_id: str,
    session: Session,
    loyalty: LoyaltyDep,
    conn: ReadConnDep,
    *,
    done: str | None = None,
    points_page: int = 1,
    tier_page: int = 1,
    adjustment: Mapping[str, str] | None = None,
    adjustment_errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The profile; after a refused adjustment, with what was typed and what to fix."""
    tenant_id = session.tenant_id
    summary = _found(lambda: loyalty_api.read_client_summary(client_id, tenant_id, conn))
    card = _found(lambda: loyalty_api.loyalty_card(conn, tenant_id, client_id))
    referrals: ClientReferralsPublic = referrals_api.list_client_referrals(
        client_id, tenant_id, conn
    )
    points = points_api.read_client_points(client_id, tenant_id, conn)
    history = points_api.list_client_points_history(
        client_id,
        tenant_id,
        conn,
        limit=POINTS_PAGE_SIZE,
        offset=(points_page - 1) * POINTS_PAGE_SIZE,
    )
    tier = tiers_api.read_client_tier(client_id, tenant_id, conn, loyalty)
    tier_history = tiers_api.list_client_tier_history(
        client_id,
        tenant_id,
        conn,
        loyalty,
        limit=TIER_PAGE_SIZE,
        offset=(tier_page - 1) * TIER_PAGE_SIZE,
    )
    counted = bool(tier.spend.amount_minor or tier_history.count)
    packages = _found(lambda: packages_api.read_client_packages(client_id, tenant_id, conn))
    if (
        summary is None
        and not referrals.count
        and referrals.link_code is None
        and not history.count
        and not counted
        and packages is None
    ):
        raise PageError(
            404,
            "No such client",
            f"Starcard has no record of a client {client_id!r}: no completed session, no "
            "referral, no points, no spend toward a tier, no package. Check the client's id.",
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
        points=points,
        points_on=points_api.read_points_settings(tenant_id, loyalty).enabled,
        history=history,
        points_page=points_page,
        points_pages=max(1, -(-history.count // POINTS_PAGE_SIZE)),
        tier=tier if tier.enabled or counted else None,
        tier_history=tier_history,
        tier_page=tier_page,
        tier_pages=max(1, -(-tier_history.count // TIER_PAGE_SIZE)),
        packages=packages,
        adjustment=adjustment or {"adjustment_id": str(uuid.uuid4())},
        adjustment_errors=adjustment_errors or {},
        done=DONE.get(done or ""),
        status_code=status_code,
    )


@router.post("/clients/{client_id}/points/adjustments")
def adjust_points(
    request: Request,
    client_id: str,
    *,
    form: CheckedFormDep,
    session: SessionDep,
    loyalty: LoyaltyDep,
    conn: ReadConnDep,
) -> Response:
    """The profile's "Adjust points" form: points up or down, with the note saying why. The
    form carries its own adjustment id, so sending it twice adjusts once."""

    def adjust() -> None:
        body = PointsAdjustment.model_validate(
            {
                "points": form.get("points", "").strip().replace(",", ""),
                "note": form.get("note", ""),
                "adjustment_id": form.get("adjustment_id") or None,
            }
        )
        points_api.adjust_client_points(client_id, body, session.tenant_id, loyalty)

    return submit_form(
        adjust,
        labels=ADJUSTMENT_LABELS,
        show_again=lambda errors, status: _profile_page(
            request,
            client_id,
            session,
            loyalty,
            conn,
            adjustment=form,
            adjustment_errors=errors,
            status_code=status,
        ),
        then=f"{profile_url(client_id)}?done=points-adjusted#points",
    )
