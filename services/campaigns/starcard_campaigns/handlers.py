"""One function per upstream event type: a validated event becomes one application call.

The campaigns service owns neither topic it reads: the loyalty service dead-letters what cannot
be read on ``booking.events.v1`` and on ``starcard.clock.v1``, so a record this service cannot
use there is skipped (and logged), and one bad record is set aside once.
"""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING

from starcard_events import AppointmentCompleted, ClientRegistered, ClientUpdated
from starcard_events.clock import ClockTicked
from starcard_events.topics import CLOCK
from starcard_runtime.batching import UnitOfWork
from starcard_runtime.contracts import BOOKINGS, CLOCK_TICKS
from starcard_runtime.inbound import accept_or_skip
from starcard_runtime.records import InboundRecord

from starcard_campaigns.domain.birthdays import MonthDay

if TYPE_CHECKING:
    from starcard_campaigns.application import CampaignsService


def handle_record(service: CampaignsService, record: InboundRecord, unit: UnitOfWork) -> None:
    """Route a record by its topic: the clock's ticks, or the booking platform's events."""
    if record.topic.endswith(CLOCK):
        handle_clock_record(service, record, unit)
    else:
        handle_booking_record(service, record, unit)


def handle_clock_record(service: CampaignsService, record: InboundRecord, unit: UnitOfWork) -> None:
    """A ``starcard.clock.v1`` tick: the tenant's day has begun."""
    tick = accept_or_skip(record, CLOCK_TICKS)
    if tick is not None:
        when_a_day_begins_send_birthday_rewards(service, tick, unit)


def handle_booking_record(
    service: CampaignsService, record: InboundRecord, unit: UnitOfWork
) -> None:
    """A ``booking.events.v1`` record: what the campaigns time themselves by, the rest ignored."""
    match accept_or_skip(record, BOOKINGS):
        case ClientRegistered() | ClientUpdated() as event:
            when_a_client_is_recorded_note_the_birthday(service, event, unit)
        case AppointmentCompleted() as event:
            when_an_appointment_is_completed_note_the_first_treatment(service, event, unit)
        case _:
            pass


def when_a_client_is_recorded_note_the_birthday(
    service: CampaignsService, event: ClientRegistered | ClientUpdated, unit: UnitOfWork
) -> None:
    """The client's record is sent whole: a birthday left out is a birthday removed."""
    data = event.data
    birthday = None if data.birthday is None else MonthDay(data.birthday.month, data.birthday.day)
    service.note_client(unit, event.tenant_id, data.client_id, birthday)


def when_an_appointment_is_completed_note_the_first_treatment(
    service: CampaignsService, event: AppointmentCompleted, unit: UnitOfWork
) -> None:
    """The day of a treatment is the day it started (UTC, as the clock's days are for now)."""
    data = event.data
    day = data.starts_at.astimezone(UTC).date()
    service.note_completion(unit, event.tenant_id, data.client_id, day)


def when_a_day_begins_send_birthday_rewards(
    service: CampaignsService, tick: ClockTicked, unit: UnitOfWork
) -> None:
    """ "Automated birthday reward delivered in the week before the client's birthday": the tick
    of each day rewards the birthdays now close enough, once per client and year."""
    service.birthdays_tick(unit, tick.tenant_id, tick.data.date, tick.occurred_at)
