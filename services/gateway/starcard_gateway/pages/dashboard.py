"""The therapist's dashboard, under ``/dashboard``: what every page of it shares (the frame each
page renders in, and the one-line notices forms leave). The pages are their own modules: login,
overview, loyalty_settings, points_settings, tier_settings, package_settings, referral_settings,
time_settings, clients and attendance.

Every page reads and every form writes through the JSON API's own route functions
(``starcard_gateway.api.loyalty`` and ``.referrals``) with the same request models, so a page
shows and changes exactly what the API does, refused for the same reasons. Forms post back with
the session's CSRF token and, once done, redirect to a GET of the page (a reload never posts
twice), which says what changed.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from starcard_loyalty.api import UnknownTenant

from starcard_gateway.deps import LoyaltyDep
from starcard_gateway.pages.rendering import PageError, render
from starcard_gateway.pages.sessions import Session

MAX_PAGE = 100_000

DONE = {
    "counting-on": "Membership and package sessions now count toward stars.",
    "counting-off": "Only full-price sessions count toward stars now.",
    "milestone-added": "Milestone added. It is active.",
    "milestone-saved": "Milestone saved.",
    "milestone-on": "Milestone turned on.",
    "milestone-off": "Milestone turned off: it fires for nobody until it is on again.",
    "milestone-deleted": "Milestone deleted.",
    "referrals-saved": "Referral settings saved.",
    "points-saved": "Points settings saved. They apply from now: points already earned keep "
    "theirs.",
    "bonus-added": "Bonus added.",
    "bonus-deleted": "Bonus deleted.",
    "points-adjusted": "Points adjusted. The balance and history below show it within moments.",
    "original-saved": "Original milestone saved.",
    "tiers-saved": "Tier settings saved. They apply from now: a client's tier moves with their "
    "next purchase, refund or review.",
    "tier-added": "Tier added.",
    "tier-saved": "Tier saved. It applies from now: a client's tier moves with their next "
    "purchase, refund or review.",
    "tier-removed": "Tier removed.",
    "packages-saved": "Package settings saved. They apply from now: packages already bought "
    "keep their terms.",
    "package-added": "Package added. It is on sale.",
    "package-saved": "Package saved. Packages already bought keep their terms.",
    "package-on": "Package on sale again.",
    "package-off": "Package no longer sold: clients keep the sessions they bought.",
    "time-saved": "Time settings saved. They apply from your next day.",
}
"""What a form did, shown once after its redirect; a fixed text, so nothing sent is echoed."""


def page_context(session: Session, loyalty: LoyaltyDep, section: str) -> dict[str, Any]:
    """What every dashboard page shows: the business, the navigation, the forms' token."""
    try:
        business = loyalty.programme(session.tenant_id).name
    except UnknownTenant:
        raise PageError(
            404,
            "No loyalty programme",
            "This business has no Starcard programme open: ask your Starcard operator.",
        ) from None
    return {
        "business": business,
        "section": section,
        "csrf_token": session.csrf,
    }


def dashboard_page(
    request: Request,
    session: Session,
    loyalty: LoyaltyDep,
    template: str,
    *,
    section: str,
    title: str,
    status_code: int = 200,
    **context: Any,
) -> Response:
    """The template in the dashboard's frame (``page_context``), under this title."""
    return render(
        request,
        template,
        {**page_context(session, loyalty, section), "title": title, **context},
        status_code=status_code,
    )


def page_number(page: str | None) -> int:
    try:
        return min(max(1, int(page or 1)), MAX_PAGE)
    except ValueError:
        return 1
