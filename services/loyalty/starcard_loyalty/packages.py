"""The package use cases: purchases, visits paid from a package, cancellations and refunds, the
clock tick, checkout, and the tenant's package settings.

A client's `PackageHoldings` is written by the partition of the client's key (``tenant:client``),
like their `ClientLoyalty`; the gateway's checkout writes it too, so that reads it fresh and
retries on a version conflict. Holdings are opened by a purchase, by a visit paid from a package
(kept as needing attention when none can pay it) or by a refund arriving first; a client without
them costs a cancellation one absent id in the batch's prefetch, and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from eventsourcing.application import AggregateNotFoundError
from starcard_events import AppointmentCompleted, DiscountKind, PackagePurchased, PackageRefunded
from starcard_runtime.batching import UnitOfWork
from starcard_runtime.conflicts import retry_on_conflict

from starcard_loyalty import store_queries
from starcard_loyalty.domain.client import ClientLoyalty
from starcard_loyalty.domain.errors import InvalidPackageSettings, PackageRefused
from starcard_loyalty.domain.ids import client_loyalty_id, package_holdings_id, programme_id
from starcard_loyalty.domain.membership import Spend
from starcard_loyalty.domain.package_settings import PackageSettings, PackageTerms, ValidFrom
from starcard_loyalty.domain.packages import (
    Balance,
    Bought,
    PackageHoldings,
    PackageRefund,
    PackageUse,
    Reminders,
    package_source,
)
from starcard_loyalty.domain.points import Purchase
from starcard_loyalty.domain.programme import LoyaltyProgramme
from starcard_loyalty.domain.tier_settings import SpendKind
from starcard_loyalty.domain.versions import STALE_SETTINGS
from starcard_loyalty.points import PointsUseCases
from starcard_loyalty.tiers import NOT_SPEND, TierUseCases

__all__ = ["PackageUseCases", "is_package_paid", "package_use"]


def is_package_paid(event: AppointmentCompleted) -> bool:
    """Paid from a package: the payment method says so, or a ``package`` discount does."""
    data = event.data
    return data.payment_method.value == "package" or any(
        discount.kind is DiscountKind.PACKAGE for discount in data.discounts
    )


def package_use(event: AppointmentCompleted) -> PackageUse:
    data = event.data
    return PackageUse(
        booking_id=data.booking_id,
        service_id=data.service.id,
        category=data.service.category,
        service_name=data.service.name,
        at=event.occurred_at,
    )


@dataclass(frozen=True)
class PackageRedemption:
    """The session a booking used at checkout, and the package after it."""

    booking_id: str
    balance: Balance


class PackageUseCases(PointsUseCases, TierUseCases):
    """Pre-paid packages on the loyalty event store."""

    # -- the ingest path -----------------------------------------------------------------------

    def buy_package(self, unit: UnitOfWork, event: PackagePurchased) -> None:
        """A package bought: onto the client's holdings on the terms it was sold on; its price
        earns points (with the package bonus) and counts toward a tier."""
        data, at = event.data, event.occurred_at
        programme = self.programme_for(unit, event.tenant_id)
        terms = self._terms_of(programme, event)
        holdings_ = self._holdings_for(unit, event.tenant_id, data.client_id)
        holdings_.buy(
            Bought(data.purchase_id, terms, data.package_id, data.price_paid.amount_minor, at),
            programme.package_reminders(),
        )
        source = package_source(data.purchase_id)
        self.earn_points(
            unit,
            event.tenant_id,
            data.client_id,
            [
                Purchase(
                    source=source,
                    booking_id=None,
                    amount_minor=data.price_paid.amount_minor,
                    currency=data.price_paid.currency,
                    payment_method=data.payment_method.value,
                    occurred_at=at,
                    retail=False,
                    category=terms.categories[0] if terms.categories else None,
                    detail=terms.name,
                    package=True,
                    package_bonus=terms.bonus_points,
                )
            ],
        )
        if data.payment_method.value not in NOT_SPEND:
            spend = Spend(source, data.price_paid.amount_minor, at, SpendKind.PACKAGE)
            self.count_tier_spend(
                unit, event.tenant_id, data.client_id, data.price_paid.currency, [spend]
            )
        self._settle_refunds(unit, holdings_, data.purchase_id)

    def use_package(
        self, unit: UnitOfWork, tenant_id: str, client_id: str, use: PackageUse
    ) -> str | None:
        """A completed visit paid from a package uses a session (the purchase's id), once per
        booking; None: no package can pay for it, and it is kept as needing attention."""
        reminders = self.programme_for(unit, tenant_id).package_reminders()
        holdings_ = self._holdings_for(unit, tenant_id, client_id)
        self._note_earlier_cancellation(unit, holdings_, use.booking_id, reminders)
        return holdings_.use(use, reminders)

    def give_back_package_session(
        self, unit: UnitOfWork, tenant_id: str, client_id: str, booking_id: str, at: datetime
    ) -> None:
        """A booking cancelled or wholly refunded: its session goes back (a client with no
        holdings has nothing to give back)."""
        holdings_ = unit.get(package_holdings_id(tenant_id, client_id), PackageHoldings)
        if holdings_ is not None:
            reminders = self.programme_for(unit, tenant_id).package_reminders()
            holdings_.withdraw(booking_id, at, reminders)

    def refund_package(self, unit: UnitOfWork, event: PackageRefunded) -> None:
        """A package refunded: its unused sessions close, under the refund policy of the
        refund's moment; the share refunded is taken off the points and the tier spend it
        earned. Remembered until its purchase arrives, if it comes first."""
        data, at = event.data, event.occurred_at
        programme = self.programme_for(unit, event.tenant_id)
        policy = programme.package_settings_at(at).refund_policy
        holdings_ = self._holdings_for(unit, event.tenant_id, data.client_id)
        holdings_.refund(
            PackageRefund(data.refund_id, data.purchase_id, at, policy),
            programme.package_reminders(),
        )
        self._settle_refunds(unit, holdings_, data.purchase_id)

    def packages_tick(self, unit: UnitOfWork, tenant_id: str, day: date, at: datetime) -> None:
        """The tick of `day`: unused sessions whose expiry day came expire; clients whose
        sessions expire within the reminder period are emailed. Only holdings whose next review
        has come are read (one query of the store)."""
        programme = unit.read(programme_id(tenant_id), LoyaltyProgramme)
        if programme is None:
            return  # the scheduler ticks for every tenant, whatever programmes they run
        reminders = programme.package_reminders()
        due = store_queries.package_holdings_due(self, tenant_id, day, reminders.settings_version)
        ids = [package_holdings_id(tenant_id, client) for client in due]
        self.load_fresh(unit, ids)
        for client_id in due:
            holdings_ = unit.get(package_holdings_id(tenant_id, client_id), PackageHoldings)
            if holdings_ is not None:
                holdings_.review(day, at, reminders)

    def _settle_refunds(
        self, unit: UnitOfWork, holdings_: PackageHoldings, purchase_id: str
    ) -> None:
        """Once a refund and its purchase are both known, take the refunded share off the
        points and the tier spend the purchase earned: once per package, whatever refund ids
        name it, with the share settled then (a later correction is only published)."""
        balance = holdings_.holdings().balances.get(purchase_id)
        if balance is None or balance.refund_minor is None:
            return
        refund = min(  # the refund that closed it: the first in time, as the holdings judge
            (each for each in holdings_.refunds.values() if each.purchase_id == purchase_id),
            key=lambda each: (each.at, each.refund_id),
        )
        tenant_id, client_id = holdings_.tenant_id, holdings_.client_id
        source, currency = package_source(purchase_id), balance.bought.terms.currency
        account = self._existing_or_on(unit, tenant_id, client_id)
        # Keyed by the package, not the refund id: a second refund id of it takes nothing more.
        if account is not None:
            account.refund(source, [(source, balance.refund_minor, currency)], refund.at)
        self.refund_tier_spend(
            unit,
            tenant_id,
            client_id,
            refund_id=source,
            lines=[(source, balance.refund_minor)],
            at=refund.at,
        )

    @staticmethod
    def _terms_of(programme: LoyaltyProgramme, event: PackagePurchased) -> PackageTerms:
        """The terms a package was sold on: its catalogue entry's at the purchase, or its own."""
        data = event.data
        currency = data.price_paid.currency
        if data.terms is not None:
            wire = data.terms
            single = wire.single_session_price
            if single is not None and single.currency != currency:
                msg = (
                    f"The single-session price is in {single.currency} but the package was paid "
                    f"in {currency}: send both in the currency paid."
                )
                raise PackageRefused(msg)
            terms = PackageTerms(
                name=wire.name,
                sessions=wire.sessions,
                service_ids=tuple(wire.service_ids),
                categories=tuple(wire.categories),
                single_session_minor=single.amount_minor if single else None,
                currency=currency,
                validity_days=wire.validity_days,
                valid_from=ValidFrom(wire.valid_from),
                bonus_points=wire.bonus_points,
            )
            if problems := terms.problems():
                raise PackageRefused(" ".join(problems))
            return terms
        # The catalogue of the purchase's moment; a package added to it since (the till sold it
        # before the catalogue knew it: the operator adds it and replays) on today's terms.
        package_id = str(data.package_id)
        package = programme.package_settings_at(event.occurred_at).package(package_id)
        package = package or programme.packages.package(package_id)
        if package is None:
            msg = (
                f"Package {data.package_id!r} is not in the catalogue: add it under Settings → "
                "Packages (or send the package's terms), then replay."
            )
            raise PackageRefused(msg)
        if package.terms.currency != currency:
            msg = (
                f"Package {data.package_id!r} is sold in {package.terms.currency} but was paid in "
                f"{currency}."
            )
            raise PackageRefused(msg)
        return package.terms

    # -- checkout --------------------------------------------------------------------------------

    def quote_package(
        self,
        tenant_id: str,
        client_id: str,
        *,
        service_id: str | None,
        category: str | None,
        at: datetime,
    ) -> Balance | None:
        """Which package would pay for the service at `at`, and how it stands now (None: no
        package can). Changes nothing."""
        stored = self.package_holdings(tenant_id, client_id)
        purchase_id = stored.payer(service_id, category, at)
        return None if purchase_id is None else stored.holdings().balances[purchase_id]

    def redeem_package(
        self,
        tenant_id: str,
        client_id: str,
        *,
        booking_id: str,
        service_id: str | None,
        category: str | None,
        service_name: str,
        at: datetime,
    ) -> PackageRedemption:
        """Use a session on a booking at checkout, once per booking id: asked again, the same
        answer. Refused, recording nothing, when no package can pay for the service."""

        def redeem(unit: UnitOfWork) -> PackageRedemption:
            reminders = self.programme_for(unit, tenant_id).package_reminders()
            holdings_ = unit.get(
                package_holdings_id(tenant_id, client_id), PackageHoldings, fresh=True
            )
            if holdings_ is None:
                raise PackageRefused(_NO_PACKAGE)
            self._note_earlier_cancellation(unit, holdings_, booking_id, reminders)
            if booking_id in holdings_.uses:  # asked again: the same answer, nothing moved
                purchase_id = holdings_.told_allocation.get(booking_id)
            elif holdings_.payer(service_id, category, at) is None:
                raise PackageRefused(_NO_PACKAGE)
            else:
                use = PackageUse(booking_id, service_id, category, service_name, at)
                purchase_id = holdings_.use(use, reminders)
            if purchase_id is None:
                msg = (
                    f"Booking {booking_id!r} has no package session: it was cancelled, or a "
                    "visit reported earlier took the package's last session."
                )
                raise PackageRefused(msg)
            return PackageRedemption(booking_id, holdings_.holdings().balances[purchase_id])

        return retry_on_conflict(self, redeem)

    # -- settings and reading --------------------------------------------------------------------

    def change_package_settings(
        self,
        tenant_id: str,
        change: Callable[[PackageSettings], PackageSettings],
        at: datetime,
        *,
        expected_version: int | None = None,
    ) -> PackageSettings:
        """Apply `change` to the settings as stored when it is saved; a form filled against an
        older version (`expected_version`) is refused rather than undo someone else's change."""

        def apply(programme: LoyaltyProgramme) -> PackageSettings:
            if programme.package_versions.is_stale(expected_version):
                raise InvalidPackageSettings([f"The package settings were {STALE_SETTINGS}"])
            programme.set_packages(change(programme.packages), at)
            return programme.packages

        return self._change_programme(tenant_id, apply)

    def package_holdings(self, tenant_id: str, client_id: str) -> PackageHoldings:
        """The client's holdings as stored (empty ones if they have none yet)."""
        self.programme(tenant_id)
        try:
            found: PackageHoldings = self.repository.get(package_holdings_id(tenant_id, client_id))
        except AggregateNotFoundError:
            return PackageHoldings(tenant_id=tenant_id, client_id=client_id)
        return found

    @staticmethod
    def _note_earlier_cancellation(
        unit: UnitOfWork, holdings_: PackageHoldings, booking_id: str, reminders: Reminders
    ) -> None:
        """A cancellation that came before the client had holdings was noted by their loyalty
        record only: the holdings learn of it now, whatever order the two arrived in."""
        tenant_id, client_id = holdings_.tenant_id, holdings_.client_id
        client = unit.get(client_loyalty_id(tenant_id, client_id), ClientLoyalty)
        cancelled_at = client.cancelled.get(booking_id) if client is not None else None
        if cancelled_at is not None:
            holdings_.withdraw(booking_id, cancelled_at, reminders)

    def _holdings_for(self, unit: UnitOfWork, tenant_id: str, client_id: str) -> PackageHoldings:
        holdings_ = unit.get(package_holdings_id(tenant_id, client_id), PackageHoldings)
        if holdings_ is None:
            holdings_ = PackageHoldings(tenant_id=tenant_id, client_id=client_id)
            unit.add(holdings_)
        return holdings_


_NO_PACKAGE = "The client has no package that covers this service now."
