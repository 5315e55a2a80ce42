"""The tier use cases: spend counted from completions and retail, refunds, the clock tick, and the
tenant's tier settings.

A client's `Membership` is written by the partition of the client's key (``tenant:client``), like
their `ClientLoyalty`. It is only opened once the tenant's tiers were ever on: a tenant without
tiers pays nothing for them on the ingest path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime

from eventsourcing.application import AggregateNotFoundError
from starcard_events import AppointmentCompleted, OrderRefunded, ProductPurchased
from starcard_kernel.money import check_money
from starcard_runtime.batching import UnitOfWork

from starcard_loyalty import store_queries
from starcard_loyalty.domain.errors import InvalidTierSettings
from starcard_loyalty.domain.ids import membership_id, programme_id
from starcard_loyalty.domain.membership import Membership, Spend
from starcard_loyalty.domain.points import booking_source, order_source
from starcard_loyalty.domain.programme import LoyaltyProgramme
from starcard_loyalty.domain.tier_checkout import CheckoutLine, TierCheckout, tier_checkout
from starcard_loyalty.domain.tier_settings import SpendKind, TierSettings
from starcard_loyalty.domain.versions import STALE_SETTINGS
from starcard_loyalty.programme_settings import SettingsUseCases

__all__ = ["TierUseCases", "retail_spend", "treatment_spend"]

NOT_SPEND = frozenset({"package", "points", "credit"})
"""Payment methods that are not money spent at the visit: a package was counted when it was
bought; points and referral credit are the programme's own rewards."""


def treatment_spend(event: AppointmentCompleted) -> list[Spend]:
    """What a completed appointment adds to the client's spend: the price paid for it."""
    data = event.data
    if data.payment_method.value in NOT_SPEND:
        return []
    return [
        Spend(
            booking_source(data.booking_id),
            data.price.amount_minor,
            event.occurred_at,
            SpendKind.TREATMENT,
        )
    ]


def retail_spend(event: ProductPurchased) -> list[Spend]:
    """Each line of an order on its own, so a refund of one line takes back only it."""
    data = event.data
    if data.payment_method.value in NOT_SPEND:
        return []
    return [
        Spend(
            order_source(data.order_id, line.sku),
            line.amount_paid.amount_minor,
            event.occurred_at,
            SpendKind.RETAIL,
        )
        for line in data.lines
    ]


def order_refund_lines(event: OrderRefunded) -> list[tuple[str, int | None]]:
    """The sources an order refund takes money from: every line of the order, or those named."""
    data = event.data
    if data.lines is None:
        return [(f"order:{data.order_id}:", None)]
    return [
        (order_source(data.order_id, line.sku), line.amount.amount_minor if line.amount else None)
        for line in data.lines
    ]


