"""The loyalty domain: pure rules and aggregates (stdlib and `eventsourcing.domain` only)."""

from starcard_loyalty.domain.client import ClientLoyalty
from starcard_loyalty.domain.codes import (
    CODE_ALPHABET,
    CODE_LENGTH,
    CODE_VALIDITY,
    LOYALTY_CODE_PREFIX,
    CodeGenerator,
    DiscountCode,
    loyalty_code,
)
from starcard_loyalty.domain.counting import (
    Appointment,
    CountingRules,
    Milestone,
    Part,
    Visit,
    counts_toward,
    is_full_price,
)
from starcard_loyalty.domain.errors import (
    AppointmentOfAnotherClient,
    CodeAlreadyRedeemed,
    CodeExpired,
    CodeNotFound,
    CodeOfAnotherClient,
    DuplicateMilestone,
    InvalidAmount,
    InvalidMilestone,
    LoyaltyError,
    MilestoneNotFound,
    UnknownTenant,
)
from starcard_loyalty.domain.ids import client_loyalty_id, discount_code_id, programme_id
from starcard_loyalty.domain.programme import LoyaltyProgramme
from starcard_loyalty.domain.rewards import IssuedReward, QueuedReward

__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "CODE_VALIDITY",
    "LOYALTY_CODE_PREFIX",
    "Appointment",
    "AppointmentOfAnotherClient",
    "ClientLoyalty",
    "CodeAlreadyRedeemed",
    "CodeExpired",
    "CodeGenerator",
    "CodeNotFound",
    "CodeOfAnotherClient",
    "CountingRules",
    "DiscountCode",
    "DuplicateMilestone",
    "InvalidAmount",
    "InvalidMilestone",
    "IssuedReward",
    "LoyaltyError",
    "LoyaltyProgramme",
    "Milestone",
    "MilestoneNotFound",
    "Part",
    "QueuedReward",
    "UnknownTenant",
    "Visit",
    "client_loyalty_id",
    "counts_toward",
    "discount_code_id",
    "is_full_price",
    "loyalty_code",
    "programme_id",
]
