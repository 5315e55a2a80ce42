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
