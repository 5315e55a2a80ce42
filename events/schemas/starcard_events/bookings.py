"""Booking events: what a client booked, cancelled, completed or attended."""

from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from starcard_events.envelope import BookingId, ClientId, Envelope, ExternalId
from starcard_events.limits import (
    MAX_CODE_LENGTH,
    MAX_LABEL_LENGTH,
    MAX_NAME_LENGTH,
    MAX_REASON_LENGTH,
    MINUTES_PER_DAY,
    PLAIN_TEXT_PATTERN,
)
from starcard_events.money import Money, Percentage
from starcard_events.referrals import ReferralCode
from starcard_events.wire import WireModel


class ServiceKind(StrEnum):
    """How a service is delivered; attendance programmes choose which kinds they count."""

    APPOINTMENT = "appointment"
    GROUP_CLASS = "group_class"
    VIDEO = "video"


class DiscountKind(StrEnum):
    """Why a booking cost less than its list price; loyalty rules look at the kind."""

    BACK_TO_BACK = "back_to_back"
    ECO = "eco"
    PROMO_CODE = "promo_code"
    GIFT_CARD = "gift_card"
    MANUAL = "manual"
    LABEL = "label"
    MEMBERSHIP_CREDIT = "membership_credit"
    PACKAGE = "package"
    LOYALTY_CODE = "loyalty_code"
    REFERRAL_CREDIT = "referral_credit"
    POINTS = "points"
    TIER = "tier"
    """The client's membership tier discount (``POST /v1/checkout/tier/quote`` says how much)."""


class PaymentMethod(StrEnum):
    """How the booking is (or was) paid for."""

    CARD = "card"
    CASH = "cash"
    MEMBERSHIP_CREDIT = "membership_credit"
    PACKAGE = "package"
    GIFT_CARD = "gift_card"
    CREDIT = "credit"
    POINTS = "points"
    OTHER = "other"


CatalogueName = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_NAME_LENGTH, pattern=PLAIN_TEXT_PATTERN)
]
"""A service's or a product's name, as the platform's catalogue gives it."""

Category = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_LABEL_LENGTH, pattern=PLAIN_TEXT_PATTERN)
]
"""A catalogue category (e.g. 'injectables', 'skincare'): what points rates and bonuses name."""


class Service(WireModel):
    """The service booked, as the platform's catalogue describes it."""

    id: ExternalId = Field(description="The platform's id of the service.")
    name: CatalogueName = Field(
        description="Name shown to the client (e.g. 'Deep tissue massage, 60 min')."
    )
    category: Category | None = Field(
        default=None,
        description="The platform's category of the service (e.g. 'injectables'), if it has one.",
    )
    kind: ServiceKind = Field(description="How the service is delivered.")


class Discount(WireModel):
    """One reduction applied to a booking's list price."""

    kind: DiscountKind = Field(description="Why the price was reduced.")
    amount: Money | None = Field(
        default=None, description="The amount taken off, when known or when it is a fixed amount."
    )
    percentage: Percentage | None = Field(
        default=None, description="The percentage taken off, when the discount is a percentage."
    )
    code: (
        Annotated[
            str,
            StringConstraints(min_length=1, max_length=MAX_CODE_LENGTH, pattern=PLAIN_TEXT_PATTERN),
        ]
        | None
    ) = Field(
        default=None,
        description="The code the client entered (promo, gift card, loyalty code).",
    )

    @model_validator(mode="after")
    def _has_a_size(self) -> Self:
        if self.amount is None and self.percentage is None:
            msg = "a discount needs an amount, a percentage, or both"
            raise ValueError(msg)
        return self


