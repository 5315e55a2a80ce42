"""What the loyalty domain refuses, as types the edges translate (HTTP status, DLQ reason).

Each message says what is wrong in words a therapist or a platform can act on, and never says
anything about another tenant: a code of another tenant is simply not found. The refusals of
codes and money are the kernel's (``starcard_kernel.refusals``), shared by every programme.
"""

from starcard_kernel.refusals import (
    CodeAlreadyRedeemed,
    CodeExpired,
    CodeNotFound,
    CodeOfAnotherClient,
    InvalidAmount,
)

__all__ = [
    "AppointmentOfAnotherClient",
    "CodeAlreadyRedeemed",
    "CodeExpired",
    "CodeNotFound",
    "CodeOfAnotherClient",
    "DuplicateMilestone",
    "InvalidAmount",
    "InvalidMilestone",
    "InvalidPackageSettings",
    "InvalidPointsSettings",
    "InvalidTimeSettings",
    "LoyaltyError",
    "MilestoneNotFound",
    "PackageRefused",
    "PointsRefused",
    "Problems",
    "UnknownTenant",
]


class LoyaltyError(Exception):
    """Base of every refusal raised by the loyalty domain."""


class Problems(LoyaltyError):
    """Fields that break rules; `problems` says what to fix, one line each (a 422 lists them)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = tuple(problems)


class MilestoneNotFound(LoyaltyError):
    """The programme has no milestone with this id (never added, or deleted)."""

    def __init__(self, milestone_id: str) -> None:
        super().__init__(f"No milestone with id {milestone_id!r} in this programme.")
        self.milestone_id = milestone_id


class InvalidMilestone(Problems):
    """A milestone's fields break a rule."""


class DuplicateMilestone(LoyaltyError):
    """Another milestone already has this id, or already fires at the same count and length."""


class AppointmentOfAnotherClient(LoyaltyError):
    """An appointment was handed to the loyalty record of a different client."""

    def __init__(self, expected_client_id: str, given_client_id: str) -> None:
        super().__init__(
            f"Appointment of client {given_client_id!r} given to the loyalty record "
            f"of client {expected_client_id!r}."
        )
        self.expected_client_id = expected_client_id
        self.given_client_id = given_client_id


class UnknownTenant(LoyaltyError, LookupError):
    """No loyalty programme is open for this tenant."""

    def __init__(self, tenant_id: str) -> None:
        super().__init__(f"unknown tenant '{tenant_id}'")
        self.tenant_id = tenant_id


class InvalidPointsSettings(Problems):
    """Points settings that break a rule."""


class PointsRefused(LoyaltyError):
    """Points that cannot be used or moved as asked: below the programme's minimum, above the
    client's balance, above the share of the bill points may pay, or no points programme on."""


class InvalidTierSettings(Problems):
    """Tier settings that break a rule."""


class InvalidPackageSettings(Problems):
    """Package settings that break a rule."""


class InvalidTimeSettings(Problems):
    """A time zone the zone database does not know, or quiet hours that are not local times
    or have no length."""


class PackageRefused(LoyaltyError):
    """A package use asked at checkout that cannot be made; the message says why."""
