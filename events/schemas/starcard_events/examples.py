"""Builders of well-formed upstream events, as a booking platform would publish them.

Used by the demo feed, the benchmarks and the tests; also a worked example for integrators.
Each builder returns the record's JSON-ready dict; :func:`encode` turns it into bytes.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

SCHEMA_VERSION = 1


def _envelope(
    kind: str, tenant_id: str, occurred_at: datetime, data: dict[str, Any]
) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "type": kind,
        "schema_version": SCHEMA_VERSION,
        "occurred_at": occurred_at.astimezone(UTC).isoformat(),
        "tenant_id": tenant_id,
        "data": data,
    }


def money(amount_minor: int, currency: str = "GBP") -> dict[str, Any]:
    return {"amount_minor": amount_minor, "currency": currency}


def booking_details(
    *,
    booking_id: str,
    client_id: str,
    starts_at: datetime,
    minutes: int = 60,
    list_price_minor: int = 6000,
    price_minor: int | None = None,
    currency: str = "GBP",
    discounts: list[dict[str, Any]] | None = None,
    payment_method: str = "card",
    back_to_back_group: str | None = None,
    provider_id: str | None = "therapist-1",
    referral_code: str | None = None,
    referral_visitor_id: str | None = None,
    service_kind: str = "appointment",
    service_name: str = "Deep tissue massage",
    category: str | None = "massage",
) -> dict[str, Any]:
    """The ``data`` of a booking or completion; the price is the list price unless given."""
    return {
        "booking_id": booking_id,
        "client_id": client_id,
        "service": {
            "id": f"svc-{service_name.lower().replace(' ', '-')}-{minutes}",
            "name": service_name,
            "category": category,
            "kind": service_kind,
        },
        "starts_at": starts_at.astimezone(UTC).isoformat(),
        "duration_minutes": minutes,
        "list_price": money(list_price_minor, currency),
        "price": money(list_price_minor if price_minor is None else price_minor, currency),
        "discounts": discounts or [],
        "payment_method": payment_method,
        "back_to_back_group": back_to_back_group,
        "provider_id": provider_id,
        "referral_code": referral_code,
        "referral_visitor_id": referral_visitor_id,
    }


def discount(kind: str, amount_minor: int, currency: str = "GBP") -> dict[str, Any]:
    return {"kind": kind, "amount": money(amount_minor, currency)}


def appointment_completed(tenant_id: str, occurred_at: datetime, **details: Any) -> dict[str, Any]:
    """An ``AppointmentCompleted``; ``details`` are :func:`booking_details`' arguments."""
    details.setdefault("starts_at", occurred_at)
    return _envelope("AppointmentCompleted", tenant_id, occurred_at, booking_details(**details))


def booking_created(tenant_id: str, occurred_at: datetime, **details: Any) -> dict[str, Any]:
    details.setdefault("starts_at", occurred_at)
    return _envelope("BookingCreated", tenant_id, occurred_at, booking_details(**details))


def booking_cancelled(
    tenant_id: str, occurred_at: datetime, *, booking_id: str, client_id: str
) -> dict[str, Any]:
    data = {"booking_id": booking_id, "client_id": client_id, "reason": None}
    return _envelope("BookingCancelled", tenant_id, occurred_at, data)


def client_registered(
    tenant_id: str,
    occurred_at: datetime,
    *,
    client_id: str,
    email: str | None = None,
    first_name: str | None = None,
    labels: list[dict[str, Any]] | None = None,
    birthday: dict[str, int] | None = None,
    phone: str | None = None,
    sms_consent: bool = False,
    updated: bool = False,
) -> dict[str, Any]:
    """A ``ClientRegistered`` (or ``ClientUpdated`` with ``updated=True``): the full record.

    ``birthday`` is ``{"month": m, "day": d}`` or None.
    """
    data = {
        "client_id": client_id,
        "email": email,
        "phone": phone,
        "sms_consent": sms_consent,
        "first_name": first_name,
        "last_name": None,
        "birthday": birthday,
        "labels": labels or [],
    }
    kind = "ClientUpdated" if updated else "ClientRegistered"
    return _envelope(kind, tenant_id, occurred_at, data)


def link_visited(
    tenant_id: str,
    occurred_at: datetime,
    *,
    referral_code: str,
    visitor_id: str,
    landing: str = "/book",
) -> dict[str, Any]:
    """A ``LinkVisited``: someone followed a client's referral link to the booking page."""
    data = {"referral_code": referral_code, "visitor_id": visitor_id, "landing": landing}
    return _envelope("LinkVisited", tenant_id, occurred_at, data)


