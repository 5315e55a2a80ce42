"""The client portal, at ``/portal``: the client's tier, the loyalty card, offers, packages,
points and Refer a friend, for one client.

The business sends the client a link, ``/portal?token=<portal token>`` (``POST
/v1/portal/tokens``). Opening it keeps the token in a cookie and redirects to ``/portal``, so the
token leaves the address bar and the browser's history. A link with the token in the fragment
(``STARCARD_PORTAL_URL``'s ``#token=``) is turned into that link by the page's script.

The tier, the card, the offers, the packages, the points and the referrals come from the JSON
API's own functions (``api.portal.read_tier``, ``api.loyalty.loyalty_card``,
``api.portal.read_offers``, ``api.portal.read_packages``, ``api.portal.read_points`` and
``api.portal.read_referrals``), with the tenant and the client taken from the token only.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response, status
from starcard_loyalty.api import UnknownTenant
from starcard_referrals.api import UnknownTenant as NoReferralProgramme

from starcard_gateway.api import loyalty as loyalty_api
from starcard_gateway.api import portal as portal_api
from starcard_gateway.deps import (
    CampaignsDep,
    LoyaltyDep,
    PortalTokensDep,
    ReadConnDep,
    ReferralsDep,
)
from starcard_gateway.models.loyalty import LoyaltyCardPublic
from starcard_gateway.models.portal import PortalReferralsPublic
from starcard_gateway.pages.auth import portal_client, verified_client
from starcard_gateway.pages.dashboard import page_number
from starcard_gateway.pages.rendering import PageError, read_form, redirect, render
from starcard_gateway.pages.sessions import PORTAL_COOKIE, PORTAL_PATH, set_cookie
from starcard_gateway.portal import InvalidPortalToken, PortalClient, PortalTokens

router = APIRouter(prefix=PORTAL_PATH, include_in_schema=False)

STAGE_TEXT = {"invited": "Invited", "booked": "Booked", "completed": "Completed"}
POINTS_PAGE_SIZE = 10


@router.get("")
def portal(
    request: Request,
    *,
    tokens: PortalTokensDep,
    loyalty: LoyaltyDep,
    referrals: ReferralsDep,
    campaigns: CampaignsDep,
    conn: ReadConnDep,
    token: str | None = None,
    points_page: str | None = None,
) -> Response:
    if token is not None:
        # The link's landing: the token goes into the cookie, and the portal opens without it.
        arriving = verified_client(tokens, token)
        current = _current_client(request, tokens)
        if current is not None and current != arriving:
            # A link to another account (perhaps someone else's, sent to swap in their referral
            # link) replaces this one only when the client says so.
            return render(
                request, "portal/switch.html", {"title": "Open another account?", "token": token}
            )
        return _open(request, token)
    client = portal_client(request, tokens)
    try:
        business = loyalty.programme(client.tenant_id).name
    except UnknownTenant:
        raise PageError(
            404, "This business is not on Starcard", "Ask the business for a new link."
        ) from None
    card: LoyaltyCardPublic | None
    try:
        card = loyalty_api.loyalty_card(conn, client.tenant_id, client.client_id)
    except HTTPException as exc:
        if exc.status_code != status.HTTP_404_NOT_FOUND:
            raise
        card = None  # the business runs no loyalty milestone: no card to show
    page = page_number(points_page)
    points = portal_api.read_points(
        client, loyalty, conn, limit=POINTS_PAGE_SIZE, offset=(page - 1) * POINTS_PAGE_SIZE
    )
    tier = portal_api.read_tier(client, loyalty, conn)
    offers = portal_api.read_offers(client, campaigns)
    packages = portal_api.read_packages(client, conn)
    shared: PortalReferralsPublic | None
    try:
        shared = portal_api.read_referrals(client, referrals, conn)
    except NoReferralProgramme:
        shared = None
    return render(
        request,
        "portal/portal.html",
        {
            "title": f"{business} · Your loyalty card",
            "business": business,
            "tier": tier if tier.enabled else None,
            "card": card,
            "offers": offers.data,
            "packages": packages.data,
            "referrals": shared,
            "stage_text": STAGE_TEXT,
            "points": points if points.enabled or points.balance or points.count else None,
            "points_page": page,
            "points_pages": max(1, -(-points.count // POINTS_PAGE_SIZE)),
        },
    )


@router.post("")
async def switch_account(request: Request, tokens: PortalTokensDep) -> Response:
    """The client chose to open the other account's link (a same-site form; see `read_form`)."""
    form = await read_form(request)
    token = form.get("token", "")
    verified_client(tokens, token)
    return _open(request, token)


def _open(request: Request, token: str) -> Response:
    response = redirect(PORTAL_PATH)
    set_cookie(response, request, PORTAL_COOKIE, token, path=PORTAL_PATH, samesite="lax")
    return response


def _current_client(request: Request, tokens: PortalTokens) -> PortalClient | None:
    """The client the portal cookie opens now, if it still opens one."""
    cookie = request.cookies.get(PORTAL_COOKIE)
    if not cookie:
        return None
    try:
        return tokens.verify(cookie)
    except InvalidPortalToken:
        return None
