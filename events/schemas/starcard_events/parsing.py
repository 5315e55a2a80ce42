"""Turning a Kafka record's value into an event, or into a reason an operator can act on.

This runs on every record, so the adapters are built once and validate straight from bytes; the
work of explaining a failure is done only when there is one.
"""

from typing import Annotated, Final, TypeAlias, TypeVar

from pydantic import Field, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from starcard_events.bookings import (
    AppointmentCompleted,
    AppointmentRefunded,
    BookingCancelled,
    BookingCreated,
    ClientCheckedIn,
)
from starcard_events.clients import ClientRegistered, ClientUpdated
from starcard_events.delivery_facts import DeliveryFact
from starcard_events.orders import OrderRefunded, ProductPurchased
from starcard_events.packages import PackagePurchased, PackageRefunded
from starcard_events.referrals import LinkVisited

BookingTopicEvent: TypeAlias = Annotated[
    ClientRegistered
    | ClientUpdated
    | BookingCreated
    | BookingCancelled
    | AppointmentCompleted
    | ClientCheckedIn
    | AppointmentRefunded
    | ProductPurchased
    | OrderRefunded
    | PackagePurchased
    | PackageRefunded,
    Field(discriminator="type"),
]
"""Any event on `booking.events.v1`, told apart by its `type`."""

ReferralTopicEvent: TypeAlias = Annotated[LinkVisited, Field(discriminator="type")]
"""Any event on `referral.visits.v1`. A union of one today: add new types with `|`."""

MAX_REASON_LENGTH: Final = 500

EventT = TypeVar("EventT")

_BOOKING_TOPIC: Final = TypeAdapter[BookingTopicEvent](BookingTopicEvent)
_REFERRAL_TOPIC: Final = TypeAdapter[ReferralTopicEvent](ReferralTopicEvent)
_DELIVERY_FACTS: Final = TypeAdapter[DeliveryFact](DeliveryFact)


class InvalidEvent(ValueError):
    """A record that is not a valid event; `reason` says what to fix, for the dead-letter queue."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_booking_event(raw: bytes | None) -> BookingTopicEvent:
    """Validate the value of a `booking.events.v1` record; raise `InvalidEvent` if not one."""
    return _parse(_BOOKING_TOPIC, raw)


def parse_referral_visit(raw: bytes | None) -> ReferralTopicEvent:
    """Validate the value of a `referral.visits.v1` record; raise `InvalidEvent` if not one."""
    return _parse(_REFERRAL_TOPIC, raw)


def parse_delivery_fact(raw: bytes | None) -> DeliveryFact:
    """Validate the value of a `starcard.deliveries.v1` record; raise `InvalidEvent` if not one."""
    return _parse(_DELIVERY_FACTS, raw)


def _parse(adapter: TypeAdapter[EventT], raw: bytes | None) -> EventT:
    if not raw:
        raise InvalidEvent("empty record")
    try:
        return adapter.validate_json(raw)
    except ValidationError as error:
        reason = _reason(error.errors(include_url=False))
        if len(reason) > MAX_REASON_LENGTH:
            reason = reason[: MAX_REASON_LENGTH - 1] + "…"
        raise InvalidEvent(reason) from None


def _reason(errors: list[ErrorDetails]) -> str:
    """One line for the operator: the first problem that explains all the others, else them all.

    Every adapter is a discriminated union, so an error inside an event is located under its type
    (`("AppointmentCompleted", "data", "price")`); the type is dropped from the location.
    """
    for error in errors:
        kind, loc = error["type"], error["loc"]
        if kind == "json_invalid":
            return f"malformed JSON: {error.get('ctx', {}).get('error', error['msg'])}"
        if kind == "union_tag_invalid":
            return f"unknown event type {error.get('ctx', {}).get('tag')!r}"
        if kind == "union_tag_not_found":
            return "type: Field required"
        if kind == "literal_error" and loc[1:] == ("schema_version",):
            return f"unsupported schema_version {error['input']!r} for {loc[0]}"
    return "; ".join(f"{_location(error['loc'][1:])}: {error['msg']}" for error in errors)


def _location(loc: tuple[int | str, ...]) -> str:
    """`("data", "discounts", 0, "kind")` -> `data.discounts[0].kind`."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.removeprefix(".") or "event"
