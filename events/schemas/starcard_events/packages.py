"""Pre-paid treatment packages: a client bought sessions in advance, or was refunded for them.

A package is bought from the tenant's catalogue (``package_id``) or made up at the till
(``terms``): a number of sessions of given services or categories, for a price paid up front.
Each completed appointment paid from a package (payment method ``package``, or a ``package``
discount) then uses one of its sessions; Starcard keeps the balance (the medspa seed: "each
treatment redeems against the package balance automatically at checkout").
"""

from typing import Literal, Self

from pydantic import Field, model_validator

from starcard_events.bookings import CatalogueName, Category, PaymentMethod
from starcard_events.envelope import ClientId, Envelope, ExternalId
from starcard_events.limits import MAX_DAYS, MAX_PACKAGE_SESSIONS, MAX_POINTS
from starcard_events.money import Money
from starcard_events.wire import WireModel

ValidFrom = Literal["purchase", "first_use"]
"""When a package's validity starts: the day it was bought, or the day its first session is
used."""


class PackageTerms(WireModel):
    """What a package covers and how long it lasts: a catalogue package's, or an ad-hoc one's."""

    name: CatalogueName = Field(description="The package's name as the client sees it.")
    service_ids: list[ExternalId] = Field(
        default_factory=list,
        max_length=100,
        description="The services (the platform's ids) a session may be used for.",
    )
    categories: list[Category] = Field(
        default_factory=list,
        max_length=100,
        description="The service categories a session may be used for (any service in them).",
    )
    sessions: int = Field(
        ge=1, le=MAX_PACKAGE_SESSIONS, description="How many sessions the package holds."
    )
    single_session_price: Money | None = Field(
        default=None, description="The price of one session bought on its own, for comparison."
    )
    validity_days: int | None = Field(
        default=None,
        ge=1,
        le=MAX_DAYS,
        description="How many days the sessions can be used (none: they never expire).",
    )
    valid_from: ValidFrom = Field(
        default="purchase", description="Whether the validity counts from purchase or first use."
    )
    bonus_points: int | None = Field(
        default=None,
        ge=0,
        le=MAX_POINTS,
        description=(
            "Points credited on purchase when the tenant runs points (none: the points "
            "programme's package bonus)."
        ),
    )

    @model_validator(mode="after")
    def _covers_something(self) -> Self:
        if not self.service_ids and not self.categories:
            msg = "a package must cover at least one service id or category"
            raise ValueError(msg)
        return self


class PackagePurchase(WireModel):
    """A client bought a package: one of the tenant's catalogue, or an ad-hoc one."""

    purchase_id: ExternalId = Field(
        description="The platform's id of this purchase; a re-sent purchase (same id) counts once."
    )
    client_id: ClientId = Field(description="The client who bought it.")
    package_id: ExternalId | None = Field(
        default=None, description="The catalogue package bought (Settings → Packages)."
    )
    terms: PackageTerms | None = Field(
        default=None, description="An ad-hoc package's terms, instead of a catalogue package."
    )
    price_paid: Money = Field(description="What the client paid for the whole package.")
    payment_method: PaymentMethod = Field(description="How the package was paid for.")

    @model_validator(mode="after")
    def _one_package(self) -> Self:
        if (self.package_id is None) == (self.terms is None):
            msg = "give either package_id (a catalogue package) or terms (an ad-hoc one)"
            raise ValueError(msg)
        return self


class PackageRefund(WireModel):
    """A client's package was refunded: its unused sessions are closed."""

    refund_id: ExternalId = Field(
        description="The platform's id of this refund; a re-sent refund (same id) applies once."
    )
    purchase_id: ExternalId = Field(description="The package purchase refunded.")
    client_id: ClientId = Field(description="The client whose package it was.")


class PackagePurchased(Envelope[PackagePurchase]):
    """A client bought a pre-paid treatment package."""

    type: Literal["PackagePurchased"] = Field(description="Always 'PackagePurchased'.")


class PackageRefunded(Envelope[PackageRefund]):
    """A client's pre-paid package was refunded; the unused sessions' share goes back to them
    (``PackageRefundSettled`` on ``starcard.loyalty.v1`` says how much, under the tenant's
    refund policy)."""

    type: Literal["PackageRefunded"] = Field(description="Always 'PackageRefunded'.")
