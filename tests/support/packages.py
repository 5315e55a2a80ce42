"""Pre-paid packages in tests: a clinic's catalogue package, the visits a platform reports as
paid from a package, and the clock tick that expires packages, waited for until the loyalty
service has processed it.

Purchases and refunds are built with ``starcard_events.examples`` (``package_purchased``,
``package_terms``, ``package_refunded``) as any other upstream event.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

from starcard_events import examples
from starcard_loyalty.application import LoyaltyService
from starcard_loyalty.domain.package_settings import Package, PackageTerms

from tests.support.stack import LoyaltyStack, processed, publish_tick

FACIAL_COURSE = Package(
    package_id="facial-5",
    terms=PackageTerms(
        name="Facial course of 5",
        sessions=5,
        categories=("facials",),
        single_session_minor=10_000,
        validity_days=90,
    ),
    price_minor=40_000,
)
"""Five facials for £400.00 (£100.00 each on their own), valid 90 days from purchase."""


def sell_from(service: LoyaltyService, tenant_id: str, at: datetime, *catalogue: Package) -> None:
    """The tenant's catalogue, in force from `at` (the programme must be open)."""
    service.change_package_settings(tenant_id, lambda now: replace(now, catalogue=catalogue), at)


def package_visit(
    tenant_id: str,
    at: datetime,
    *,
    client_id: str,
    booking_id: str,
    service_name: str = "Signature facial",
    category: str | None = "facials",
    **details: Any,
) -> dict[str, Any]:
    """A completed appointment the platform says was paid from a package."""
    return examples.appointment_completed(
        tenant_id,
        at,
        client_id=client_id,
        booking_id=booking_id,
        service_name=service_name,
        category=category,
        payment_method="package",
        **details,
    )


async def tick(stack: LoyaltyStack, tenant_id: str, day: date) -> None:
    """Publish the clock tick of the tenant's `day` and wait until the loyalty service has
    processed it (its tracking position on the clock partition reached the record)."""
    await processed(
        stack.commands, await publish_tick(stack.producer, stack.settings, tenant_id, day)
    )
