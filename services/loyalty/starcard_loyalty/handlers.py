"""One function per upstream event type: a validated event becomes one application call.

The loyalty service owns the dead letters of every topic it reads: the booking platform's events
and the clock (which other services read too, and skip what breaks the contract), and the
campaigns' facts, which it alone reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog
from starcard_events import (
    AppointmentCompleted,
    AppointmentRefunded,
    BookingCancelled,
    BookingCreated,
    BookingTopicEvent,
    ClientCheckedIn,
    ClientRegistered,
    ClientUpdated,
    DiscountKind,
    OrderRefunded,
    PackagePurchased,
    PackageRefunded,
    ProductPurchased,
)
from starcard_events.campaign_facts import CampaignPointsGranted
from starcard_events.clock import ClockTicked
from starcard_events.topics import CAMPAIGN_FACTS, CLOCK
from starcard_kernel.refusals import UNUSABLE_CODE
from starcard_runtime.batching import UnitOfWork
from starcard_runtime.contracts import BOOKINGS, CAMPAIGN_GRANTS, CLOCK_TICKS
from starcard_runtime.inbound import accept, rejecting
from starcard_runtime.records import InboundRecord

from starcard_loyalty.domain.codes import is_loyalty_code
from starcard_loyalty.domain.counting import Appointment
from starcard_loyalty.domain.errors import PackageRefused, PointsRefused, UnknownTenant
from starcard_loyalty.domain.points import booking_source
from starcard_loyalty.packages import is_package_paid, package_use
from starcard_loyalty.points import retail_purchases, treatment_purchase
from starcard_loyalty.tiers import order_refund_lines, retail_spend, treatment_spend

if TYPE_CHECKING:
    from starcard_loyalty.application import LoyaltyService

log = structlog.get_logger(__name__)


def handle_record(service: LoyaltyService, record: InboundRecord, unit: UnitOfWork) -> None:
    """Route a record by its topic: the clock's ticks, the campaigns' facts, or the booking
    platform's events."""
    if record.topic.endswith(CLOCK):
        handle_clock_record(service, record, unit)
    elif record.topic.endswith(CAMPAIGN_FACTS):
        handle_campaign_record(service, record, unit)
    else:
        handle_booking_record(service, record, unit)


def handle_booking_record(service: LoyaltyService, record: InboundRecord, unit: UnitOfWork) -> None:
    """Read a ``booking.events.v1`` record and dispatch it; refuse what cannot be processed."""
    event = accept(record, BOOKINGS)
    with rejecting(UnknownTenant):
        dispatch(service, event, unit)


def handle_clock_record(service: LoyaltyService, record: InboundRecord, unit: UnitOfWork) -> None:
    """A ``starcard.clock.v1`` tick: the day has begun, so codes that ran out are expired.

    A tick of a tenant without a loyalty programme finds no codes: the scheduler ticks for every
    tenant, whatever programmes they run.
    """
    tick = accept(record, CLOCK_TICKS)
    when_a_day_begins_expire_the_codes_that_ran_out(service, tick, unit)
    when_a_day_begins_expire_points_and_give_notice(service, tick, unit)
    when_a_day_begins_review_tiers(service, tick, unit)
    when_a_day_begins_expire_packages_and_remind(service, tick, unit)


def handle_campaign_record(
    service: LoyaltyService, record: InboundRecord, unit: UnitOfWork
) -> None:
    """A ``starcard.campaigns.v1`` fact; refuse what cannot be processed."""
    fact = accept(record, CAMPAIGN_GRANTS)
    with rejecting(UnknownTenant):
        when_a_campaign_gives_points_grant_them(service, fact, unit)


def dispatch(service: LoyaltyService, event: BookingTopicEvent, unit: UnitOfWork) -> None:
    match event:
        case AppointmentCompleted():
            when_a_booking_carries_a_loyalty_code_redeem_it(service, event, unit)
            when_a_booking_was_paid_with_points_take_them(service, event, unit)
            when_appointment_completed_count_it(service, event, unit)
            when_appointment_completed_earn_points(service, event, unit)
            when_money_is_spent_count_it_toward_a_tier(service, event, unit)
            when_a_visit_was_paid_from_a_package_use_a_session(service, event, unit)
        case ProductPurchased():
            when_products_bought_earn_points(service, event, unit)
            when_money_is_spent_count_it_toward_a_tier(service, event, unit)
        case AppointmentRefunded():
            when_appointment_refunded_reverse_it(service, event, unit)
            when_money_is_refunded_take_it_off_the_tier_spend(service, event, unit)
            when_a_visit_is_refunded_whole_give_its_session_back(service, event, unit)
        case OrderRefunded():
            when_order_refunded_reverse_its_points(service, event, unit)
            when_money_is_refunded_take_it_off_the_tier_spend(service, event, unit)
        case BookingCancelled():
            when_booking_cancelled_stop_counting_it(service, event, unit)
        case PackagePurchased():
            when_a_package_is_bought_hold_its_sessions(service, event, unit)
        case PackageRefunded():
            when_a_package_is_refunded_close_it(service, event, unit)
        case ClientRegistered() | ClientUpdated():
            when_client_changed_note_label_discounts(service, event, unit)
        case BookingCreated():
            when_a_booking_carries_a_loyalty_code_redeem_it(service, event, unit)
            when_a_booking_was_paid_with_points_take_them(service, event, unit)
            when_a_class_is_booked_note_it(service, event, unit)
        case ClientCheckedIn():
            when_the_client_checks_in_count_the_class(service, event, unit)


