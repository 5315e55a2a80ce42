"""What the campaigns domain refuses, as types the edges translate (HTTP status, DLQ reason).

Code refusals (`CodeNotFound`, `CodeExpired`, ...) are the kernel's (``starcard_kernel.refusals``),
so the gateway answers a campaign code exactly as it answers a loyalty code.
"""


class CampaignError(Exception):
    """Base of every refusal raised by the campaigns domain."""


class InvalidSettings(CampaignError):
    """Campaign settings that break a rule; `problems` says what to fix, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = tuple(problems)


class InvalidBirthday(CampaignError, ValueError):
    """A month and day that name no day of any year (30 February, month 13)."""


class UnknownTenant(CampaignError, LookupError):
    """No campaign programme was opened for this tenant."""

    def __init__(self, tenant_id: str) -> None:
        super().__init__(f"No campaign programme for tenant {tenant_id!r}.")
        self.tenant_id = tenant_id
