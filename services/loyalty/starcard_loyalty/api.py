"""The loyalty service's public face: all that the gateway, the projections and the CLI may use.

Everything else in ``starcard_loyalty`` is the service's own and may move without notice; the
import contracts (``make lint``) refuse any other way in. The application runs the use cases (the
gateway's settings commands and checkout run through it, on the service's schema), the data types
are what its use cases take and return, and the errors are what they refuse with.
"""

from starcard_loyalty.app import SCHEMA
from starcard_loyalty.application import LoyaltyService
from starcard_loyalty.checkout import Quote, Redemption
from starcard_loyalty.domain.attendance import (
    KINDS,
    TAG,
    AttendanceMilestone,
    AttendanceSettings,
    Source,
)
from starcard_loyalty.domain.counting import CountingRules, Milestone
from starcard_loyalty.domain.errors import (
    DuplicateMilestone,
    InvalidMilestone,
    InvalidPackageSettings,
    InvalidPointsSettings,
    InvalidTierSettings,
    InvalidTimeSettings,
    MilestoneNotFound,
    PackageRefused,
    PointsRefused,
    UnknownTenant,
)
from starcard_loyalty.domain.locale_settings import (
    MAX_TIME_ZONE_LENGTH,
    QuietHours,
    QuietHoursRecord,
    TimeSettings,
    TimeSettingsChanges,
    quiet_hours_record,
)
from starcard_loyalty.domain.package_settings import (
    MAX_CATALOGUE,
    Package,
    PackageSettings,
    PackageTerms,
    RefundPolicy,
    ValidFrom,
)
from starcard_loyalty.domain.packages import Balance, PackageHoldings, package_source
from starcard_loyalty.domain.points import Movement, PointsQuote, movement_of
from starcard_loyalty.domain.points import Redemption as PointsRedemption
from starcard_loyalty.domain.points_settings import Expiry, PointsSettings, ServiceBonus
from starcard_loyalty.domain.programme import LoyaltyProgramme
from starcard_loyalty.domain.rewards import IssuedReward
from starcard_loyalty.domain.tier_checkout import CheckoutLine, LineKind, TierCheckout
from starcard_loyalty.domain.tier_settings import (
    MAX_MULTIPLIER_HUNDREDTHS,
    MAX_TIERS,
    MAX_WINDOW_MONTHS,
    DropMode,
    SpendKind,
    Tier,
    TierSettings,
)
from starcard_loyalty.packages import PackageRedemption

__all__ = [
    "KINDS",
    "MAX_CATALOGUE",
    "MAX_MULTIPLIER_HUNDREDTHS",
    "MAX_TIERS",
    "MAX_TIME_ZONE_LENGTH",
    "MAX_WINDOW_MONTHS",
    "SCHEMA",
    "TAG",
    "AttendanceMilestone",
    "AttendanceSettings",
    "Balance",
    "CheckoutLine",
    "CountingRules",
    "DropMode",
    "DuplicateMilestone",
    "Expiry",
    "InvalidMilestone",
    "InvalidPackageSettings",
    "InvalidPointsSettings",
    "InvalidTierSettings",
    "InvalidTimeSettings",
    "IssuedReward",
    "LineKind",
    "LoyaltyProgramme",
    "LoyaltyService",
    "Milestone",
    "MilestoneNotFound",
    "Movement",
    "Package",
    "PackageHoldings",
    "PackageRedemption",
    "PackageRefused",
    "PackageSettings",
    "PackageTerms",
    "PointsQuote",
    "PointsRedemption",
    "PointsRefused",
    "PointsSettings",
    "QuietHours",
    "QuietHoursRecord",
    "Quote",
    "Redemption",
    "RefundPolicy",
    "ServiceBonus",
    "Source",
    "SpendKind",
    "Tier",
    "TierCheckout",
    "TierSettings",
    "TimeSettings",
    "TimeSettingsChanges",
    "UnknownTenant",
    "ValidFrom",
    "movement_of",
    "package_source",
    "quiet_hours_record",
]