def appointment_from(event: AppointmentCompleted) -> Appointment:
    """What loyalty counting needs of a completion; back-to-back parts share a visit key."""
    data = event.data
    return Appointment(
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
        kind=data.service.kind.value,
    )


def when_appointment_completed_count_it(
    service: LoyaltyService, event: AppointmentCompleted, unit: UnitOfWork
) -> None:
    service.record_appointment(unit, event.tenant_id, appointment_from(event))


def when_a_booking_was_paid_with_points_take_them(
    service: LoyaltyService, event: BookingCreated | AppointmentCompleted, unit: UnitOfWork
) -> None:
    """The platform gave a ``points`` discount without Starcard's checkout: the points it cost
    are taken once per booking (after a checkout redemption of the same booking, nothing more),
    as far as the client has them; a shortfall is logged, since the discount was already given."""
    data = event.data
    for discount in data.discounts:
        if discount.kind is not DiscountKind.POINTS or discount.amount is None:
            continue
        taken = service.take_points_for_booking(
            unit,
            event.tenant_id,
            data.client_id,
            booking_id=data.booking_id,
            discount=discount.amount,
            at=event.occurred_at,
        )
        if taken is None:
            log.warning(
                "points discount on a booking the client had no points for",
                event_id=str(event.event_id),
                tenant_id=event.tenant_id,
                booking_id=data.booking_id,
            )


def when_appointment_completed_earn_points(
    service: LoyaltyService, event: AppointmentCompleted, unit: UnitOfWork
) -> None:
    """The treatment's category picks the rate; the price the client paid is the base."""
    service.earn_points(unit, event.tenant_id, event.data.client_id, [treatment_purchase(event)])


def when_products_bought_earn_points(
    service: LoyaltyService, event: ProductPurchased, unit: UnitOfWork
) -> None:
    """Retail earns in the same account as treatments, line by line, at the retail rate."""
    service.earn_points(unit, event.tenant_id, event.data.client_id, retail_purchases(event))


def when_appointment_refunded_reverse_it(
    service: LoyaltyService, event: AppointmentRefunded, unit: UnitOfWork
) -> None:
    data = event.data
    with rejecting(PointsRefused):
        service.refund_appointment_points(
            unit,
            event.tenant_id,
            data.client_id,
            refund_id=data.refund_id,
            booking_id=data.booking_id,
            amount=data.amount,
            at=event.occurred_at,
        )


def when_order_refunded_reverse_its_points(
    service: LoyaltyService, event: OrderRefunded, unit: UnitOfWork
) -> None:
    with rejecting(PointsRefused):
        service.refund_order_points(unit, event.tenant_id, event)


def when_money_is_spent_count_it_toward_a_tier(
    service: LoyaltyService, event: AppointmentCompleted | ProductPurchased, unit: UnitOfWork
) -> None:
    """A treatment's price paid, or each retail line, counts toward the client's tier."""
    if isinstance(event, AppointmentCompleted):
        spends, currency = treatment_spend(event), event.data.price.currency
    else:
        spends, currency = retail_spend(event), event.data.lines[0].amount_paid.currency
    service.count_tier_spend(unit, event.tenant_id, event.data.client_id, currency, spends)


def when_money_is_refunded_take_it_off_the_tier_spend(
    service: LoyaltyService, event: AppointmentRefunded | OrderRefunded, unit: UnitOfWork
) -> None:
    data = event.data
    if isinstance(event, AppointmentRefunded):
        amount = event.data.amount.amount_minor if event.data.amount else None
        lines = [(booking_source(event.data.booking_id), amount)]
    else:
        lines = order_refund_lines(event)
    service.refund_tier_spend(
        unit,
        event.tenant_id,
        data.client_id,
        refund_id=data.refund_id,
        lines=lines,
        at=event.occurred_at,
    )


def when_a_booking_carries_a_loyalty_code_redeem_it(
    service: LoyaltyService, event: BookingCreated | AppointmentCompleted, unit: UnitOfWork
) -> None:
    """ "A code used in a booking event's discounts counts as a redemption too, once."

    The platform already took the discount, so a code that cannot be redeemed (unknown, another
    client's, expired, used on another booking) is not a reason to refuse the booking: it is
    logged, without the code or the client, and the booking is processed as usual. Any event of
    the client also applies the expiry of a code that ran out before it.
    """
    data = event.data
    codes = [
        discount.code
        for discount in data.discounts
        if discount.kind is DiscountKind.LOYALTY_CODE
        and discount.code is not None
        and is_loyalty_code(discount.code)
    ]
    if not codes:
        service.expire_due_rewards(unit, event.tenant_id, data.client_id, event.occurred_at)
        return
    for code in codes:
        try:
            service.redeem_code_from_booking(
                unit, event.tenant_id, data.client_id, code, data.booking_id, event.occurred_at
            )
        except UNUSABLE_CODE as exc:
            log.warning(
                "loyalty code on a booking not redeemed",
                reason=type(exc).__name__,
                event_type=event.type,
                event_id=str(event.event_id),
                tenant_id=event.tenant_id,
                booking_id=data.booking_id,
            )


