"""What the demo feed should make of the loyalty list, computed by the loyalty domain itself.

The oracle of the demo tests: it replays ``starcard demo``'s feed through ``ClientLoyalty`` in
memory, validating each record against the event contract first as the service does, so the
pipeline's list can be compared with what the domain's own rules say.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import partial

from starcard_cli.demo import DemoFeed
from starcard_events import (
    AppointmentCompleted,
    BookingCancelled,
    ClientRegistered,
    ClientUpdated,
    parse_booking_event,
)
from starcard_loyalty.domain import ClientLoyalty, CountingRules
from starcard_loyalty.domain.codes import loyalty_code
from starcard_loyalty.handlers import appointment_from


@dataclass(frozen=True)
class ExpectedClient:
    """One row of the most-loyal list as the loyalty domain computes it from the feed."""

    client_id: str
    stars: int
    sessions: int
    milestones_reached: int


def expected_loyalty(feed: DemoFeed, rules: CountingRules) -> list[ExpectedClient]:
    """The most-loyal list the feed should produce, most loyal first, computed by replaying it
    through the loyalty domain (``ClientLoyalty``) under ``rules``, in memory.

    Every record is first validated against the event contract, as the service does.
    """
    records: dict[str, ClientLoyalty] = {}
    # Codes only matter to the service; any generator will do for counting.
    new_code = partial(loyalty_code, random.Random(0).choice)

    def record_of(client_id: str) -> ClientLoyalty:
        if client_id not in records:
            records[client_id] = ClientLoyalty(tenant_id=feed.tenant_id, client_id=client_id)
        return records[client_id]

    for _, value in feed.records():
        event = parse_booking_event(value)
        match event:
            case AppointmentCompleted():
                record_of(event.data.client_id).record_appointment(
                    appointment_from(event), rules, new_code
                )
            case BookingCancelled():
                record_of(event.data.client_id).record_cancellation(
                    event.data.booking_id, event.occurred_at
                )
            case ClientRegistered() | ClientUpdated():
                record_of(event.data.client_id).update_labels(
                    any(label.is_discount for label in event.data.labels), event.occurred_at
                )
            case _:  # BookingCreated, ClientCheckedIn: nothing to count
                pass
    expected = [
        ExpectedClient(client_id, record.stars(rules), record.sessions(), len(record.reached))
        for client_id, record in records.items()
    ]
    expected.sort(key=lambda row: (-row.stars, -row.sessions, row.client_id))
    return expected
