"""The loyalty service's composition root: ``python -m starcard_loyalty``."""

from __future__ import annotations

from starcard_events.topics import BOOKING_EVENTS
from starcard_runtime.service import run_service

from starcard_loyalty.application import LoyaltyService

SCHEMA = "loyalty"
GROUP_ID = "starcard-loyalty"


def main() -> None:
    run_service(LoyaltyService, schema=SCHEMA, topics=[BOOKING_EVENTS], group_id=GROUP_ID)
