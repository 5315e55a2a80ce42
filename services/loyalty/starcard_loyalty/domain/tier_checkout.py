"""A tier's discounts at checkout, and how they meet a discount code.

The client's tier takes its treatment percentage off each treatment line and its product
percentage off each product line (rounded half up per line). A code is a discount like the tier's:
unless the tenant lets them stack, the client gets the better of the two (the tier on a tie, so
the code stays theirs for another visit); when they stack, the code applies to what is left after
the tier's discount.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from starcard_kernel.money import percent_of

from starcard_loyalty.domain.tier_settings import Tier, TierSettings

__all__ = ["CheckoutLine", "LineKind", "TierCheckout", "tier_checkout"]


class LineKind(StrEnum):
    TREATMENT = "treatment"
    PRODUCT = "product"


@dataclass(frozen=True)
class CheckoutLine:
    kind: LineKind
    amount_minor: int


Applied = Literal["none", "tier", "code", "both"]


@dataclass(frozen=True)
class TierCheckout:
    """What the client's tier (and a code, if given) takes off a bill."""

    tier: Tier
    line_discounts: tuple[int, ...]
    """The tier's discount on each line, in the order given."""
    tier_discount_minor: int
    code_discount_minor: int
    """What the code would take (off what is left after the tier's discount, when they stack);
    0 without a code."""
    applied: Applied
    total_minor: int
    """The bill less what applies."""

    @property
    def discount_minor(self) -> int:
        return {
            "none": 0,
            "tier": self.tier_discount_minor,
            "code": self.code_discount_minor,
            "both": self.tier_discount_minor + self.code_discount_minor,
        }[self.applied]


def tier_checkout(
    settings: TierSettings,
    tier: Tier,
    lines: Sequence[CheckoutLine],
    code_discount: Callable[[int], int] | None,
) -> TierCheckout:
    """The tier's discount on `lines`, met with a code's (`code_discount(amount)`: what the code
    takes off `amount`), under the tenant's stacking setting."""
    line_discounts = tuple(
        percent_of(
            line.amount_minor,
            tier.treatment_discount_percent
            if line.kind is LineKind.TREATMENT
            else tier.product_discount_percent,
        )
        for line in lines
    )
    bill = sum(line.amount_minor for line in lines)
    tier_off = sum(line_discounts)
    stack = settings.stack_with_codes
    code_off = 0 if code_discount is None else code_discount(bill - tier_off if stack else bill)
    applied: Applied
    if code_discount is None or code_off == 0:
        applied = "tier" if tier_off else "none"
    elif stack:
        applied = "both" if tier_off else "code"
    else:
        applied = "code" if code_off > tier_off else "tier"
    result = TierCheckout(tier, line_discounts, tier_off, code_off, applied, bill)
    return TierCheckout(
        tier, line_discounts, tier_off, code_off, applied, bill - result.discount_minor
    )
