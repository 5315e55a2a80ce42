"""LoyaltyService: the loyalty use cases, on its own event store (schema ``loyalty``).

Kafka records reach it through :meth:`apply_record` (one partition batch per transaction, see
``starcard_runtime.batching``) and become the use cases below; the gateway and the CLI call the
checkout use cases (``checkout``) and the settings use cases (``programme_settings``) on the same
object. A client's rewards and their codes are kept in step by ``rewards_and_codes``.

Time
    Domain time comes from events, never from this process's clock, so a replay repeats itself.
    A code stops working at its ``expires_at`` (12 months after it fired); the expiry is *applied*
    (the code recorded as expired, the queue behind it released) when time is seen to pass it:

    a. lazily, by any later event of the client (a completion, a booking, a cancellation, a
       client update, a check-in) whose ``occurred_at`` is past the expiry;
    b. at checkout, at the checkout's moment (``at`` of :meth:`LoyaltyService.redeem`);
    c. by the daily clock tick: a ``ClockTicked`` on ``starcard.clock.v1`` (one per tenant and
       day of its time zone, ``occurred_at`` the first instant of that day there) makes
       :meth:`LoyaltyService.expire_due_rewards_for_tick` expire the code of every client of the
       tenant whose outstanding code ran out by then. Those clients are found by one operational
       query over this service's own events table (``store_queries``), run once a day; a client
       who never comes back still gets the next reward within a day.

    Whichever way time arrives, the same facts are recorded: the code expired at its
    ``expires_at``, and the next queued reward fired at that moment, valid 12 months from it.
    A quote is a question asked now: without an ``at`` it uses the current time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import ClassVar
from uuid import UUID

from starcard_runtime.batching import UnitOfWork
from starcard_runtime.records import InboundRecord

from starcard_loyalty import store_queries
from starcard_loyalty.checkout import CheckoutUseCases
from starcard_loyalty.domain.client import ClientLoyalty
from starcard_loyalty.domain.counting import Appointment
from starcard_loyalty.domain.ids import (
    client_loyalty_id,
    membership_id,
    package_holdings_id,
    points_account_id,
)
from starcard_loyalty.domain.locale_settings import TimeSettings
from starcard_loyalty.domain.rewards import IssuedReward
from starcard_loyalty.handlers import handle_record
from starcard_loyalty.packages import PackageUseCases

__all__ = ["LoyaltyService"]


class LoyaltyService(CheckoutUseCases, PackageUseCases):
    """Stars, milestones, rewards and codes, points, tiers, packages, and the tenant's
    programme settings."""

    name = "loyalty"
    service_name: ClassVar[str] = "loyalty"

    def apply_record(self, record: InboundRecord, unit: UnitOfWork) -> None:
        handle_record(self, record, unit)

    def prefetch_ids(self, records: Sequence[InboundRecord]) -> Iterable[UUID]:
        """Booking records are keyed ``tenant_id:client_id``: the key names the client's record."""
        for key in {record.key for record in records if record.key}:
            tenant_id, _, client_id = key.decode(errors="replace").partition(":")
            if client_id:
                yield client_loyalty_id(tenant_id, client_id)
                yield points_account_id(tenant_id, client_id)
                yield membership_id(tenant_id, client_id)
                yield package_holdings_id(tenant_id, client_id)

    def record_appointment(
        self, unit: UnitOfWork, tenant_id: str, appointment: Appointment
    ) -> list[IssuedReward]:
        """A completed appointment: counted once per booking, milestones reached and rewarded.

        Returns the rewards issued (a code each with a discount); queued ones wait in the
        client's record.
        """
        rules = self.programme_for(unit, tenant_id).rules()
        client = self.client_for(unit, tenant_id, appointment.client_id)
        issued = self._expire_due(unit, client, appointment.occurred_at)
        fired = client.record_appointment(appointment, rules, self.new_code)
        self._add_codes(unit, client, fired)
        return issued + fired

    def record_booking(
        self,
        unit: UnitOfWork,
        tenant_id: str,
        client_id: str,
        booking_id: str,
        *,
        kind: str,
        starts_at: datetime,
        at: datetime,
    ) -> list[IssuedReward]:
        """A booking made: noted for attendance counting; automations it makes due fire."""
        rules = self.programme_for(unit, tenant_id).rules()
        client = self.client_for(unit, tenant_id, client_id)
        issued = self._expire_due(unit, client, at)
        fired = client.note_booking(
            booking_id,
            kind=kind,
            starts_at=starts_at,
            occurred_at=at,
            rules=rules,
            new_code=self.new_code,
        )
        self._add_codes(unit, client, fired)
        return issued + fired

    def record_check_in(
        self, unit: UnitOfWork, tenant_id: str, client_id: str, booking_id: str, at: datetime
    ) -> list[IssuedReward]:
        """The client checked in to a class: attended; automations it makes due fire."""
        rules = self.programme_for(unit, tenant_id).rules()
        client = self.client_for(unit, tenant_id, client_id)
        issued = self._expire_due(unit, client, at)
        fired = client.check_in(booking_id, at, rules, self.new_code)
        self._add_codes(unit, client, fired)
        return issued + fired

    def record_cancellation(
        self, unit: UnitOfWork, tenant_id: str, client_id: str, booking_id: str, at: datetime
    ) -> None:
        self.programme_for(unit, tenant_id)
        client = self.client_for(unit, tenant_id, client_id)
        self._expire_due(unit, client, at)
        client.record_cancellation(booking_id, at)

    def record_labels(
        self,
        unit: UnitOfWork,
        tenant_id: str,
        client_id: str,
        *,
        has_label_discount: bool,
        at: datetime,
    ) -> None:
        self.programme_for(unit, tenant_id)
        client = self.client_for(unit, tenant_id, client_id)
        self._expire_due(unit, client, at)
        client.update_labels(has_label_discount, at)

    def check_tenant(self, unit: UnitOfWork, tenant_id: str) -> None:
        """Records of an unknown tenant are refused, even those loyalty ignores."""
        self.programme_for(unit, tenant_id)

    def expire_due_rewards(
        self, unit: UnitOfWork, tenant_id: str, client_id: str, at: datetime
    ) -> list[IssuedReward]:
        """Expire the client's outstanding code if it ran out by `at`, releasing the queue.

        Returns the queued rewards that fired. A client with no record yet has nothing to expire.
        """
        self.programme_for(unit, tenant_id)
        client = unit.get(client_loyalty_id(tenant_id, client_id), ClientLoyalty)
        if client is None:
            return []
        return self._expire_due(unit, client, at)

    def expire_due_rewards_for_tick(
        self, unit: UnitOfWork, at: datetime, tenant_id: str | None = None
    ) -> list[IssuedReward]:
        """The daily clock tick: expire every outstanding code that ran out by `at` (of one
        tenant, when the tick is a tenant's), and fire the rewards queued behind them (the
        clients' records loaded fresh: see `load_fresh`)."""
        due = self.outstanding_codes_due(at, tenant_id)
        ids = [client_loyalty_id(tenant, client) for tenant, client in due]
        self.load_fresh(unit, ids)
        issued: list[IssuedReward] = []
        for tenant, client in due:
            issued += self.expire_due_rewards(unit, tenant, client, at)
        return issued

    def outstanding_codes_due(
        self, at: datetime, tenant_id: str | None = None
    ) -> list[tuple[str, str]]:
        """``(tenant_id, client_id)`` of every client whose outstanding code ran out by `at`."""
        return store_queries.outstanding_codes_due(self, at, tenant_id)

    def tenants_time_settings(self) -> dict[str, TimeSettings]:
        """Every tenant with a programme, with its time settings (the clock scheduler ticks for
        each, in its time zone)."""
        return {
            tenant_id: TimeSettings() if stored is None else TimeSettings.from_record(stored)
            for tenant_id, stored in store_queries.tenants_time_settings(self).items()
        }
