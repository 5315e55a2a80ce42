"""The loyalty domain: pure rules and aggregates (stdlib and `eventsourcing.domain` only)."""

from starcard_loyalty.domain.client import ClientLoyalty
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
    DuplicateMilestone,
    InvalidMilestone,
    LoyaltyError,
    MilestoneNotFound,
)
from starcard_loyalty.domain.ids import client_loyalty_id, programme_id
from starcard_loyalty.domain.programme import LoyaltyProgramme

__all__ = [
    "Appointment",
    "AppointmentOfAnotherClient",
    "ClientLoyalty",
    "CountingRules",
    "DuplicateMilestone",
    "InvalidMilestone",
    "LoyaltyError",
    "LoyaltyProgramme",
    "Milestone",
    "MilestoneNotFound",
    "Part",
    "Visit",
    "client_loyalty_id",
    "counts_toward",
    "is_full_price",
    "programme_id",
]
