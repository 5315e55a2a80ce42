"""The packages routers' models: a client's pre-paid packages (sessions used and left, expiry,
what the business still owes), the package-paid visits no package could pay for, and the
tenant's outstanding liability by package; and the client's packages as their portal shows them.

Amounts are `Money` in the currency each package was sold in.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any, Literal, Self, cast

from pydantic import BaseModel, Field
from starcard_events.day_format import format_day
from starcard_events.money import Money
from starcard_events.money_format import format_money
from starcard_projections.packages import (
    AttentionVisit,
    ClientHoldings,
    ClientPackage,
    PackageLiability,
)

from starcard_gateway.models.common import money

Status = Literal["active", "used_up", "expired", "refunded"]

STATUS_TEXT: dict[str, str] = {
    "active": "Active",
    "used_up": "Used up",
    "expired": "Expired",
    "refunded": "Refunded",
}
"""A package's status, as a person reads it."""


def _status(value: str) -> Status:
    """The read model's status as the field's type (the model checks it is one of them)."""
    return cast("Status", value)


def sessions_text(row: ClientPackage) -> str:
    """What a package holds, as the client reads it: "3 of 5 sessions left · use them before 31
    May 2026", "All 5 sessions used", "Expired on 31 May 2026 with 2 sessions unused"...

    The expiry day is the first the sessions can no longer be used: "before", never "by"."""
    plural = "session" if row.sessions == 1 else "sessions"
    match row.status:
        case "used_up":
            return f"All {row.sessions} {plural} used"
        case "expired":
            unused = "session" if row.closed == 1 else "sessions"
            on = f" on {format_day(row.expires_on)}" if row.expires_on else ""
            return f"Expired{on} with {row.closed} {unused} unused"
        case "refunded":
            refund = format_money(row.refund_minor or 0, row.currency)
            unused = "session" if row.closed == 1 else "sessions"
            return f"Refunded: {refund} for {row.closed} unused {unused}"
    text = f"{row.left} of {row.sessions} {plural} left"
    if row.expires_on is not None:
        text += f" · use them before {format_day(row.expires_on)}"
    return text


class AttentionVisitPublic(BaseModel):
    client_id: str = Field(description="The tenant's id for the client.")
    booking_id: str = Field(description="The booking paid from a package.")
    service_name: str = Field(description="The service booked.")
    on: date = Field(description="The day of the visit.")

    @classmethod
    def from_row(cls, row: AttentionVisit) -> AttentionVisitPublic:
        return cls(
            client_id=row.client_id,
            booking_id=row.booking_id,
            service_name=row.service_name,
            on=row.on,
        )


class PortalPackagePublic(BaseModel):
    """A package as its client sees it."""

    name: str = Field(description="The package's name, as it was sold.")
    sessions: int = Field(description="Sessions it holds.")
    used: int = Field(description="Sessions used (a cancelled or refunded visit gives its back).")
    left: int = Field(description="Sessions still usable (0 once used up, expired or refunded).")
    status: Status = Field(description="active, used_up, expired or refunded.")
    status_text: str = Field(description="The status, as a person reads it.", examples=["Active"])
    text: str = Field(
        description="What it holds, as a person reads it.",
        examples=["3 of 5 sessions left · use them before 31 May 2026"],
    )
    bought_on: date = Field(description="The day it was bought.")
    expires_on: date | None = Field(
        description="The day its unused sessions expire (at the start of it); null when they "
        "never do, or when the validity starts at a first use still to come."
    )

    @classmethod
    def from_row(cls, row: ClientPackage) -> Self:
        return cls(**cls._fields(row))

    @staticmethod
    def _fields(row: ClientPackage) -> dict[str, Any]:
        return {
            "name": row.name,
            "sessions": row.sessions,
            "used": row.used,
            "left": row.left,
            "status": _status(row.status),
            "status_text": STATUS_TEXT[row.status],
            "text": sessions_text(row),
            "bought_on": row.bought_on,
            "expires_on": row.expires_on,
        }


