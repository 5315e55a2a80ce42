"""The package settings router's models: the tenant's package catalogue (Settings → Packages),
its refund policy and the expiry reminder.

Amounts are in minor units of the settings' one currency (`currency`), as the tier settings
write theirs: a package's price as ``price_minor``, the single-session price it compares with
as ``single_session_price_minor``. What a package saves against single sessions
(``saving_minor``) is worked out by the loyalty service and only ever written, never read.

Each field's bounds are checked here; what only holds across fields (a package covering
something, its price below that of its sessions bought singly, one id per package) is the
loyalty service's to refuse, with every problem named.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator
from starcard_events.bookings import Category
from starcard_events.envelope import EXTERNAL_ID_PATTERN, ExternalId
from starcard_events.limits import (
    MAX_AMOUNT_MINOR,
    MAX_DAYS,
    MAX_LABEL_LENGTH,
    MAX_NAME_LENGTH,
    MAX_PACKAGE_SESSIONS,
    MAX_POINTS,
    TEXT_PATTERN,
)
from starcard_events.money import CurrencyCode
from starcard_loyalty.api import (
    MAX_CATALOGUE,
    Package,
    PackageSettings,
    PackageTerms,
    RefundPolicy,
    ValidFrom,
)

MAX_COVERED = 100
"""The most services, or categories, one package covers (as a purchase's terms may)."""


class PackageFields(BaseModel):
    """One catalogue package, but for its id: what it covers, its sessions, price and validity."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        min_length=1,
        max_length=MAX_NAME_LENGTH,
        pattern=TEXT_PATTERN,
        description="The package's name as the client sees it.",
        examples=["Three facials"],
    )
    service_ids: list[ExternalId] = Field(
        default_factory=list,
        max_length=MAX_COVERED,
        description="The services (the booking platform's ids) a session pays for.",
        examples=[["hydrafacial-60"]],
    )
    categories: list[Category] = Field(
        default_factory=list,
        max_length=MAX_COVERED,
        description="The service categories a session pays for (any service in them; case does "
        "not matter). A package covers at least one service id or category.",
        examples=[["facials"]],
    )
    sessions: int = Field(
        ge=1, le=MAX_PACKAGE_SESSIONS, description="How many sessions it holds.", examples=[3]
    )
    price_minor: int = Field(
        gt=0,
        le=MAX_AMOUNT_MINOR,
        description="The package's price, in minor units of the settings' currency.",
        examples=[27_000],
    )
    single_session_price_minor: int | None = Field(
        default=None,
        gt=0,
        le=MAX_AMOUNT_MINOR,
        description="The price of one session bought on its own, which the package saves "
        "against (the package may not cost more than its sessions bought singly); null: none "
        "to compare with.",
        examples=[10_000],
    )
    validity_days: int | None = Field(
        default=None,
        ge=1,
        le=MAX_DAYS,
        description="How many days the sessions can be used; null: they never expire.",
        examples=[180],
    )
    valid_from: ValidFrom = Field(
        default=ValidFrom.PURCHASE,
        description="Whether validity_days count from the purchase or from the first session used.",
    )
    bonus_points: int | None = Field(
        default=None,
        ge=0,
        le=MAX_POINTS,
        description="Points credited on purchase while a points programme runs; null: the "
        "points programme's package bonus.",
        examples=[200],
    )
    active: bool = Field(
        default=True,
        description="Whether it is sold: a package no longer sold stays in the catalogue, and "
        "clients keep the sessions they bought.",
    )

    @field_validator("name")
    @classmethod
    def _trimmed(cls, name: str) -> str:
        return name.strip()

    def to_domain(self, package_id: str, currency: str) -> Package:
        return Package(
            package_id=package_id,
            terms=PackageTerms(
                name=self.name,
                sessions=self.sessions,
                service_ids=tuple(self.service_ids),
                categories=tuple(each.strip() for each in self.categories),
                single_session_minor=self.single_session_price_minor,
                currency=currency,
                validity_days=self.validity_days,
                valid_from=self.valid_from,
                bonus_points=self.bonus_points,
            ),
            price_minor=self.price_minor,
            active=self.active,
        )


class CataloguePackage(PackageFields):
    """One catalogue package, with its id."""

    package_id: str = Field(
        max_length=MAX_LABEL_LENGTH,
        pattern=EXTERNAL_ID_PATTERN,
        description="The package's own id in the catalogue (letters, digits, '_', '.', '-'): what "
        "the booking platform sends as a purchase's package_id; it stays when the name changes.",
        examples=["facial-x3"],
    )


class PackagePublic(BaseModel):
    package_id: str = Field(description="The package's own id in the catalogue.")
    name: str = Field(description="Its name as the client sees it.")
    service_ids: list[str] = Field(description="The services a session pays for.")
    categories: list[str] = Field(description="The service categories a session pays for.")
    sessions: int = Field(description="How many sessions it holds.")
    price_minor: int = Field(description="Its price, in minor units of the currency.")
    single_session_price_minor: int | None = Field(
        description="The price of one session bought on its own, or null."
    )
    saving_minor: int | None = Field(
        description="What the package saves against its sessions bought singly (null without a "
        "single-session price); worked out, never sent."
    )
    validity_days: int | None = Field(description="Days the sessions can be used, or null.")
    valid_from: ValidFrom = Field(description="Whether validity counts from purchase or first use.")
    bonus_points: int | None = Field(
        description="Points credited on purchase; null: the points programme's package bonus."
    )
    active: bool = Field(description="Whether it is sold.")

    @classmethod
    def from_domain(cls, package: Package) -> PackagePublic:
        terms = package.terms
        return cls(
            package_id=package.package_id,
            name=terms.name,
            service_ids=list(terms.service_ids),
            categories=list(terms.categories),
            sessions=terms.sessions,
            price_minor=package.price_minor,
            single_session_price_minor=terms.single_session_minor,
            saving_minor=package.saving_minor,
            validity_days=terms.validity_days,
            valid_from=terms.valid_from,
            bonus_points=terms.bonus_points,
            active=package.active,
        )


class PackagePolicies(BaseModel):
    """How the business keeps the packages it sells: refunds, the expiry reminder, the currency."""

    model_config = ConfigDict(extra="forbid")

    refund_policy: RefundPolicy = Field(
        description="What a refunded package gives back: pro_rata (the unused sessions' share "
        "of the price paid) or less_sessions_used (the price paid less each used session at the "
        "single-session price, never below 0; pro rata for a package with no single-session "
        "price)."
    )
    reminder_days: int | None = Field(
        ge=1,
        le=MAX_DAYS,
        description="Clients are emailed this many days before unused sessions expire; null: "
        "no reminder.",
        examples=[14],
    )
    currency: CurrencyCode = Field(
        description="The catalogue's currency (ISO 4217): prices are in its minor units.",
        examples=["GBP"],
    )

    def applied_to(self, stored: PackageSettings) -> PackageSettings:
        """The stored settings with these policies (checked by the loyalty service)."""
        return replace(
            stored,
            refund_policy=self.refund_policy,
            reminder_days=self.reminder_days,
            currency=self.currency,
        )


class PackageSettingsReplacement(PackagePolicies):
    """The whole package settings, replacing those stored: a package left out of the catalogue
    is no longer in it (packages clients bought keep the terms they were sold on)."""

    catalogue: list[CataloguePackage] = Field(
        max_length=MAX_CATALOGUE,
        description="Every package, each with its own package_id; [] for none.",
    )
    version: int | None = Field(
        default=None,
        ge=0,
        description="The settings' version the change was made against (from GET): refused if "
        "they have changed since, rather than undo someone else's change. Leave it out to "
        "replace them whatever they are.",
        examples=[3],
    )

    def replacing(self, stored: PackageSettings) -> PackageSettings:
        """The settings sent (checked by the loyalty service), whatever was stored."""
        catalogue = tuple(each.to_domain(each.package_id, self.currency) for each in self.catalogue)
        return replace(self.applied_to(stored), catalogue=catalogue)


class PackageSettingsPublic(BaseModel):
    catalogue: list[PackagePublic] = Field(description="Every package, in the catalogue's order.")
    refund_policy: RefundPolicy = Field(description="What a refunded package gives back.")
    reminder_days: int | None = Field(
        description="Days before expiry that clients are emailed, or null for no reminder."
    )
    currency: str = Field(description="The catalogue's currency; amounts are in its minor units.")
    version: int = Field(
        description="How many times the settings changed: send it back with a change to have "
        "it refused if someone changed them since."
    )

    @classmethod
    def from_settings(cls, settings: PackageSettings, version: int) -> Self:
        return cls(
            catalogue=[PackagePublic.from_domain(each) for each in settings.catalogue],
            refund_policy=settings.refund_policy,
            reminder_days=settings.reminder_days,
            currency=settings.currency,
            version=version,
        )


def with_package(settings: PackageSettings, package: Package) -> PackageSettings:
    """The settings with `package` in the catalogue: in place of the one of its id, where that
    stands, or added at the end."""
    catalogue = settings.catalogue
    if settings.package(package.package_id) is None:
        return replace(settings, catalogue=(*catalogue, package))
    return replace(
        settings,
        catalogue=tuple(
            package if each.package_id == package.package_id else each for each in catalogue
        ),
    )


def without_package(settings: PackageSettings, package_id: str) -> PackageSettings:
    """The settings with the package of this id out of the catalogue."""
    return replace(
        settings,
        catalogue=tuple(each for each in settings.catalogue if each.package_id != package_id),
    )
