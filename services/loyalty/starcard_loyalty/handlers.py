"""One function per upstream event type: a validated event becomes one application call."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starcard_events import (
    AppointmentCompleted,
    BookingCancelled,
    BookingCreated,
    BookingTopicEvent,
    ClientCheckedIn,
    ClientRegistered,
    ClientUpdated,
    InvalidEvent,
    booking_key,
    parse_booking_event,
)
from starcard_runtime.batching import UnitOfWork
from starcard_runtime.records import InboundRecord, RecordRejected

from starcard_loyalty.domain.counting import Appointment

if TYPE_CHECKING:
    from starcard_loyalty.application import LoyaltyService


def handle_booking_record(service: LoyaltyService, record: InboundRecord, unit: UnitOfWork) -> None:
    """Validate a ``booking.events.v1`` record and dispatch it; refuse what cannot be processed."""
    from starcard_loyalty.application import UnknownTenant  # noqa: PLC0415

    try:
        event = parse_booking_event(record.value)
    except InvalidEvent as exc:
        raise RecordRejected(exc.reason) from exc
    expected_key = booking_key(event.tenant_id, event.data.client_id)
    if record.key != expected_key:
        msg = f"record key must be '{expected_key.decode()}' (tenant_id:client_id)"
        raise RecordRejected(msg)
    try:
        dispatch(service, event, unit)
    except UnknownTenant as exc:
        raise RecordRejected(str(exc)) from exc


def dispatch(service: LoyaltyService, event: BookingTopicEvent, unit: UnitOfWork) -> None:
    match event:
        case AppointmentCompleted():
            when_appointment_completed_count_it(service, event, unit)
        case BookingCancelled():
            when_booking_cancelled_stop_counting_it(service, event, unit)
        case ClientRegistered() | ClientUpdated():
            when_client_changed_note_label_discounts(service, event, unit)
        case BookingCreated() | ClientCheckedIn():
            service.check_tenant(unit, event.tenant_id)


def when_appointment_completed_count_it(
    service: LoyaltyService, event: AppointmentCompleted, unit: UnitOfWork
) -> None:
    data = event.data
    appointment = Appointment(
        booking_id=data.booking_id,
        client_id=data.client_id,
        visit_key=f"b2b:{data.back_to_back_group}" if data.back_to_back_group else data.booking_id,
        minutes=data.duration_minutes,
        list_price_minor=data.list_price.amount_minor,
        price_minor=data.price.amount_minor,
        currency=data.price.currency,
        discount_kinds=frozenset(discount.kind.value for discount in data.discounts),
        payment_method=data.payment_method.value,
        occurred_at=event.occurred_at,
        provider_id=data.provider_id,
    )
    service.record_appointment(unit, event.tenant_id, appointment)


def when_booking_cancelled_stop_counting_it(
    service: LoyaltyService, event: BookingCancelled, unit: UnitOfWork
) -> None:
    data = event.data
    service.record_cancellation(
        unit, event.tenant_id, data.client_id, data.booking_id, event.occurred_at
    )


def when_client_changed_note_label_discounts(
    service: LoyaltyService, event: ClientRegistered | ClientUpdated, unit: UnitOfWork
) -> None:
    """A label with a percentage or amount off means none of the client's bookings is full price."""
    data = event.data
    has_label_discount = any(
        label.percentage is not None or label.amount is not None for label in data.labels
    )
    service.record_labels(
        unit,
        event.tenant_id,
        data.client_id,
        has_label_discount=has_label_discount,
        at=event.occurred_at,
    )
