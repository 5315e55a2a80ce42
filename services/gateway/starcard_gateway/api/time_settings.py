"""The tenant's time settings, under ``/v1/settings/time``: its time zone and quiet hours.

The clock ticks once per tenant-local day, at midnight in the tenant's zone, and campaign
messages a day's tick decides to send wait until the tenant's quiet hours end. Changes run
through the loyalty service (the settings live on the tenant's programme), which refuses a zone
the zone database does not know or quiet hours that are not local times, every problem named
(422); they apply from the tenant's next tick.
"""

from __future__ import annotations

from starcard_gateway.api.tiers import NO_PROGRAMME
from starcard_gateway.deps import LoyaltyDep, TenantDep, tenant_router
from starcard_gateway.errors import refusal
from starcard_gateway.models.time_settings import TimeSettingsChange, TimeSettingsPublic

INVALID_SETTINGS = refusal(
    422,
    "A time zone that is not an IANA name the zone database knows (such as Europe/London), "
    "quiet hours that are not local HH:MM times or start and end at the same time, or "
    "time_zone sent as null: the detail names every problem.",
)

router = tenant_router("/v1/settings", "time")


@router.get(
    "/time",
    summary="The time zone the tenant's days begin in, and its quiet hours",
    responses=NO_PROGRAMME,
)
def read_time_settings(tenant_id: TenantDep, loyalty: LoyaltyDep) -> TimeSettingsPublic:
    return TimeSettingsPublic.from_settings(loyalty.programme(tenant_id).time_settings)


@router.patch(
    "/time",
    summary="Change the time zone or the quiet hours; they apply from the tenant's next day",
    responses={**NO_PROGRAMME, **INVALID_SETTINGS},
)
def change_time_settings(
    body: TimeSettingsChange, tenant_id: TenantDep, loyalty: LoyaltyDep
) -> TimeSettingsPublic:
    return TimeSettingsPublic.from_settings(loyalty.change_time_settings(tenant_id, body.changes()))
