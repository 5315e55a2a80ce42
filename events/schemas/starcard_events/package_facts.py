"""Package facts Starcard publishes for booking platforms (`starcard.loyalty.v1`), keyed by client.

Every change of a client's package balance is one fact carrying the balance after it, so a till
can show "3 of 5 sessions left" without asking. A completion or a package reported late can move
a session to another package; the session is then restored on one and used on the other, and a
refund or expiry whose figures change is published again with ``corrected`` set. Each carries the
``event_id`` of the holdings event it comes from: consumers dedupe by it.
"""

import datetime as dt
from typing import Literal

from pydantic import Field

from starcard_events.bookings import CatalogueName
from starcard_events.envelope import BookingId, ClientId, Envelope, ExternalId
from starcard_events.limits import MAX_PACKAGE_SESSIONS
from starcard_events.money import Money
from starcard_events.wire import WireModel

PackageStatus = Literal["active", "used_up", "expired", "refunded"]
"""Where a package stands: sessions left to use; all used; the rest expired; refunded."""


class PackageBalance(WireModel):
    """A client's package after a change."""

    client_id: ClientId = Field(description="The client.")
    purchase_id: ExternalId = Field(description="The platform's id of the package purchase.")
    name: CatalogueName = Field(description="The package's name.")
    sessions: int = Field(ge=1, le=MAX_PACKAGE_SESSIONS, description="Sessions it was sold with.")
    sessions_used: int = Field(ge=0, le=MAX_PACKAGE_SESSIONS, description="Sessions used so far.")
    sessions_left: int = Field(ge=0, le=MAX_PACKAGE_SESSIONS, description="Sessions still usable.")
    status: PackageStatus = Field(description="Where the package stands.")
    expires_on: dt.date | None = Field(
        default=None,
        description="The day unused sessions expire (none: never, or not used yet when the "
        "validity counts from first use).",
    )
    booking_id: BookingId | None = Field(
        default=None, description="The booking that used or gave back a session, if any."
    )
    sessions_closed: int = Field(
        default=0,
        ge=0,
        le=MAX_PACKAGE_SESSIONS,
        description="Sessions that expired unused, or were returned by the refund.",
    )
    refund: Money | None = Field(
        default=None, description="The share of the price owed back to the client on a refund."
    )
    corrected: bool = Field(
        default=False,
        description="A fact reported late changed figures published before for this package.",
    )


class PackageActivated(Envelope[PackageBalance]):
    """A package bought (``PackagePurchased`` on ``booking.events.v1``) is on the client's
    account: its sessions can be used."""

    type: Literal["PackageActivated"] = Field(description="Always 'PackageActivated'.")


class PackageSessionUsed(Envelope[PackageBalance]):
    """A completed appointment paid from a package used one of its sessions."""

    type: Literal["PackageSessionUsed"] = Field(description="Always 'PackageSessionUsed'.")


class PackageSessionRestored(Envelope[PackageBalance]):
    """A session went back on a package: its booking was cancelled or refunded, or moved to
    another package by a fact reported late."""

    type: Literal["PackageSessionRestored"] = Field(description="Always 'PackageSessionRestored'.")


class PackageExpired(Envelope[PackageBalance]):
    """The package's validity ended with sessions unused (``sessions_closed``)."""

    type: Literal["PackageExpired"] = Field(description="Always 'PackageExpired'.")


class PackageRefundSettled(Envelope[PackageBalance]):
    """A package was refunded: ``sessions_closed`` unused sessions, ``refund`` owed back under
    the tenant's refund policy."""

    type: Literal["PackageRefundSettled"] = Field(description="Always 'PackageRefundSettled'.")


PackageFact = (
    PackageActivated
    | PackageSessionUsed
    | PackageSessionRestored
    | PackageExpired
    | PackageRefundSettled
)
