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
def offer_id(tenant_id: str, campaign: str, client_id: str, occasion: str) -> UUID:
    """Id of the `Offer` of one campaign to one client for one occasion (a birthday's year, an
    anniversary's year, a step of a re-engagement sequence): one per occasion, whoever asks."""
    return IDS.id_of("campaign-offer", tenant_id, campaign, client_id, occasion)


@lru_cache(maxsize=65536)
def campaign_code_id(code: str) -> UUID:
    """Id of the `CampaignCode` with this code: a code is unique across every tenant."""
    return IDS.id_of("campaign-code", code)


def message_outcomes_id(tenant_id: str, notification_id: UUID) -> UUID:
    """Id of the `MessageOutcomes` of one campaign message (the notifier's notification id)."""
    return IDS.id_of("message-outcomes", tenant_id, str(notification_id))
