"""What the referrals domain refuses, as types the edges translate (HTTP status, DLQ reason).

Code and money refusals (`CodeNotFound`, `CodeExpired`, `CurrencyMismatch`, ...) are the kernel's
(``starcard_kernel.refusals``), so the gateway answers a referral code exactly as it answers a
loyalty code.
"""


class ReferralError(Exception):
    """Base of every refusal raised by the referrals domain."""


class UnknownTenant(ReferralError):
    """No referral programme for this tenant."""

    def __init__(self, tenant_id: str) -> None:
        super().__init__(f"unknown tenant {tenant_id!r}: no referral programme")
        self.tenant_id = tenant_id


class UnknownReferralCode(ReferralError):
    """No link of this tenant has this code."""

    def __init__(self, code: str) -> None:
        super().__init__("unknown referral code: no link of this tenant has it")
        self.code = code


class InvalidSettings(ReferralError):
    """Referral settings break a rule; the message says what to fix."""
