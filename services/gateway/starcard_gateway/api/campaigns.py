"""The tenant's campaign settings, under ``/v1/campaigns``: the birthday reward so far.

Changes run through the campaigns service, which refuses settings that break a rule with every
problem named (422); they apply from the next day's tick, and a reward already sent keeps the
discount, expiry and message it was sent with.
"""

from __future__ import annotations

from starcard_gateway.deps import CampaignsDep, TenantDep, tenant_router
from starcard_gateway.errors import refusal
from starcard_gateway.models.campaigns import BirthdaySettingsChange, BirthdaySettingsPublic

NO_PROGRAMME = refusal(404, "The tenant has no campaign programme open.")
INVALID_SETTINGS = refusal(
    422,
    "A field out of bounds, a field sent as null, or a message that is blank or holds control "
    "characters: the detail names every problem and what to fix.",
)

router = tenant_router("/v1/campaigns", "campaigns")


@router.get(
    "/birthday/settings",
    summary="The birthday reward: on or off, how early, its discount, how long it lasts, its note",
    responses=NO_PROGRAMME,
)
def read_birthday_settings(tenant_id: TenantDep, campaigns: CampaignsDep) -> BirthdaySettingsPublic:
    return BirthdaySettingsPublic.from_settings(campaigns.programme(tenant_id).birthday)


@router.patch(
    "/birthday/settings",
    summary="Change some birthday settings; rewards already sent keep theirs",
    responses={**NO_PROGRAMME, **INVALID_SETTINGS},
)
def change_birthday_settings(
    body: BirthdaySettingsChange, tenant_id: TenantDep, campaigns: CampaignsDep
) -> BirthdaySettingsPublic:
    settings = campaigns.change_birthday_settings(tenant_id, **body.changes())
    return BirthdaySettingsPublic.from_settings(settings)
