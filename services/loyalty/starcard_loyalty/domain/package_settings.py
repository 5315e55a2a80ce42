"""A tenant's package catalogue and the rules its packages are kept by.

A package sells a number of sessions of some services (by id) or categories, for a price paid up
front, usable for a number of days from the purchase or from the first use (or with no end).
The catalogue is what the till offers; a purchase records the terms it was sold on, so a later
change of the catalogue never changes a package a client holds. Like the points and tier
settings, these settings are versions on the tenant's `LoyaltyProgramme`, each in force from the
moment it was made: a purchase takes the catalogue of its moment, a refund the policy of its own.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import Any

from starcard_events.limits import (
    MAX_AMOUNT_MINOR,
    MAX_DAYS,
    MAX_LABEL_LENGTH,
    MAX_NAME_LENGTH,
    MAX_PACKAGE_SESSIONS,
    MAX_POINTS,
)

from starcard_loyalty.domain.errors import InvalidPackageSettings

__all__ = [
    "PACKAGES_OFF",
    "Package",
    "PackageSettings",
    "PackageTerms",
    "RefundPolicy",
    "ValidFrom",
]

MAX_CATALOGUE = 100


class ValidFrom(StrEnum):
    """When a package's validity starts."""

    PURCHASE = "purchase"
    FIRST_USE = "first_use"


class RefundPolicy(StrEnum):
    """What a refunded package gives back."""

    PRO_RATA = "pro_rata"
    """The unused sessions' share of the price paid."""
    LESS_SESSIONS_USED = "less_sessions_used"
    """The price paid less each used session at the single-session price (none below zero): the
    discount is earned by using the whole package. A package sold with no single-session price
    is refunded pro rata."""


@dataclass(frozen=True)
class PackageTerms:
    """What a package covers and how long it lasts; amounts in minor units of `currency`."""

    name: str
    sessions: int
    service_ids: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    single_session_minor: int | None = None
    currency: str = "GBP"
    validity_days: int | None = None
    valid_from: ValidFrom = ValidFrom.PURCHASE
    bonus_points: int | None = None
    """Points credited on purchase; None: the points programme's package bonus."""

    def covers(self, service_id: str | None, category: str | None) -> bool:
        """Whether a session of this package pays for the service."""
        return (service_id is not None and service_id in self.service_ids) or (
            category is not None
            and category.casefold() in {each.casefold() for each in self.categories}
        )

    def problems(self) -> list[str]:
        """What a clinic could not mean by these terms, one line each."""
        found: list[str] = []
        if not self.name.strip() or len(self.name) > MAX_NAME_LENGTH:
            found.append(f"name must be 1 to {MAX_NAME_LENGTH} characters.")
        if not 1 <= self.sessions <= MAX_PACKAGE_SESSIONS:
            found.append(f"sessions must be 1 to {MAX_PACKAGE_SESSIONS}.")
        if not self.service_ids and not self.categories:
            found.append("A package must cover at least one service id or category.")
        if any(not each.strip() or len(each) > MAX_LABEL_LENGTH for each in self.categories):
            found.append(f"Each category must be 1 to {MAX_LABEL_LENGTH} characters.")
        if self.single_session_minor is not None and not (
            0 < self.single_session_minor <= MAX_AMOUNT_MINOR
        ):
            found.append("single_session_price must be more than 0.")
        if self.validity_days is not None and not 1 <= self.validity_days <= MAX_DAYS:
            found.append(f"validity_days must be 1 to {MAX_DAYS}, or empty for no expiry.")
        if self.bonus_points is not None and not 0 <= self.bonus_points <= MAX_POINTS:
            found.append(f"bonus_points must be 0 to {MAX_POINTS:,}.")
        return found

    def to_record(self) -> dict[str, Any]:
        record = asdict(self)
        record["service_ids"] = list(self.service_ids)
        record["categories"] = list(self.categories)
        record["valid_from"] = self.valid_from.value
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> PackageTerms:
        values = dict(record)
        values["service_ids"] = tuple(values["service_ids"])
        values["categories"] = tuple(values["categories"])
        values["valid_from"] = ValidFrom(values["valid_from"])
        return cls(**values)