class TierUseCases(SettingsUseCases):
    """Membership tiers on the loyalty event store."""

    # -- the ingest path -----------------------------------------------------------------------

    def count_tier_spend(
        self,
        unit: UnitOfWork,
        tenant_id: str,
        client_id: str,
        currency: str,
        spends: Sequence[Spend],
    ) -> None:
        """Count each purchase under the tier settings of its moment (nothing when off, or when
        paid in another currency than the programme's)."""
        programme = self.programme_for(unit, tenant_id)
        wanted = [
            spend
            for spend in spends
            if (settings := programme.tier_settings_at(spend.at)).enabled
            and settings.currency == currency
        ]
        if not wanted:
            return
        membership = self._membership_for(unit, tenant_id, client_id)
        for spend in wanted:
            membership.count(spend, programme.tier_versions)

    def refund_tier_spend(
        self,
        unit: UnitOfWork,
        tenant_id: str,
        client_id: str,
        *,
        refund_id: str,
        lines: Iterable[tuple[str, int | None]],
        at: datetime,
    ) -> None:
        """Take a refund off the spend, once per refund id. Remembered even before its purchase
        arrives, once the tenant's tiers were ever on."""
        programme = self.programme_for(unit, tenant_id)
        if not self.tiers_ever_on(unit, tenant_id):
            return
        membership = self._membership_for(unit, tenant_id, client_id)
        membership.refund(refund_id, list(lines), at, programme.tier_versions)

    def tiers_tick(self, unit: UnitOfWork, tenant_id: str, day: date, at: datetime) -> None:
        """The tick of `day`: drops that fall due and warnings before them. Only memberships
        whose next review has come are read (one query of the store)."""
        programme = unit.read(programme_id(tenant_id), LoyaltyProgramme)
        if programme is None or not programme.tier_versions.ever(lambda s: s.enabled):
            return
        due = store_queries.memberships_due(self, tenant_id, day, programme.tier_versions.version)
        ids = [membership_id(tenant_id, client) for client in due]
        self.load_fresh(unit, ids)
        for client_id in due:
            membership = unit.get(membership_id(tenant_id, client_id), Membership)
            if membership is not None:
                membership.review(day, at, programme.tier_versions)

    # -- settings and reading --------------------------------------------------------------------

    def set_tier_settings(
        self, tenant_id: str, settings: TierSettings, at: datetime
    ) -> TierSettings:
        """Replace the tenant's tier settings, in force from `at`."""
        return self.change_tier_settings(tenant_id, lambda _: settings, at)

    def change_tier_settings(
        self,
        tenant_id: str,
        change: Callable[[TierSettings], TierSettings],
        at: datetime,
        *,
        expected_version: int | None = None,
    ) -> TierSettings:
        """Apply `change` to the settings as stored when it is saved (a concurrent change is
        reloaded and `change` applied again), so two edits of different fields both land. A
        form that sends every field says which version it was filled against
        (`expected_version`): if the settings changed since, it is refused rather than undo
        someone else's change."""

        def apply(programme: LoyaltyProgramme) -> TierSettings:
            if programme.tier_versions.is_stale(expected_version):
                raise InvalidTierSettings([f"The tier settings were {STALE_SETTINGS}"])
            programme.set_tiers(change(programme.tiers), at)
            return programme.tiers

        return self._change_programme(tenant_id, apply)

    def quote_tier_checkout(
        self,
        tenant_id: str,
        client_id: str,
        lines: Sequence[CheckoutLine],
        currency: str,
        *,
        code_discount: Callable[[int], int] | None,
        at: datetime,
    ) -> TierCheckout:
        """What the client's tier at `at` takes off a bill's lines (in `currency`), met with a
        code's discount (`code_discount(amount)`), under the tenant's stacking setting. Changes
        nothing."""
        for line in lines:
            check_money(line.amount_minor, currency)
        settings = self.programme(tenant_id).tier_settings_at(at)
        # Tiers off: no tier discount, whatever the first tier's would be.
        tier = replace(settings.tiers[0], treatment_discount_percent=0, product_discount_percent=0)
        if settings.enabled:
            standing = self.membership(tenant_id, client_id).standing(
                self.programme(tenant_id).tier_versions, at.date()
            )
            tier = settings.tier(standing.tier_id)
        return tier_checkout(settings, tier, lines, code_discount)

    def membership(self, tenant_id: str, client_id: str) -> Membership:
        """The client's membership as stored (an empty one if they have none yet)."""
        self.programme(tenant_id)
        try:
            found: Membership = self.repository.get(membership_id(tenant_id, client_id))
        except AggregateNotFoundError:
            return Membership(tenant_id=tenant_id, client_id=client_id)
        return found

    def tiers_ever_on(self, unit: UnitOfWork, tenant_id: str) -> bool:
        """Whether the tenant's tiers were ever switched on (else no client has a membership)."""
        versions = self.programme_for(unit, tenant_id).tier_versions
        return versions.ever(lambda settings: settings.enabled)

    def _membership_for(self, unit: UnitOfWork, tenant_id: str, client_id: str) -> Membership:
        membership = unit.get(membership_id(tenant_id, client_id), Membership)
        if membership is None:
            membership = Membership(tenant_id=tenant_id, client_id=client_id)
            unit.add(membership)
        return membership