class PackagePublic(PortalPackagePublic):
    """A package as the business sees it: with the purchase, and what it is worth."""

    purchase_id: str = Field(description="The platform's id of the purchase.")
    package_id: str | None = Field(
        description="The catalogue package bought; null for an ad-hoc package."
    )
    closed: int = Field(description="Sessions that expired unused, or that a refund returned.")
    price: Money = Field(description="What the client paid for it.")
    deferred: Money = Field(
        description="The price received for the sessions left: revenue not yet delivered "
        "(0 once used up, expired or refunded)."
    )
    refund: Money | None = Field(description="What its refund gave back; null unless refunded.")

    @staticmethod
    def _fields(row: ClientPackage) -> dict[str, Any]:
        return {
            **PortalPackagePublic._fields(row),
            "purchase_id": row.purchase_id,
            "package_id": row.package_id,
            "closed": row.closed,
            "price": money(row.price_minor, row.currency),
            "deferred": money(row.deferred_minor, row.currency),
            "refund": None if row.refund_minor is None else money(row.refund_minor, row.currency),
        }


class ClientPackagesPublic(BaseModel):
    client_id: str = Field(description="The tenant's id for the client.")
    data: list[PackagePublic] = Field(description="The client's packages, newest purchase first.")
    attention: list[AttentionVisitPublic] = Field(
        description="The client's visits paid from a package that none of their packages could "
        "pay for (none covering the service, left, or valid that day), newest first: settle them "
        "by hand, or record the package they came from (a package bought by the end of the "
        "visit's day then takes it)."
    )

    @classmethod
    def from_holdings(cls, client_id: str, holdings: ClientHoldings) -> ClientPackagesPublic:
        return cls(
            client_id=client_id,
            data=[PackagePublic.from_row(row) for row in holdings.packages],
            attention=[AttentionVisitPublic.from_row(row) for row in holdings.attention],
        )


class AttentionPublic(BaseModel):
    data: list[AttentionVisitPublic] = Field(
        description="One page of the visits needing attention, newest first."
    )
    count: int = Field(description="How many visits need attention in all.")

    @classmethod
    def from_page(cls, rows: list[AttentionVisit], count: int) -> AttentionPublic:
        return cls(data=[AttentionVisitPublic.from_row(row) for row in rows], count=count)


class PackageLiabilityPublic(BaseModel):
    package_id: str | None = Field(
        description="The catalogue package; null for ad-hoc packages, grouped by name."
    )
    name: str = Field(description="Its name (a catalogue package's, as last sold).")
    packages: int = Field(description="Active packages sold under it.")
    sessions_left: int = Field(description="Their sessions still to deliver.")
    deferred: Money = Field(
        description="The price received for those sessions: revenue not yet delivered."
    )

    @classmethod
    def from_row(cls, row: PackageLiability) -> PackageLiabilityPublic:
        return cls(
            package_id=row.package_id,
            name=row.name,
            packages=row.packages,
            sessions_left=row.sessions_left,
            deferred=money(row.deferred_minor, row.currency),
        )


class LiabilityTotalPublic(BaseModel):
    packages: int = Field(description="Active packages in the currency.")
    sessions_left: int = Field(description="Their sessions still to deliver.")
    deferred: Money = Field(description="The price received for them, not yet delivered.")


class LiabilityPublic(BaseModel):
    """Over active packages only: one used up, expired or refunded owes no session."""

    data: list[PackageLiabilityPublic] = Field(
        description="By package and currency: by currency, then the largest amount first."
    )
    totals: list[LiabilityTotalPublic] = Field(
        description="One per currency, in currency order (none when nothing is owed)."
    )

    @classmethod
    def from_rows(cls, rows: list[PackageLiability]) -> LiabilityPublic:
        totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for row in rows:
            total = totals[row.currency]
            total[0] += row.packages
            total[1] += row.sessions_left
            total[2] += row.deferred_minor
        return cls(
            data=[PackageLiabilityPublic.from_row(row) for row in rows],
            totals=[
                LiabilityTotalPublic(
                    packages=packages, sessions_left=left, deferred=money(deferred, currency)
                )
                for currency, (packages, left, deferred) in sorted(totals.items())
            ],
        )


# -- the portal --------------------------------------------------------------------------------


class PortalPackagesPublic(BaseModel):
    data: list[PortalPackagePublic] = Field(
        description="The client's packages: active ones first, then the newest purchase first."
    )

    @classmethod
    def from_holdings(cls, holdings: ClientHoldings | None) -> PortalPackagesPublic:
        rows = [] if holdings is None else holdings.packages
        ordered = sorted(rows, key=lambda row: row.status != "active")  # stable: newest first
        return cls(data=[PortalPackagePublic.from_row(row) for row in ordered])
