"""The campaigns service's aggregate ids, in their own `IdSpace` (``starcard_kernel.ids``)."""

from functools import lru_cache
from uuid import UUID

from starcard_kernel.ids import IdSpace

# Every stored aggregate id derives from this namespace: never change it.
NAMESPACE = UUID("a94e96ce-045e-4749-a1d5-26e3897ff3b0")
IDS = IdSpace(NAMESPACE)


@lru_cache(maxsize=4096)
def programme_id(tenant_id: str) -> UUID:
    """Id of the tenant's `CampaignProgramme` (its campaign settings)."""
    return IDS.id_of("campaign-programme", tenant_id)


@lru_cache(maxsize=65536)  # computed for every booking record
def client_calendar_id(tenant_id: str, client_id: str) -> UUID:
    """Id of the `ClientCalendar`: the days a client's campaigns are timed by."""
    return IDS.id_of("client-calendar", tenant_id, client_id)


@lru_cache(maxsize=65536)
def birthday_reward_id(tenant_id: str, client_id: str, year: int) -> UUID:
    """Id of the `BirthdayReward` of one client for the birthday celebrated in `year`: one per
    client and year, whoever asks."""
    return IDS.id_of("birthday-reward", tenant_id, client_id, str(year))


@lru_cache(maxsize=65536)
def campaign_code_id(code: str) -> UUID:
    """Id of the `CampaignCode` with this code: a code is unique across every tenant."""
    return IDS.id_of("campaign-code", code)
