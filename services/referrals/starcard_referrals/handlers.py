"""One function per upstream event type: a validated event becomes one application call.

The referrals service reads two topics. It owns ``referral.visits.v1``: a record there that is not
a valid visit, or names a tenant or link that does not exist, is dead-lettered. It shares
``booking.events.v1`` with the loyalty service, which owns that topic's dead letters: a record
this service cannot use there is skipped (and logged), so one bad record is set aside once.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

import structlog
from starcard_events import (
    AppointmentCompleted,
    BookingCreated,
    BookingTopicEvent,
    DiscountKind,
    LinkVisited,
)
from starcard_events.bookings import BookingDetails, Discount
from starcard_events.topics import REFERRAL_VISITS
from starcard_kernel.refusals import UNUSABLE_CODE
from starcard_runtime.batching import UnitOfWork
from starcard_runtime.contracts import BOOKINGS, LINK_VISITS
from starcard_runtime.inbound import accept, accept_or_skip, rejecting
from starcard_runtime.records import InboundRecord

from starcard_referrals.domain.errors import UnknownReferralCode, UnknownTenant
from starcard_referrals.domain.welcome import is_welcome_code

if TYPE_CHECKING:
    from starcard_referrals.application import ReferralsService

log = structlog.get_logger(__name__)


def handle_record(service: ReferralsService, record: InboundRecord, unit: UnitOfWork) -> None:
    if record.topic.endswith(REFERRAL_VISITS):
        handle_visit_record(service, record, unit)
    else:
        handle_booking_record(service, record, unit)


def handle_visit_record(service: ReferralsService, record: InboundRecord, unit: UnitOfWork) -> None:
    """Read a ``referral.visits.v1`` record and record the visit; refuse what cannot be."""
    event = accept(record, LINK_VISITS)
    with rejecting(UnknownTenant, UnknownReferralCode):
        when_a_link_is_followed_invite(service, event, unit)


def handle_booking_record(
    service: ReferralsService, record: InboundRecord, unit: UnitOfWork
) -> None:
    """Use a ``booking.events.v1`` record; one the loyalty service dead-letters is skipped."""
    event = accept_or_skip(record, BOOKINGS)
    if event is None:
        return
    try:
        dispatch(service, event, unit)
    except UnknownTenant:
        log.debug("booking record skipped", offset=record.offset, reason="unknown tenant")


def dispatch(service: ReferralsService, event: BookingTopicEvent, unit: UnitOfWork) -> None:
    match event:
        case BookingCreated():
            when_a_client_books_track_the_referral(service, event, unit)
            when_a_booking_uses_credit_or_a_welcome_code_redeem_it(service, event, unit)
        case AppointmentCompleted():
            when_an_appointment_is_completed_track_the_referral(service, event, unit)
            when_a_booking_uses_credit_or_a_welcome_code_redeem_it(service, event, unit)
        case _:
            pass


def when_a_link_is_followed_invite(
    service: ReferralsService, event: LinkVisited, unit: UnitOfWork
) -> None:
    data = event.data
    service.record_visit(
        unit, event.tenant_id, data.referral_code, data.visitor_id, event.occurred_at
    )


def when_a_client_books_track_the_referral(
    service: ReferralsService, event: BookingCreated, unit: UnitOfWork
) -> None:
    data = event.data
    service.record_booking(
        unit,
        event.tenant_id,
        data.client_id,
        data.booking_id,
        event.occurred_at,
        code=data.referral_code,
        visitor_id=data.referral_visitor_id,
        back_to_back_group=data.back_to_back_group,
    )


def when_an_appointment_is_completed_track_the_referral(
    service: ReferralsService, event: AppointmentCompleted, unit: UnitOfWork
) -> None:
    """ "That client's first paid appointment completed": paid means they paid something."""
    data = event.data
    service.record_completion(
        unit,
        event.tenant_id,
        data.client_id,
        data.booking_id,
        event.occurred_at,
        paid=data.price.amount_minor > 0,
        code=data.referral_code,
        visitor_id=data.referral_visitor_id,
        back_to_back_group=data.back_to_back_group,
    )


def when_a_booking_uses_credit_or_a_welcome_code_redeem_it(
    service: ReferralsService, event: BookingCreated | AppointmentCompleted, unit: UnitOfWork
) -> None:
    """The platform took a referral credit or a welcome code off the booking: use it, once per
    booking (a checkout through the gateway for the same booking already did)."""
    data: BookingDetails = event.data
    for discount in data.discounts:
        if discount.kind is DiscountKind.REFERRAL_CREDIT:
            reported = reported_minor(discount, data.list_price.amount_minor)
            service.apply_credit_from_booking(
                unit,
                event.tenant_id,
                data.client_id,
                data.booking_id,
                event.occurred_at,
                price_minor=data.list_price.amount_minor,
                currency=data.list_price.currency,
                reported_minor=reported,
            )
        elif discount.code is not None and is_welcome_code(discount.code):
            try:
                service.redeem_welcome_from_booking(
                    unit,
                    event.tenant_id,
                    data.client_id,
                    code=discount.code,
                    booking_id=data.booking_id,
                    at=event.occurred_at,
                )
            except UNUSABLE_CODE as exc:
                log.warning(
                    "welcome code on a booking not redeemed",
                    reason=type(exc).__name__,
                    tenant_id=event.tenant_id,
                    booking_id=data.booking_id,
                )


def reported_minor(discount: Discount, list_price_minor: int) -> int:
    """What a `referral_credit` discount says was taken off: its amount, or its percentage of
    the list price rounded half up to the minor unit (percentages may have decimals: 12.5)."""
    if discount.amount is not None:
        return discount.amount.amount_minor
    percentage = discount.percentage or Decimal(0)
    off = (Decimal(list_price_minor) * percentage / 100).quantize(Decimal(1), ROUND_HALF_UP)
    return min(list_price_minor, int(off))
