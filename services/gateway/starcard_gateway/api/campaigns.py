"""The tenant's campaigns, under ``/v1/campaigns``: each campaign's settings (birthday,
anniversary, re-engagement), what they share (the booking link, the hold-out share, the
attribution window), a client's offers, and the results against the hold-out group, as JSON or
CSV.

Changes run through the campaigns service, which refuses settings that break a rule with every
problem named (422); they apply from the tenant's next day's tick, and an offer already made
keeps the discount, expiry and message it was made with.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Annotated, Any

from fastapi import HTTPException, Query, Response, status
from pydantic import BeforeValidator
from starcard_campaigns.api import CAMPAIGNS, Campaign, CampaignsService, OfferSettings, Period
from starcard_campaigns.api import InvalidSettings as InvalidCampaignSettings
from starcard_loyalty.api import LoyaltyService

from starcard_gateway.api.loyalty import ClientIdPath
from starcard_gateway.deps import CampaignsDep, LoyaltyDep, TenantDep, tenant_router
from starcard_gateway.errors import refusal
from starcard_gateway.models.campaigns import (
    AnniversarySettingsChange,
    AnniversarySettingsPublic,
    BirthdaySettingsChange,
    BirthdaySettingsPublic,
    CampaignResultsPublic,
    OfferPublic,
    OffersPublic,
    ReengagementSettingsChange,
    ReengagementSettingsPublic,
    SharedSettingsChange,
    SharedSettingsPublic,
)

NO_PROGRAMME = refusal(404, "The tenant has no campaign programme open.")
INVALID_SETTINGS = refusal(
    422,
    "A field out of bounds, a field sent as null, a message that is blank or holds control "
    "characters, steps that do not rise, re-engagement without a booking link: the detail "
    "names every problem and what to fix.",
)
CAMPAIGN_NAMES = f"{', '.join(CAMPAIGNS[:-1])} and {CAMPAIGNS[-1]}"
MAX_SHOWN_NAME = 40

PeriodQuery = Annotated[
    Period, Query(description="What a cohort is: the week (from Monday) or the month.")
]
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _written_as_a_day(value: object) -> object:
    """A day as the query writes it, YYYY-MM-DD: not a number of seconds (which pydantic would
    read as a day of 1970), nor any other spelling of one."""
    if not isinstance(value, str) or not ISO_DAY.fullmatch(value):
        msg = "Input should be a day as YYYY-MM-DD"
        raise ValueError(msg)
    return value


SinceQuery = Annotated[
    date | None,
    BeforeValidator(_written_as_a_day),
    Query(description="Leave out offers decided before this day (YYYY-MM-DD); all when absent."),
]

router = tenant_router("/v1/campaigns", "campaigns")


# -- what the campaigns share ------------------------------------------------------------------


@router.get(
    "/settings",
    summary="What the campaigns share: the booking link, the hold-out share, the attribution "
    "window",
    responses=NO_PROGRAMME,
)
def read_shared_settings(tenant_id: TenantDep, campaigns: CampaignsDep) -> SharedSettingsPublic:
    return SharedSettingsPublic.from_settings(campaigns.programme(tenant_id).shared)


@router.patch(
    "/settings",
    summary="Change some of what the campaigns share; offers already made keep theirs",
    responses={**NO_PROGRAMME, **INVALID_SETTINGS},
)
def change_shared_settings(
    body: SharedSettingsChange, tenant_id: TenantDep, campaigns: CampaignsDep
) -> SharedSettingsPublic:
    changed = campaigns.change_shared_settings(tenant_id, **body.changes())
    return SharedSettingsPublic.from_settings(changed)


# -- each campaign's settings ------------------------------------------------------------------


def change_campaign(
    campaigns: CampaignsService,
    loyalty: LoyaltyService,
    tenant_id: str,
    campaign: Campaign,
    changes: dict[str, Any],
) -> OfferSettings:
    """Change a campaign's settings (the API's and the page's one way in). A points reward is
    granted by the loyalty service from its points programme's granted bonus: it is refused
    while that would grant nothing, so no client is told of points that never come."""
    if changes.get("reward") == "points":
        points = loyalty.programme(tenant_id).points
        if not points.enabled or points.granted_bonus_points <= 0:
            raise InvalidCampaignSettings(
                [
                    "reward 'points' needs the points programme on with a granted bonus "
                    "(Settings → Points: granted_bonus_points above 0): the loyalty service "
                    "grants that bonus, and would grant nothing."
                ]
            )
    return campaigns.change_campaign_settings(tenant_id, campaign, **changes)


@router.get(
    "/birthday/settings",
    summary="The birthday offer: on or off, how early, its discount, how long it lasts, its note",
    responses=NO_PROGRAMME,
)
def read_birthday_settings(tenant_id: TenantDep, campaigns: CampaignsDep) -> BirthdaySettingsPublic:
    return BirthdaySettingsPublic.from_settings(campaigns.programme(tenant_id).birthday)


@router.patch(
    "/birthday/settings",
    summary="Change some birthday settings; offers already sent keep theirs",
    responses={**NO_PROGRAMME, **INVALID_SETTINGS},
)
def change_birthday_settings(
    body: BirthdaySettingsChange, tenant_id: TenantDep, campaigns: CampaignsDep, loyalty: LoyaltyDep
) -> BirthdaySettingsPublic:
    changed = change_campaign(campaigns, loyalty, tenant_id, body.campaign, body.changes())
    return BirthdaySettingsPublic.from_settings(changed)


@router.get(
    "/anniversary/settings",
    summary="The anniversary of the first visit: on or off, how early, its discount, how long "
    "it lasts, its note",
    responses=NO_PROGRAMME,
)
def read_anniversary_settings(
    tenant_id: TenantDep, campaigns: CampaignsDep
) -> AnniversarySettingsPublic:
    return AnniversarySettingsPublic.from_settings(campaigns.programme(tenant_id).anniversary)


@router.patch(
    "/anniversary/settings",
    summary="Change some anniversary settings; offers already sent keep theirs",
    responses={**NO_PROGRAMME, **INVALID_SETTINGS},
)
def change_anniversary_settings(
    body: AnniversarySettingsChange,
    tenant_id: TenantDep,
    campaigns: CampaignsDep,
    loyalty: LoyaltyDep,
) -> AnniversarySettingsPublic:
    changed = change_campaign(campaigns, loyalty, tenant_id, body.campaign, body.changes())
    return AnniversarySettingsPublic.from_settings(changed)


@router.get(
    "/reengagement/settings",
    summary="Re-engagement: on or off, the days after the last visit each message goes (per "
    "treatment category), its discount, how long it lasts, its note",
    responses=NO_PROGRAMME,
)
def read_reengagement_settings(
    tenant_id: TenantDep, campaigns: CampaignsDep
) -> ReengagementSettingsPublic:
    return ReengagementSettingsPublic.from_settings(campaigns.programme(tenant_id).reengagement)


@router.patch(
    "/reengagement/settings",
    summary="Change some re-engagement settings; offers already sent keep theirs",
    responses={**NO_PROGRAMME, **INVALID_SETTINGS},
)
def change_reengagement_settings(
    body: ReengagementSettingsChange, tenant_id: TenantDep, campaigns: CampaignsDep
) -> ReengagementSettingsPublic:
    changed = campaigns.change_campaign_settings(tenant_id, body.campaign, **body.changes())
    return ReengagementSettingsPublic.from_settings(changed)


@router.api_route("/{campaign}/settings", methods=["GET", "PATCH"], include_in_schema=False)
def unknown_campaign(campaign: str) -> None:
    """Any other campaign's settings: 404 naming the campaigns there are (the routes above
    answer theirs, being matched first)."""
    raise HTTPException(
        status.HTTP_404_NOT_FOUND,
        f"No campaign {campaign[:MAX_SHOWN_NAME]!r}: the campaigns are {CAMPAIGN_NAMES}.",
    )


# -- offers and results ------------------------------------------------------------------------


@router.get(
    "/clients/{client_id}/offers",
    summary="A client's offers, sent (with the code) and held out, oldest first",
    responses=NO_PROGRAMME,
)
def list_client_offers(
    client_id: ClientIdPath, tenant_id: TenantDep, campaigns: CampaignsDep
) -> OffersPublic:
    campaigns.programme(tenant_id)  # a tenant without a programme is told so, not shown nothing
    offers = [OfferPublic.from_offer(each) for each in campaigns.offers(tenant_id, client_id)]
    return OffersPublic(data=offers, count=len(offers))


def campaign_results(
    tenant_id: str, campaigns: CampaignsService, period: Period, since: date | None
) -> CampaignResultsPublic:
    """The results table, as the JSON, the CSV and the dashboard show it."""
    attribution_days = campaigns.programme(tenant_id).shared.attribution_days
    return CampaignResultsPublic.from_results(
        campaigns.results(tenant_id, period=period, since=since),
        period=period,
        since=since,
        attribution_days=attribution_days,
    )


@router.get(
    "/results",
    summary="Per campaign and cohort: offers sent and held out, how many of each rebooked, "
    "their revenue, and the uplift",
    responses=NO_PROGRAMME,
)
def read_results(
    tenant_id: TenantDep,
    campaigns: CampaignsDep,
    period: PeriodQuery = "month",
    since: SinceQuery = None,
) -> CampaignResultsPublic:
    return campaign_results(tenant_id, campaigns, period, since)


def results_csv(results: CampaignResultsPublic) -> Response:
    """The results as a CSV download (one row per campaign and cohort)."""
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(results.csv_rows())
    return Response(
        text.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="campaign-results.csv"'},
    )


@router.get(
    "/results.csv",
    summary="The results as CSV: the JSON's table, one row per campaign and cohort",
    response_class=Response,
    responses={
        200: {
            "description": "A header row, then per campaign and cohort the columns of "
            "`/v1/campaigns/results` flattened (`sent_offers`, `held_out_rebooking_rate`, "
            "`sent_revenue`, ...); money written as the dashboard writes it (`£190.00`; two "
            "currencies' amounts in one cell, `£150.00; €80.00`); an empty cell for null or no "
            "amount.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
        **NO_PROGRAMME,
    },
)
def read_results_csv(
    tenant_id: TenantDep,
    campaigns: CampaignsDep,
    period: PeriodQuery = "month",
    since: SinceQuery = None,
) -> Response:
    return results_csv(campaign_results(tenant_id, campaigns, period, since))
