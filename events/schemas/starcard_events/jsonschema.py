"""JSON Schema files for every event, for platforms that publish from other languages.

`python -m starcard_events.jsonschema` writes them into `events/schemas/json/`;
`python -m starcard_events.jsonschema --check` exits 1 and lists the files that are stale.
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel, TypeAdapter

from starcard_events.bookings import (
    AppointmentCompleted,
    AppointmentRefunded,
    BookingCancelled,
    BookingCreated,
    ClientCheckedIn,
)
from starcard_events.campaign_facts import CampaignPointsGranted
from starcard_events.clients import ClientRegistered, ClientUpdated
from starcard_events.clock import ClockTicked
from starcard_events.delivery_facts import MessageDelivered, MessageNotDelivered
from starcard_events.facts import MilestoneReached, RewardIssued, RewardRedeemed, StarEarned
from starcard_events.notifications import NotificationRequested
from starcard_events.orders import OrderRefunded, ProductPurchased
from starcard_events.package_facts import (
    PackageActivated,
    PackageExpired,
    PackageRefundSettled,
    PackageSessionRestored,
    PackageSessionUsed,
)
from starcard_events.packages import PackagePurchased, PackageRefunded
from starcard_events.parsing import BookingTopicEvent
from starcard_events.points_facts import (
    PointsAdjusted,
    PointsEarned,
    PointsExpired,
    PointsRedeemed,
    PointsReversed,
)
from starcard_events.referral_facts import (
    CreditApplied,
    CreditIssued,
    ReferralRefused,
    ReferralRewardDue,
    ReferralStageChanged,
    WelcomeCodeIssued,
    WelcomeCodeRedeemed,
)
from starcard_events.referrals import LinkVisited
from starcard_events.tier_facts import TierChanged

SCHEMA_DIR: Final = Path(__file__).parent.parent / "json"
"""Where the files live in the repository (beside the package, not inside it)."""

_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
_EVENTS: Final[tuple[type[BaseModel], ...]] = (
    ClientRegistered,
    ClientUpdated,
    BookingCreated,
    BookingCancelled,
    AppointmentCompleted,
    ClientCheckedIn,
    AppointmentRefunded,
    ProductPurchased,
    OrderRefunded,
    PackagePurchased,
    PackageRefunded,
    LinkVisited,
    ClockTicked,
    NotificationRequested,
    StarEarned,
    MilestoneReached,
    RewardIssued,
    RewardRedeemed,
    PointsEarned,
    PointsRedeemed,
    PointsExpired,
    PointsReversed,
    PointsAdjusted,
    TierChanged,
    PackageActivated,
    PackageSessionUsed,
    PackageSessionRestored,
    PackageExpired,
    PackageRefundSettled,
    ReferralStageChanged,
    ReferralRefused,
    CreditIssued,
    CreditApplied,
    ReferralRewardDue,
    WelcomeCodeIssued,
    WelcomeCodeRedeemed,
    CampaignPointsGranted,
    MessageDelivered,
    MessageNotDelivered,
)


def generate() -> dict[str, dict[str, Any]]:
    """Schema name -> JSON Schema of what a producer must send.

    One per event type, and `BookingTopicEvent`: the union of all that `booking.events.v1` carries.
    """
    schemas = {event.__name__: event.model_json_schema() for event in _EVENTS}
    schemas["BookingTopicEvent"] = {
        "title": "BookingTopicEvent",
        "description": "Any event on booking.events.v1, told apart by its `type`.",
        **TypeAdapter[BookingTopicEvent](BookingTopicEvent).json_schema(),
    }
    return {name: {"$schema": _DIALECT, **schema} for name, schema in schemas.items()}


def render(schema: dict[str, Any]) -> str:
    """The text of a schema file: indented, keys sorted, so that diffs stay small and stable."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def expected_files() -> dict[str, str]:
    """File name -> the text it should have."""
    return {f"{name}.json": render(schema) for name, schema in generate().items()}


def stale_files(directory: Path = SCHEMA_DIR) -> list[str]:
    """Names of the files in `directory` that are missing, differ, or describe no event any more."""
    expected = expected_files()
    present = {path.name for path in directory.glob("*.json")}
    stale = [
        name
        for name, text in expected.items()
        if name not in present or (directory / name).read_text(encoding="utf-8") != text
    ]
    return sorted(stale + list(present - expected.keys()))


def write(directory: Path = SCHEMA_DIR) -> list[str]:
    """Bring `directory` up to date; return the names of the files written or removed."""
    directory.mkdir(parents=True, exist_ok=True)
    expected = expected_files()
    changed = stale_files(directory)
    for name in changed:
        if name in expected:
            (directory / name).write_text(expected[name], encoding="utf-8")
        else:
            (directory / name).unlink()
    return changed


def main(argv: list[str] | None = None) -> int:
    """Write the schema files, or with `--check` only report the stale ones."""
    parser = argparse.ArgumentParser(prog="python -m starcard_events.jsonschema")
    parser.add_argument("--check", action="store_true", help="exit 1 if any file is stale")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files()
        for name in stale:
            sys.stderr.write(f"stale: {SCHEMA_DIR / name}\n")
        if stale:
            sys.stderr.write("run: uv run python -m starcard_events.jsonschema\n")
        return 1 if stale else 0
    for name in write():
        sys.stdout.write(f"updated: {SCHEMA_DIR / name}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
