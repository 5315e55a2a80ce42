"""The demo's membership tiers: Regular, VIP and Elite on the clinic's rolling 12-month spend.

The thresholds suit the demo's prices (massages at £50-£90, clinic treatments up to £250), so a
regular client reaches VIP within the year and the most loyal reach Elite. A drop goes straight
to the tier the spend matches.
"""

from __future__ import annotations

from datetime import datetime

from starcard_events.money_format import format_money
from starcard_loyalty.api import DropMode, LoyaltyService, Tier, TierSettings

DEMO_TIERS = TierSettings(
    enabled=True,
    tiers=(
        Tier("regular", "Regular", 0),
        Tier(
            "vip",
            "VIP",
            80_000,
            treatment_discount_percent=5,
            product_discount_percent=5,
            priority_booking=True,
        ),
        Tier(
            "elite",
            "Elite",
            160_000,
            treatment_discount_percent=10,
            product_discount_percent=10,
            priority_booking=True,
            complimentary_service_id="scalp-massage-15",
        ),
    ),
    drop=DropMode.TO_SPEND,
    warn_days=14,
)
"""VIP from £800 in 12 months (5% off, priority booking), Elite from £1,600 (10% off, a free
15-minute scalp massage with a treatment)."""


def add_demo_tiers(loyalty: LoyaltyService, tenant_id: str, since: datetime) -> bool:
    """Switch the demo's tiers on, in force from `since`, unless the tenant has set its tiers
    already (a re-run keeps what the clinic chose); True if switched on."""
    if loyalty.programme(tenant_id).tier_versions.history:
        return False
    loyalty.set_tier_settings(tenant_id, DEMO_TIERS, since)
    return True


def tier_lines(settings: TierSettings) -> list[str]:
    """The tiers, a line each."""
    lines = []
    for tier in settings.tiers[1:]:
        perks = [f"{tier.treatment_discount_percent}% off treatments"]
        if tier.priority_booking:
            perks.append("priority booking")
        if tier.complimentary_service_id:
            perks.append(f"a free {tier.complimentary_service_id}")
        lines.append(
            f"{tier.name} from {format_money(tier.entry_minor, settings.currency)} in"
            f" {settings.window_months} months:"
            f" {', '.join(perks)}"
        )
    return lines