class BookingDetails(WireModel):
    """A booking as the platform holds it when the event is published."""

    booking_id: BookingId = Field(
        description="The platform's id of the booking; one appointment counts once per booking."
    )
    client_id: ClientId = Field(description="The tenant's client who booked.")
    service: Service = Field(description="What was booked.")
    starts_at: AwareDatetime = Field(
        description="Start time, RFC 3339 with an offset; the offset given is kept (tenant-local)."
    )
    duration_minutes: int = Field(
        gt=0, le=MINUTES_PER_DAY, description="Booked length in whole minutes (1 to 1440)."
    )
    list_price: Money = Field(description="The full advertised price of the service.")
    price: Money = Field(
        description="The price the client is to pay after discounts; same currency as list_price."
    )
    discounts: list[Discount] = Field(
        default_factory=list,
        description="Every discount applied; empty when the client pays the full list price.",
    )
    payment_method: PaymentMethod = Field(description="How the booking is paid for.")
    back_to_back_group: ExternalId | None = Field(
        default=None,
        description=(
            "Shared by appointments booked back to back; their lengths are summed into one visit."
        ),
    )
    provider_id: ExternalId | None = Field(
        default=None,
        description="The staff member delivering the session (therapist, injector, instructor).",
    )
    referral_code: ReferralCode | None = Field(
        default=None, description="The referral code of the link the client booked through."
    )
    referral_visitor_id: ExternalId | None = Field(
        default=None,
        description=(
            "The `visitor_id` of the referral link visit this booking came from, when the "
            "platform knows it: it ties the invited visitor to the booked client."
        ),
    )

    @model_validator(mode="after")
    def _one_currency(self) -> Self:
        currency = self.list_price.currency
        if self.price.currency != currency:
            msg = (
                f"price currency {self.price.currency} differs from list_price currency {currency}"
            )
            raise ValueError(msg)
        for index, discount in enumerate(self.discounts):
            if discount.amount is not None and discount.amount.currency != currency:
                msg = (
                    f"discounts[{index}].amount currency {discount.amount.currency} "
                    f"differs from list_price currency {currency}"
                )
                raise ValueError(msg)
        return self


class CompletedAppointment(BookingDetails):
    """A booking as it was delivered, self-contained so that rules need no join with the booking.

    It repeats every field of the booking, so a completion that arrives before (or without) its
    `BookingCreated` still counts.
    """

    duration_minutes: int = Field(
        gt=0,
        le=MINUTES_PER_DAY,
        description=(
            "Actual length in whole minutes (1 to 1440), which may differ from the booked length."
        ),
    )
    price: Money = Field(
        description="The price the client actually paid; same currency as list_price."
    )


class CancelledBooking(WireModel):
    """Which booking was cancelled."""

    booking_id: BookingId = Field(description="The platform's id of the cancelled booking.")
    client_id: ClientId = Field(description="The client whose booking it was.")
    reason: (
        Annotated[str, StringConstraints(max_length=MAX_REASON_LENGTH, pattern=PLAIN_TEXT_PATTERN)]
        | None
    ) = Field(default=None, description="Why it was cancelled, if the platform knows.")


class CheckIn(WireModel):
    """A client's attendance at a class."""

    booking_id: BookingId = Field(description="The platform's id of the class booking.")
    client_id: ClientId = Field(description="The client who checked in.")
    class_id: ExternalId = Field(description="The platform's id of the class session attended.")


class BookingCreated(Envelope[BookingDetails]):
    """A client booked a service (possibly through a referral link)."""

    type: Literal["BookingCreated"] = Field(description="Always 'BookingCreated'.")


class AppointmentCompleted(Envelope[CompletedAppointment]):
    """An appointment was delivered and marked completed; the event loyalty counts."""

    type: Literal["AppointmentCompleted"] = Field(description="Always 'AppointmentCompleted'.")


class BookingCancelled(Envelope[CancelledBooking]):
    """A booking was cancelled before it took place."""

    type: Literal["BookingCancelled"] = Field(description="Always 'BookingCancelled'.")


class ClientCheckedIn(Envelope[CheckIn]):
    """A client was checked in to a class (attendance-based programmes count these)."""

    type: Literal["ClientCheckedIn"] = Field(description="Always 'ClientCheckedIn'.")


class AppointmentRefund(WireModel):
    """Money given back for a delivered appointment: all of it, or an amount."""

    refund_id: ExternalId = Field(
        description=(
            "The platform's id of this refund; a re-sent refund (same id) is applied once, two "
            "partial refunds of one booking are two ids."
        )
    )
    booking_id: BookingId = Field(description="The completed booking refunded.")
    client_id: ClientId = Field(description="The client whose booking it was.")
    amount: Money | None = Field(
        default=None,
        description=(
            "The amount given back; absent for a whole refund. Points the booking earned are "
            "reversed in proportion to the price paid."
        ),
    )


class AppointmentRefunded(Envelope[AppointmentRefund]):
    """A completed appointment was refunded, whole or in part."""

    type: Literal["AppointmentRefunded"] = Field(description="Always 'AppointmentRefunded'.")
