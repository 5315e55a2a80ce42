"""What the loyalty domain refuses, as types the edges translate (HTTP status, DLQ reason).

Each message says what is wrong in words a therapist or a platform can act on, and never says
anything about another tenant: a code of another tenant is simply not found.
"""

from datetime import datetime


class LoyaltyError(Exception):
    """Base of every refusal raised by the loyalty domain."""


class MilestoneNotFound(LoyaltyError):
    """The programme has no milestone with this id (never added, or deleted)."""

    def __init__(self, milestone_id: str) -> None:
        super().__init__(f"No milestone with id {milestone_id!r} in this programme.")
        self.milestone_id = milestone_id


class InvalidMilestone(LoyaltyError):
    """A milestone's fields break a rule; `problems` says what to fix, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = tuple(problems)


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


class CodeNotFound(LoyaltyError):
    """No code like this was issued by this tenant.

    Also raised for another tenant's code, with the same message: a tenant never learns that
    another tenant's code exists.
    """

    def __init__(self, code: str) -> None:
        super().__init__(
            f"No discount code {code!r} was issued by this business: check the code as typed."
        )
        self.code = code


class CodeOfAnotherClient(LoyaltyError):
    """The code was earned by another client of the tenant; only its owner can use it."""

    def __init__(self, code: str) -> None:
        super().__init__(
            f"Discount code {code!r} belongs to another client: a loyalty reward can only be "
            "used by the client who earned it."
        )
        self.code = code


class CodeExpired(LoyaltyError):
    """The code was not used within its 12 months."""

    def __init__(self, code: str, expires_at: datetime) -> None:
        super().__init__(
            f"Discount code {code!r} expired on {expires_at.date().isoformat()}: loyalty codes "
            "are valid for 12 months from the moment they are issued."
        )
        self.code = code
        self.expires_at = expires_at


class CodeAlreadyRedeemed(LoyaltyError):
    """The code was already used on another booking: codes are single-use."""

    def __init__(self, code: str) -> None:
        super().__init__(
            f"Discount code {code!r} was already used on another booking: each code is single-use."
        )
        self.code = code


class InvalidAmount(LoyaltyError, ValueError):
    """A checkout amount that cannot be discounted: negative, or without a currency code."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
