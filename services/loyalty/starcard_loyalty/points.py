"""The points use cases: earning from completions and retail, refunds, the clock tick, checkout,
manual adjustments, grants from other programmes, and the tenant's points settings.

A client's `PointsAccount` is written by the partition of the client's key (``tenant:client``),
like their `ClientLoyalty`; the gateway's checkout and adjustments write it too, so those read it
fresh and retry on a version conflict. An account is only opened once the tenant's points
programme is on: a tenant without points pays nothing for them on the ingest path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date, datetime

from eventsourcing.application import AggregateNotFoundError
from starcard_events import AppointmentCompleted, OrderRefunded, ProductPurchased
from starcard_events import Money as WireMoney
from starcard_kernel.money import check_money
from starcard_runtime.batching import UnitOfWork
from starcard_runtime.conflicts import retry_on_conflict

from starcard_loyalty import store_queries
from starcard_loyalty.domain.ids import membership_id, points_account_id, programme_id
from starcard_loyalty.domain.membership import Membership, Standing
from starcard_loyalty.domain.points import (
    PointsAccount,
    PointsQuote,
    Purchase,
    Redemption,
    booking_source,
    order_source,
)
from starcard_loyalty.domain.points_settings import PointsSettings
from starcard_loyalty.domain.programme import LoyaltyProgramme
from starcard_loyalty.programme_settings import SettingsUseCases

__all__ = ["PointsUseCases"]


def treatment_purchase(event: AppointmentCompleted) -> Purchase:
    """What a completed appointment earns on: the price the client paid for it."""
    data = event.data
    return Purchase(
        source=booking_source(data.booking_id),
        booking_id=data.booking_id,
        amount_minor=data.price.amount_minor,
        currency=data.price.currency,
        payment_method=data.payment_method.value,
        occurred_at=event.occurred_at,
        retail=False,
        service_id=data.service.id,
        category=data.service.category,
        detail=data.service.name,
        visit_key=f"b2b:{data.back_to_back_group}" if data.back_to_back_group else None,
    )


def retail_purchases(event: ProductPurchased) -> list[Purchase]:
    """Each line of an order earns on its own, so a refund of one line reverses only it."""
    data = event.data
    return [
        Purchase(
            source=order_source(data.order_id, line.sku),
            booking_id=None,
            amount_minor=line.amount_paid.amount_minor,
            currency=line.amount_paid.currency,
            payment_method=data.payment_method.value,
            occurred_at=event.occurred_at,
            retail=True,
            category=line.category,
            detail=f"{line.quantity} x {line.name}",
        )
        for line in data.lines
    ]


def _amount(money: WireMoney | None) -> tuple[int | None, str | None]:
    return (None, None) if money is None else (money.amount_minor, money.currency)


class PointsUseCases(SettingsUseCases):
    """Points on the loyalty event store."""

    # -- the ingest path -----------------------------------------------------------------------

    def earn_points(
        self, unit: UnitOfWork, tenant_id: str, client_id: str, purchases: Iterable[Purchase]
    ) -> None:
        """Credit each purchase under the points settings of its moment (nothing when off)."""
        programme = self.programme_for(unit, tenant_id)
        wanted = [p for p in purchases if programme.points_settings_at(p.occurred_at).enabled]
        if not wanted:
            return
        account = self.points_account_for(unit, tenant_id, client_id)
        for purchase in self._with_tier_multipliers(unit, programme, client_id, wanted):
            account.earn(purchase, programme.points_settings_at)

    @staticmethod
    def _with_tier_multipliers(
        unit: UnitOfWork, programme: LoyaltyProgramme, client_id: str, purchases: list[Purchase]
    ) -> list[Purchase]:
        """Each purchase with the points multiplier of the tier the client held before it (as
        the membership knows it when the purchase is earned: a purchase reported late that
        changes an earlier tier does not re-earn what was earned since)."""
        if not programme.tier_versions.ever(lambda settings: settings.enabled):
            return purchases
        membership = unit.get(membership_id(programme.tenant_id, client_id), Membership)
        if membership is None:
            return purchases
        multiplied = []
        histories: dict[date, Standing] = {}  # an order's lines share their day
        for purchase in purchases:
            settings = programme.tier_settings_at(purchase.occurred_at)
            if not settings.enabled:
                multiplied.append(purchase)
                continue
            # Judged through the purchase's own day: a drop at its start counts, tick or not.
            day = purchase.occurred_at.date()
            if day not in histories:
                histories[day] = membership.standing(programme.tier_versions, day)
            tier = settings.tier(histories[day].tier_before(purchase.occurred_at))
            multiplier = (tier.tier_id, tier.points_multiplier_hundredths)
            multiplied.append(
                replace(purchase, tier_multiplier=multiplier)
                if tier.points_multiplier_hundredths > 100
                else purchase
            )
        return multiplied

    def take_points_for_booking(
        self,
        unit: UnitOfWork,
        tenant_id: str,
        client_id: str,
        *,
        booking_id: str,
        discount: WireMoney,
        at: datetime,
    ) -> Redemption | None:
        """A booking event reports a ``points`` discount: take what it cost, once per booking."""
        programme = self.programme_for(unit, tenant_id)
        # Read fresh: the gateway writes the account too, and a decision to take nothing would
        # not be caught by a version conflict.
        account = unit.get(points_account_id(tenant_id, client_id), PointsAccount, fresh=True)
        if account is None:
            return None
        return account.record_booking_redemption(
            booking_id,
            discount.amount_minor,
            discount.currency,
            at,
            programme.points_settings_at(at),
        )

    def refund_appointment_points(
        self,
        unit: UnitOfWork,
        tenant_id: str,
        client_id: str,
        *,
        refund_id: str,
        booking_id: str,
        amount: WireMoney | None,
        at: datetime,
    ) -> None:
        """Reverse what the booking earned (in proportion to a partial refund); a whole refund
        gives back points spent on it, and stops the visit counting as a star."""
        if amount is None:
            client = self.client_for(unit, tenant_id, client_id)
            self._expire_due(unit, client, at)
            client.record_cancellation(booking_id, at)
        account = self._existing_or_on(unit, tenant_id, client_id)
        if account is not None:
            account.refund(
                refund_id,
                [(booking_source(booking_id), *_amount(amount))],
                at,
                whole_booking=booking_id if amount is None else None,
            )

    def give_back_points_of_cancelled_booking(
        self, unit: UnitOfWork, tenant_id: str, client_id: str, booking_id: str, at: datetime
    ) -> None:
        if not self.points_ever_on(unit, tenant_id):
            return  # no account to read: a tenant without points pays nothing for them here
        account = unit.get(points_account_id(tenant_id, client_id), PointsAccount, fresh=True)
        if account is not None:
            account.cancel_booking(booking_id, at)

    def refund_order_points(self, unit: UnitOfWork, tenant_id: str, event: OrderRefunded) -> None:
        data = event.data
        account = self._existing_or_on(unit, tenant_id, data.client_id)
        if account is None:
            return
        sources = (
            [(f"order:{data.order_id}", None, None)]
            if data.lines is None
            else [
                (order_source(data.order_id, line.sku), *_amount(line.amount))
                for line in data.lines
            ]
        )
        account.refund(data.refund_id, sources, event.occurred_at)

    def points_tick(self, unit: UnitOfWork, tenant_id: str, day: date, at: datetime) -> None:
        """The tick of `day`: expire the lots whose day has come, and tell clients whose points
        expire within the notice period. Accounts are found by one query of the store and read
        fresh (other partitions write them)."""
        programme = unit.read(programme_id(tenant_id), LoyaltyProgramme)
        if programme is None:
            return  # the scheduler ticks for every tenant, whatever programmes they run
        notice_days = programme.points.expiry_notice_days
        due = store_queries.points_accounts_due(self, tenant_id, day, notice_days or 0)
        ids = [points_account_id(tenant_id, client) for client in due]
        self.load_fresh(unit, ids)
        for client_id in due:
            account = unit.get(points_account_id(tenant_id, client_id), PointsAccount)
            if account is not None:
                account.expire(day, at)
                account.notify_expiry(day, notice_days, at)

    # -- checkout, by hand, and other programmes -------------------------------------------------

    def quote_points(
        self, tenant_id: str, client_id: str, bill: WireMoney, at: datetime
    ) -> PointsQuote:
        check_money(bill.amount_minor, bill.currency)
        settings = self.programme(tenant_id).points_settings_at(at)
        account = self._stored_account(tenant_id, client_id)
        return account.quote(bill.amount_minor, bill.currency, at, settings)

    def redeem_points(
        self,
        tenant_id: str,
        client_id: str,
        *,
        booking_id: str,
        points: int,
        bill: WireMoney,
        at: datetime,
    ) -> Redemption:
        """Spend points on a booking's bill, once per booking (a retry answers the first)."""
        check_money(bill.amount_minor, bill.currency)

        def redeem(unit: UnitOfWork) -> Redemption:
            settings = self.programme_for(unit, tenant_id).points_settings_at(at)
            account = self.points_account_for(unit, tenant_id, client_id, fresh=True)
            return account.redeem(
                booking_id,
                points,
                bill_minor=bill.amount_minor,
                currency=bill.currency,
                at=at,
                settings=settings,
            )

        return retry_on_conflict(self, redeem)

    def adjust_points(
        self,
        tenant_id: str,
        client_id: str,
        *,
        adjustment_id: str,
        points: int,
        note: str,
        at: datetime,
    ) -> int:
        """Add or take points by hand, with a note; returns the balance after."""

        def adjust(unit: UnitOfWork) -> int:
            settings = self.programme_for(unit, tenant_id).points_settings_at(at)
            account = self.points_account_for(unit, tenant_id, client_id, fresh=True)
            account.adjust(adjustment_id, points, note, at, settings)
            return account.balance()

        return retry_on_conflict(self, adjust)

    def grant_bonus(
        self,
        unit: UnitOfWork,
        tenant_id: str,
        client_id: str,
        *,
        grant_id: str,
        rule: str,
        at: datetime,
    ) -> PointsAccount | None:
        """A fixed bonus of another programme (``rule`` 'referral', 'birthday'...): the
        programme's granted bonus in force at `at`, once per grant id. (A package's bonus is
        earned with its purchase.) Nothing, and no account opened, while points are off or the
        bonus is 0 at `at`; the client's account (read fresh: the gateway writes it too)
        otherwise."""
        settings = self.programme_for(unit, tenant_id).points_settings_at(at)
        if not settings.enabled or settings.granted_bonus_points <= 0:
            return None
        account = self.points_account_for(unit, tenant_id, client_id, fresh=True)
        account.grant(grant_id, rule, settings.granted_bonus_points, at, settings)
        return account

    def set_points_settings(
        self, tenant_id: str, settings: PointsSettings, at: datetime
    ) -> PointsSettings:
        """Replace the tenant's points settings, in force from `at`."""
        return self.change_points_settings(tenant_id, lambda _: settings, at)

    def change_points_settings(
        self, tenant_id: str, change: Callable[[PointsSettings], PointsSettings], at: datetime
    ) -> PointsSettings:
        """Apply `change` to the settings as stored when it is saved (a concurrent change is
        reloaded and `change` applied again), so two edits of different fields both land."""

        def apply(programme: LoyaltyProgramme) -> PointsSettings:
            programme.set_points(change(programme.points), at)
            return programme.points

        return self._change_programme(tenant_id, apply)

    def points_account(self, tenant_id: str, client_id: str) -> PointsAccount:
        """The client's account as stored (an empty one if they have none yet)."""
        self.programme(tenant_id)
        return self._stored_account(tenant_id, client_id)

    def points_account_owners(self) -> list[tuple[str, str]]:
        """``(tenant_id, client_id)`` of every points account (``starcard points reconcile``)."""
        return store_queries.points_account_owners(self)

    # -- loading ---------------------------------------------------------------------------------

    def points_account_for(
        self, unit: UnitOfWork, tenant_id: str, client_id: str, *, fresh: bool = False
    ) -> PointsAccount:
        account = unit.get(points_account_id(tenant_id, client_id), PointsAccount, fresh=fresh)
        if account is None:
            account = PointsAccount(tenant_id=tenant_id, client_id=client_id)
            unit.add(account)
        return account

    def points_ever_on(self, unit: UnitOfWork, tenant_id: str) -> bool:
        """Whether the tenant's points were ever switched on (else no client has an account)."""
        versions = self.programme_for(unit, tenant_id).points_versions
        return versions.ever(lambda settings: settings.enabled)

    def _existing_or_on(
        self, unit: UnitOfWork, tenant_id: str, client_id: str
    ) -> PointsAccount | None:
        """The client's account if they have one, or a new one if points were ever on (a refund
        before its purchase must be remembered, whenever it is dated); None otherwise."""
        if not self.points_ever_on(unit, tenant_id):
            return None
        account = unit.get(points_account_id(tenant_id, client_id), PointsAccount, fresh=True)
        return account or self.points_account_for(unit, tenant_id, client_id)

    def _stored_account(self, tenant_id: str, client_id: str) -> PointsAccount:
        try:
            account: PointsAccount = self.repository.get(points_account_id(tenant_id, client_id))
        except AggregateNotFoundError:
            return PointsAccount(tenant_id=tenant_id, client_id=client_id)
        return account
