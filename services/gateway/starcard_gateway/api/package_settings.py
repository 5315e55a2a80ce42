"""The tenant's package settings, under ``/v1/settings/packages``: the catalogue the till sells
(each package's cover, sessions, price, validity and bonus points), the refund policy and the
expiry reminder.

Changes run through the loyalty service on the settings as stored when the change is saved, and
apply from that moment: a package bought keeps the terms it was sold on. The service refuses
settings that would not hold together with every problem named (422), and a replacement made
against a version of the settings someone has changed since (422, saying to reload). One
package can be added, replaced or removed on its own, leaving the rest as they are then.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import HTTPException, Path, status
from starcard_events.envelope import EXTERNAL_ID_PATTERN
from starcard_loyalty.api import LoyaltyService, PackageSettings

from starcard_gateway.api.tiers import NO_PROGRAMME
from starcard_gateway.deps import LoyaltyDep, TenantDep, tenant_router
from starcard_gateway.errors import refusal
from starcard_gateway.models.package_settings import (
    PackageFields,
    PackageSettingsPublic,
    PackageSettingsReplacement,
    with_package,
    without_package,
)

NO_PACKAGE = refusal(
    404, "The tenant has no loyalty programme open, or no package of this id in its catalogue."
)
_WONT_HOLD = (
    "A field out of bounds, or settings that would not hold together (a package covering no "
    "service or category, a package costing more than its sessions bought singly, two "
    "packages with one id or on sale with one name, a new currency for a catalogue of priced "
    "packages...)"
)
INVALID_SETTINGS = refusal(
    422,
    f"{_WONT_HOLD}, or a version the settings have moved on from: the detail names every problem.",
)
INVALID_PACKAGE = refusal(422, f"{_WONT_HOLD}: the detail names every problem.")

PackageIdPath = Annotated[
    str,
    Path(
        pattern=EXTERNAL_ID_PATTERN,
        description="The package's own id in the catalogue.",
    ),
]

router = tenant_router("/v1/settings", "packages")


def package_settings(loyalty: LoyaltyService, tenant_id: str) -> PackageSettingsPublic:
    """The settings in force now with their version, read together."""
    programme = loyalty.programme(tenant_id)
    return PackageSettingsPublic.from_settings(
        programme.packages, programme.package_versions.version
    )


@router.get(
    "/packages",
    summary="The package catalogue, the refund policy and the expiry reminder, with their version",
    responses=NO_PROGRAMME,
)
def read_package_settings(tenant_id: TenantDep, loyalty: LoyaltyDep) -> PackageSettingsPublic:
    return package_settings(loyalty, tenant_id)


@router.put(
    "/packages",
    summary="Replace the package settings; they apply from now, packages bought keep their terms",
    responses={**NO_PROGRAMME, **INVALID_SETTINGS},
)
def replace_package_settings(
    body: PackageSettingsReplacement, tenant_id: TenantDep, loyalty: LoyaltyDep
) -> PackageSettingsPublic:
    loyalty.change_package_settings(
        tenant_id, body.replacing, datetime.now(UTC), expected_version=body.version
    )
    return package_settings(loyalty, tenant_id)


@router.put(
    "/packages/catalogue/{package_id}",
    summary="Add one package to the catalogue, or replace the one of this id; the others stay "
    "as they are",
    responses={**NO_PROGRAMME, **INVALID_PACKAGE},
)
def put_package(
    package_id: PackageIdPath, body: PackageFields, tenant_id: TenantDep, loyalty: LoyaltyDep
) -> PackageSettingsPublic:
    def put(stored: PackageSettings) -> PackageSettings:
        return with_package(stored, body.to_domain(package_id, stored.currency))

    loyalty.change_package_settings(tenant_id, put, datetime.now(UTC))
    return package_settings(loyalty, tenant_id)


class _NotInCatalogue(Exception):
    """The package to remove is not in the catalogue as stored."""


@router.delete(
    "/packages/catalogue/{package_id}",
    summary="Take one package out of the catalogue (to stop selling it but keep it listed, set "
    "active false); clients keep the sessions they bought",
    responses=NO_PACKAGE,
)
def delete_package(
    package_id: PackageIdPath, tenant_id: TenantDep, loyalty: LoyaltyDep
) -> PackageSettingsPublic:
    def remove(stored: PackageSettings) -> PackageSettings:
        if stored.package(package_id) is None:
            raise _NotInCatalogue
        return without_package(stored, package_id)

    try:
        loyalty.change_package_settings(tenant_id, remove, datetime.now(UTC))
    except _NotInCatalogue:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"No package {package_id!r} in the catalogue."
        ) from None
    return package_settings(loyalty, tenant_id)