@dataclass(frozen=True)
class Package:
    """A catalogue package: its id (stable when its name changes), its terms and its price."""

    package_id: str
    terms: PackageTerms
    price_minor: int
    active: bool = True
    """An inactive package is no longer sold; packages already bought are kept."""

    def problems(self) -> list[str]:
        found = [f"Package {self.package_id!r}: {each}" for each in self.terms.problems()]
        if not 0 < self.price_minor <= MAX_AMOUNT_MINOR:
            found.append(f"Package {self.package_id!r}: price must be more than 0.")
        single = self.terms.single_session_minor
        if single is not None and single > 0 and self.price_minor > single * self.terms.sessions:
            found.append(
                f"Package {self.package_id!r}: its price is more than {self.terms.sessions} "
                "single sessions: a package sells sessions for less."
            )
        return found

    @property
    def saving_minor(self) -> int | None:
        """What the package saves against single sessions (None without a single price)."""
        single = self.terms.single_session_minor
        return None if single is None else single * self.terms.sessions - self.price_minor


@dataclass(frozen=True)
class PackageSettings:
    """A tenant's catalogue, refund policy and expiry reminder."""

    catalogue: tuple[Package, ...] = ()
    refund_policy: RefundPolicy = RefundPolicy.PRO_RATA
    reminder_days: int | None = 14
    """Clients are emailed this many days before unused sessions expire (None: not at all)."""
    currency: str = "GBP"

    def package(self, package_id: str) -> Package | None:
        return next((each for each in self.catalogue if each.package_id == package_id), None)

    def check(self) -> PackageSettings:
        """Refuse settings a clinic could not mean, every problem named."""
        problems: list[str] = []
        ids = [each.package_id for each in self.catalogue]
        if len(set(ids)) != len(ids):
            problems.append("Each package needs its own package_id.")
        on_sale = [each.terms.name.strip().casefold() for each in self.catalogue if each.active]
        if len(set(on_sale)) != len(on_sale):
            problems.append(
                "Each package on sale needs its own name: the till and the client tell them "
                "apart by it."
            )
        if len(self.catalogue) > MAX_CATALOGUE:
            problems.append(f"A catalogue holds at most {MAX_CATALOGUE} packages.")
        if not (len(self.currency) == 3 and self.currency.isascii() and self.currency.isupper()):
            problems.append(
                f"currency must be an ISO 4217 code such as GBP (got {self.currency!r})."
            )
        for package in self.catalogue:
            problems += package.problems()
        if self.reminder_days is not None and not 1 <= self.reminder_days <= MAX_DAYS:
            problems.append(f"reminder_days must be 1 to {MAX_DAYS}, or empty for no reminder.")
        if problems:
            raise InvalidPackageSettings(problems)
        # The catalogue's terms are in the catalogue's currency.
        return replace(
            self,
            catalogue=tuple(
                replace(each, terms=replace(each.terms, currency=self.currency))
                for each in self.catalogue
            ),
        )

    def to_record(self) -> dict[str, Any]:
        """What the settings event stores: plain JSON values."""
        return {
            "catalogue": [
                {
                    "package_id": each.package_id,
                    "terms": each.terms.to_record(),
                    "price_minor": each.price_minor,
                    "active": each.active,
                }
                for each in self.catalogue
            ],
            "refund_policy": self.refund_policy.value,
            "reminder_days": self.reminder_days,
            "currency": self.currency,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> PackageSettings:
        return cls(
            catalogue=tuple(
                Package(
                    package_id=each["package_id"],
                    terms=PackageTerms.from_record(each["terms"]),
                    price_minor=each["price_minor"],
                    active=each["active"],
                )
                for each in record["catalogue"]
            ),
            refund_policy=RefundPolicy(record["refund_policy"]),
            reminder_days=record["reminder_days"],
            currency=record["currency"],
        )


PACKAGES_OFF = PackageSettings()
"""The package settings of a programme that never set them: an empty catalogue, pro-rata
refunds, a reminder two weeks before expiry (ad-hoc packages are kept all the same)."""