def appointment_refunded(
    tenant_id: str,
    occurred_at: datetime,
    *,
    refund_id: str,
    booking_id: str,
    client_id: str,
    amount_minor: int | None = None,
    currency: str = "GBP",
) -> dict[str, Any]:
    """An ``AppointmentRefunded``: the whole booking, or ``amount_minor`` of it."""
    data = {
        "refund_id": refund_id,
        "booking_id": booking_id,
        "client_id": client_id,
        "amount": None if amount_minor is None else money(amount_minor, currency),
    }
    return _envelope("AppointmentRefunded", tenant_id, occurred_at, data)


def order_line(
    sku: str,
    amount_minor: int,
    *,
    name: str = "Hydrating serum",
    category: str | None = "skincare",
    quantity: int = 1,
    currency: str = "GBP",
) -> dict[str, Any]:
    return {
        "sku": sku,
        "name": name,
        "category": category,
        "quantity": quantity,
        "amount_paid": money(amount_minor, currency),
    }


def product_purchased(
    tenant_id: str,
    occurred_at: datetime,
    *,
    order_id: str,
    client_id: str,
    lines: list[dict[str, Any]],
    channel: str = "clinic",
    payment_method: str = "card",
) -> dict[str, Any]:
    """A ``ProductPurchased``; ``lines`` are :func:`order_line` dicts."""
    data = {
        "order_id": order_id,
        "client_id": client_id,
        "channel": channel,
        "lines": lines,
        "payment_method": payment_method,
    }
    return _envelope("ProductPurchased", tenant_id, occurred_at, data)


def order_refunded(
    tenant_id: str,
    occurred_at: datetime,
    *,
    refund_id: str,
    order_id: str,
    client_id: str,
    lines: dict[str, int | None] | None = None,
    currency: str = "GBP",
) -> dict[str, Any]:
    """An ``OrderRefunded``: the whole order, or ``lines`` sku → amount given back (None: all)."""
    data = {
        "refund_id": refund_id,
        "order_id": order_id,
        "client_id": client_id,
        "lines": None
        if lines is None
        else [
            {"sku": sku, "amount": None if amount is None else money(amount, currency)}
            for sku, amount in lines.items()
        ],
    }
    return _envelope("OrderRefunded", tenant_id, occurred_at, data)


def package_terms(
    name: str = "Facial x3",
    *,
    sessions: int = 3,
    service_ids: list[str] | None = None,
    categories: list[str] | None = None,
    single_session_minor: int | None = None,
    validity_days: int | None = None,
    valid_from: str = "purchase",
    bonus_points: int | None = None,
    currency: str = "GBP",
) -> dict[str, Any]:
    """An ad-hoc package's terms (``PackagePurchased.data.terms``)."""
    return {
        "name": name,
        "service_ids": service_ids or [],
        "categories": categories if categories is not None or service_ids else ["facials"],
        "sessions": sessions,
        "single_session_price": None
        if single_session_minor is None
        else money(single_session_minor, currency),
        "validity_days": validity_days,
        "valid_from": valid_from,
        "bonus_points": bonus_points,
    }


def package_purchased(
    tenant_id: str,
    occurred_at: datetime,
    *,
    purchase_id: str,
    client_id: str,
    price_minor: int,
    package_id: str | None = None,
    terms: dict[str, Any] | None = None,
    payment_method: str = "card",
    currency: str = "GBP",
) -> dict[str, Any]:
    """A ``PackagePurchased``: a catalogue package (`package_id`) or ad-hoc `terms`."""
    data = {
        "purchase_id": purchase_id,
        "client_id": client_id,
        "package_id": package_id,
        "terms": terms,
        "price_paid": money(price_minor, currency),
        "payment_method": payment_method,
    }
    return _envelope("PackagePurchased", tenant_id, occurred_at, data)


def package_refunded(
    tenant_id: str, occurred_at: datetime, *, refund_id: str, purchase_id: str, client_id: str
) -> dict[str, Any]:
    """A ``PackageRefunded``: the purchase's unused sessions close."""
    data = {"refund_id": refund_id, "purchase_id": purchase_id, "client_id": client_id}
    return _envelope("PackageRefunded", tenant_id, occurred_at, data)


def encode(event: dict[str, Any]) -> bytes:
    return json.dumps(event, separators=(",", ":")).encode()