def when_booking_cancelled_stop_counting_it(
    service: LoyaltyService, event: BookingCancelled, unit: UnitOfWork
) -> None:
    data = event.data
    service.record_cancellation(
        unit, event.tenant_id, data.client_id, data.booking_id, event.occurred_at
    )
    service.give_back_points_of_cancelled_booking(
        unit, event.tenant_id, data.client_id, data.booking_id, event.occurred_at
    )
    service.give_back_package_session(
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


def when_a_class_is_booked_note_it(
    service: LoyaltyService, event: BookingCreated, unit: UnitOfWork
) -> None:
    """Attendance counting (studios) counts bookings, or the check-ins that follow them."""
    data = event.data
    service.record_booking(
        unit,
        event.tenant_id,
        data.client_id,
        data.booking_id,
        kind=data.service.kind.value,
        starts_at=data.starts_at,
        at=event.occurred_at,
    )


def when_the_client_checks_in_count_the_class(
    service: LoyaltyService, event: ClientCheckedIn, unit: UnitOfWork
) -> None:
    data = event.data
    service.record_check_in(
        unit, event.tenant_id, data.client_id, data.booking_id, event.occurred_at
    )


def when_a_day_begins_expire_the_codes_that_ran_out(
    service: LoyaltyService, tick: ClockTicked, unit: UnitOfWork
) -> None:
    service.expire_due_rewards_for_tick(unit, tick.occurred_at, tenant_id=tick.tenant_id)


def when_a_day_begins_expire_points_and_give_notice(
    service: LoyaltyService, tick: ClockTicked, unit: UnitOfWork
) -> None:
    """Lots whose day has come expire, exactly once; clients whose points expire within the
    programme's notice period are told, once per expiry date."""
    service.points_tick(unit, tick.tenant_id, tick.data.date, tick.occurred_at)


def when_a_day_begins_review_tiers(
    service: LoyaltyService, tick: ClockTicked, unit: UnitOfWork
) -> None:
    """Tiers whose spend aged out drop on the tick of that day; clients whose tier drops within
    the warning period are told what would keep it, once."""
    service.tiers_tick(unit, tick.tenant_id, tick.data.date, tick.occurred_at)


def when_a_visit_was_paid_from_a_package_use_a_session(
    service: LoyaltyService, event: AppointmentCompleted, unit: UnitOfWork
) -> None:
    """One session of the matching package that expires soonest, once per booking; a visit no
    package can pay for is kept as needing attention on the dashboard."""
    if not is_package_paid(event):
        return
    purchase_id = service.use_package(
        unit, event.tenant_id, event.data.client_id, package_use(event)
    )
    if purchase_id is None:
        log.warning(
            "package-paid visit with no package to pay for it",
            event_id=str(event.event_id),
            tenant_id=event.tenant_id,
            booking_id=event.data.booking_id,
        )


def when_a_visit_is_refunded_whole_give_its_session_back(
    service: LoyaltyService, event: AppointmentRefunded, unit: UnitOfWork
) -> None:
    """A whole refund undoes the visit, and so gives its package session back; a partial one
    gives money back for a visit that took place."""
    data = event.data
    if data.amount is None:
        service.give_back_package_session(
            unit, event.tenant_id, data.client_id, data.booking_id, event.occurred_at
        )


def when_a_package_is_bought_hold_its_sessions(
    service: LoyaltyService, event: PackagePurchased, unit: UnitOfWork
) -> None:
    """A package not in the catalogue, or priced in another currency, is refused with a reason
    (the operator adds it and replays)."""
    with rejecting(PackageRefused):
        service.buy_package(unit, event)


def when_a_package_is_refunded_close_it(
    service: LoyaltyService, event: PackageRefunded, unit: UnitOfWork
) -> None:
    with rejecting(PointsRefused):
        service.refund_package(unit, event)


def when_a_day_begins_expire_packages_and_remind(
    service: LoyaltyService, tick: ClockTicked, unit: UnitOfWork
) -> None:
    """Unused sessions expire on the tick of their expiry day; clients are reminded the set
    number of days before, once per package."""
    service.packages_tick(unit, tick.tenant_id, tick.data.date, tick.occurred_at)


def when_a_campaign_gives_points_grant_them(
    service: LoyaltyService, fact: CampaignPointsGranted, unit: UnitOfWork
) -> None:
    """A birthday's or an anniversary's bonus points: the programme's bonus for other
    programmes, granted once per offer (a fact published again grants nothing more); none while
    points are off or the bonus is 0."""
    data = fact.data
    service.grant_bonus(
        unit,
        fact.tenant_id,
        data.client_id,
        grant_id=str(data.offer_id),
        rule=data.campaign,
        at=fact.occurred_at,
    )
