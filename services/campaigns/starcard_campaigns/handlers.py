"""One function per upstream event type: a validated event becomes one application call.

The campaigns service owns no topic it reads: the loyalty service dead-letters what cannot be
read on ``booking.events.v1`` and on ``starcard.clock.v1``, and the notifier's relay publishes
only valid facts on ``starcard.deliveries.v1``, so a record this service cannot use there is
skipped (and logged), and one bad record is set aside once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from starcard_events import (
    AppointmentCompleted,
    AppointmentRefunded,
    BookingCancelled,
    BookingCreated,
    ClientRegistered,
    ClientUpdated,
)
from starcard_events.clock import ClockTicked
from starcard_events.delivery_facts import MessageDelivered, MessageNotDelivered
from starcard_events.topics import CLOCK, DELIVERY_FACTS
from starcard_runtime.batching import UnitOfWork
from starcard_runtime.contracts import BOOKINGS, CLOCK_TICKS, DELIVERIES
from starcard_runtime.inbound import accept_or_skip
from starcard_runtime.records import InboundRecord

from starcard_campaigns.domain.birthdays import MonthDay
from starcard_campaigns.domain.calendar import Visit
from starcard_campaigns.domain.days import DayBegun
from starcard_campaigns.publishing import KINDS

CAMPAIGN_MESSAGES = frozenset(KINDS.values())
"""The kinds of message whose outcomes the results count: the campaigns' offers."""

if TYPE_CHECKING:
    from starcard_campaigns.application import CampaignsService


def handle_record(service: CampaignsService, record: InboundRecord, unit: UnitOfWork) -> None:
    """Route a record by its topic: the clock's ticks, the notifier's delivery facts, or the
    booking platform's events."""
    if record.topic.endswith(CLOCK):
        handle_clock_record(service, record, unit)
    elif record.topic.endswith(DELIVERY_FACTS):
        handle_delivery_record(service, record, unit)
    else:
        handle_booking_record(service, record, unit)


def handle_clock_record(service: CampaignsService, record: InboundRecord, unit: UnitOfWork) -> None:
    """A ``starcard.clock.v1`` tick: the tenant's day has begun."""
    tick = accept_or_skip(record, CLOCK_TICKS)
    if tick is not None:
        when_a_day_begins_make_the_offers_due(service, tick, unit)


def handle_delivery_record(
    service: CampaignsService, record: InboundRecord, unit: UnitOfWork
) -> None:
    """A ``starcard.deliveries.v1`` fact: what became of a message on one channel. Only the
    campaigns' messages are measured; the others (a loyalty reward, a referral) are no concern
    of theirs."""
    match accept_or_skip(record, DELIVERIES):
        case MessageDelivered(tenant_id=tenant_id, data=delivery) if (
            delivery.kind in CAMPAIGN_MESSAGES
        ):
            service.message_outcomes(unit, tenant_id, delivery.notification_id).record_delivered(
                delivery.channel, delivery.delivered_at
            )
        case MessageNotDelivered(tenant_id=tenant_id, data=non_delivery) if (
            non_delivery.kind in CAMPAIGN_MESSAGES
        ):
            service.message_outcomes(
                unit, tenant_id, non_delivery.notification_id
            ).record_not_delivered(non_delivery.channel, non_delivery.reason)
        case _:
            pass


def handle_booking_record(
    service: CampaignsService, record: InboundRecord, unit: UnitOfWork
) -> None:
    """A ``booking.events.v1`` record: what the campaigns time and measure themselves by."""
    match accept_or_skip(record, BOOKINGS):
        case ClientRegistered() | ClientUpdated() as event:
            when_a_client_is_recorded_note_the_birthday(service, event, unit)
        case BookingCreated() as event:
            booking = event.data
            service.calendar(unit, event.tenant_id, booking.client_id).note_booking(
                booking.booking_id, made_at=event.occurred_at, starts_at=booking.starts_at
            )
        case BookingCancelled() as event:
            cancelled = event.data
            service.calendar(unit, event.tenant_id, cancelled.client_id).note_cancellation(
                cancelled.booking_id
            )
        case AppointmentCompleted() as event:
            when_an_appointment_is_completed_note_the_visit(service, event, unit)
        case AppointmentRefunded() as event:
            refund = event.data
            service.calendar(unit, event.tenant_id, refund.client_id).note_refund(
                refund.refund_id,
                refund.booking_id,
                None if refund.amount is None else refund.amount.amount_minor,
            )
        case _:
            pass


def when_a_client_is_recorded_note_the_birthday(
    service: CampaignsService, event: ClientRegistered | ClientUpdated, unit: UnitOfWork
) -> None:
    """The client's record is sent whole: a birthday left out is a birthday removed."""
    data = event.data
    birthday = None if data.birthday is None else MonthDay(data.birthday.month, data.birthday.day)
    service.note_client(unit, event.tenant_id, data.client_id, birthday)


def when_an_appointment_is_completed_note_the_visit(
    service: CampaignsService, event: AppointmentCompleted, unit: UnitOfWork
) -> None:
    """A visit is at the moment its appointment started, in the category of its treatment, for
    what the client paid."""
    data = event.data
    visit = Visit(
        booking_id=data.booking_id,
        at=data.starts_at,
        category=data.service.category,
        paid_minor=data.price.amount_minor,
        currency=data.price.currency,
    )
    service.calendar(unit, event.tenant_id, data.client_id).note_visit(visit)


def when_a_day_begins_make_the_offers_due(
    service: CampaignsService, tick: ClockTicked, unit: UnitOfWork
) -> None:
    """The tick of the tenant's day, in its time zone: the birthdays, anniversaries and lapses
    now due get their offers, once per occasion."""
    service.day_begins(
        unit,
        DayBegun(
            tenant_id=tick.tenant_id,
            day=tick.data.date,
            at=tick.occurred_at,
            zone=ZoneInfo(tick.data.time_zone),
            daytime_from=tick.data.daytime_from,
        ),
    )
