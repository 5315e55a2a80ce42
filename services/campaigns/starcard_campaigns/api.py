"""The campaigns service's public face: all that the gateway, the projections and the CLI may use.

Everything else in ``starcard_campaigns`` is the service's own and may move without notice; the
import contracts (``make lint``) refuse any other way in. The application runs the use cases (the
programme and its campaigns' settings, the offers made and their results, a campaign code at
checkout), the data
types are what they take and return, and the errors are what they refuse with.
"""

from starcard_campaigns.app import SCHEMA
from starcard_campaigns.application import CampaignQuote, CampaignRedemption, CampaignsService
from starcard_campaigns.domain.birthdays import MonthDay
from starcard_campaigns.domain.codes import is_campaign_code
from starcard_campaigns.domain.errors import InvalidSettings, UnknownTenant
from starcard_campaigns.domain.offers import Offer, OfferTerms
from starcard_campaigns.domain.programme import (
    CAMPAIGNS,
    MAX_DAYS_BEFORE,
    MAX_VALID_DAYS,
    AnniversarySettings,
    BirthdaySettings,
    Campaign,
    OfferSettings,
    ProgrammeSettings,
    ReengagementSettings,
    Reward,
)
from starcard_campaigns.domain.results import Cohort, CohortResults, Group, Period

__all__ = [
    "CAMPAIGNS",
    "MAX_DAYS_BEFORE",
    "MAX_VALID_DAYS",
    "SCHEMA",
    "AnniversarySettings",
    "BirthdaySettings",
    "Campaign",
    "CampaignQuote",
    "CampaignRedemption",
    "CampaignsService",
    "Cohort",
    "CohortResults",
    "Group",
    "InvalidSettings",
    "MonthDay",
    "Offer",
    "OfferSettings",
    "OfferTerms",
    "Period",
    "ProgrammeSettings",
    "ReengagementSettings",
    "Reward",
    "UnknownTenant",
    "is_campaign_code",
]
