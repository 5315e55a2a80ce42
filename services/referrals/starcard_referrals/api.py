"""The referrals service's public face: all that the gateway, the projections and the CLI may use.

Everything else in ``starcard_referrals`` is the service's own and may move without notice; the
import contracts (``make lint``) refuse any other way in. The application runs the use cases
(settings, links, checkout of welcome codes and credit), the data types are what they take and
return, and the errors are what they refuse with.
"""

from starcard_referrals.app import SCHEMA
from starcard_referrals.application import CodeQuote, Link, ReferralsService, WelcomeRedemption
from starcard_referrals.domain.credits import CreditUse
from starcard_referrals.domain.errors import InvalidSettings, UnknownTenant
from starcard_referrals.domain.programme import EMAIL, URL, Delivery, ReferralSettings, Trigger
from starcard_referrals.domain.values import RewardValue
from starcard_referrals.domain.welcome import is_welcome_code

__all__ = [
    "EMAIL",
    "SCHEMA",
    "URL",
    "CodeQuote",
    "CreditUse",
    "Delivery",
    "InvalidSettings",
    "Link",
    "ReferralSettings",
    "ReferralsService",
    "RewardValue",
    "Trigger",
    "UnknownTenant",
    "WelcomeRedemption",
    "is_welcome_code",
]
