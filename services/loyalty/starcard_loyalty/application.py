"""LoyaltyService: the loyalty use cases, on its own event store (schema ``loyalty``).

Kafka records reach it through :meth:`apply_record` (one partition batch per transaction, see
``starcard_runtime.batching``); the gateway and the CLI call the settings and checkout use cases
directly.

Rewards and codes
    A reward's code lives in two aggregates: the client's `ClientLoyalty`, which owns the
    one-outstanding-reward rule and the queue behind it, and a `DiscountCode`, which the checkout
    finds from the code alone. Every use case that changes one changes the other in the same
    transaction (the partition batch's, or one ``save`` at checkout), so they always agree. Codes
    are drawn with `secrets.choice` (:meth:`LoyaltyService.new_code`).

Time
    Domain time comes from events, never from this process's clock, so a replay repeats itself.
    A code stops working at its ``expires_at`` (12 months after it fired); the expiry is *applied*
    (the code recorded as expired, the queue behind it released) when time is seen to pass it:

    a. lazily, by any later event of the client (a completion, a booking, a cancellation, a
       client update, a check-in) whose ``occurred_at`` is past the expiry;
    b. at checkout, at the checkout's moment (``at`` of :meth:`LoyaltyService.redeem`);
    c. by the daily clock tick: a ``ClockTicked`` on ``starcard.clock.v1`` (one per tenant and
       day, ``occurred_at`` the day's first instant, UTC) makes
       :meth:`LoyaltyService.expire_due_rewards_for_tick` expire the code of every client of the
       tenant whose outstanding code ran out by then. Those clients are found by one operational
       query over this service's own events table (:meth:`LoyaltyService.outstanding_codes_due`),
       run once a day; a client who never comes back still gets the next reward within a day.

    Whichever way time arrives, the same facts are recorded: the code expired at its
    ``expires_at``, and the next queued reward fired at that moment, valid 12 months from it.
    A quote is a question asked now: without an ``at`` it uses the current time.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.postgres import PostgresProcessRecorder
from psycopg.sql import SQL, Identifier
from starcard_runtime.batching import BatchApplication, UnitOfWork
from starcard_runtime.conflicts import retry_on_conflict
from starcard_runtime.records import InboundRecord

from starcard_loyalty.domain.attendance import AttendanceMilestone, AttendanceSettings, Source
from starcard_loyalty.domain.client import ClientLoyalty, IssuedReward
from starcard_loyalty.domain.codes import (
    DiscountCode,
    check_money,
    loyalty_code,
    normalize_code,
)
from starcard_loyalty.domain.counting import Appointment
from starcard_loyalty.domain.errors import (
    CodeAlreadyRedeemed,
    CodeExpired,
    CodeNotFound,
    UnknownTenant,
)
from starcard_loyalty.domain.ids import client_loyalty_id, discount_code_id, programme_id
from starcard_loyalty.domain.programme import LoyaltyProgramme, Milestone
from starcard_loyalty.handlers import handle_record

__all__ = ["LoyaltyService", "Quote", "Redemption", "UnknownTenant"]

T = TypeVar("T")

Fired = IssuedReward | None
"""The queued reward a redemption released, if any."""
Refused = CodeExpired | CodeAlreadyRedeemed
"""Why a checkout could not use a code, though it may have recorded the code's expiry."""

TENANTS = SQL("""
SELECT DISTINCT convert_from(state, 'UTF8')::jsonb ->> 'tenant_id' AS tenant_id
FROM {events} WHERE topic LIKE '%%:LoyaltyProgramme.Opened' ORDER BY 1
""")

OUTSTANDING_CODES_DUE = SQL("""
WITH rewards AS (
    SELECT originator_id, topic, convert_from(state, 'UTF8')::jsonb AS event
    FROM {events}
    WHERE topic LIKE '%%:ClientLoyalty.RewardIssued'
       OR topic LIKE '%%:ClientLoyalty.RewardRedeemed'
       OR topic LIKE '%%:ClientLoyalty.RewardExpired'
),
due AS (
    SELECT DISTINCT issued.originator_id
    FROM rewards AS issued
    WHERE issued.topic LIKE '%%.RewardIssued'
      AND issued.event ->> 'code' IS NOT NULL
      AND (issued.event -> 'expires_at' ->> '_data_')::timestamptz <= %(at)s
      AND NOT EXISTS (
          SELECT 1 FROM rewards AS settled
          WHERE settled.originator_id = issued.originator_id
            AND settled.topic NOT LIKE '%%.RewardIssued'
            AND settled.event ->> 'code' = issued.event ->> 'code'
      )
),
clients AS (
    SELECT convert_from(started.state, 'UTF8')::jsonb AS event
    FROM {events} AS started JOIN due USING (originator_id)
    WHERE started.topic LIKE '%%:ClientLoyalty.Started'
)
SELECT event ->> 'tenant_id' AS tenant_id, event ->> 'client_id' AS client_id
FROM clients
WHERE %(tenant_id)s::text IS NULL OR event ->> 'tenant_id' = %(tenant_id)s::text
ORDER BY 1, 2
""")
"""Clients whose outstanding code ran out by ``at``: a code issued and neither redeemed nor
expired. Events are stored by ``eventsourcing``'s JSON transcoder, so a datetime is
``{"_type_": "datetime_iso", "_data_": "<ISO 8601>"}``."""


@dataclass(frozen=True)
class Quote:
    """What a code takes off an amount at checkout, in minor units of `currency`."""

    code: str
    discount_percent: int
    discount_minor: int
    total_minor: int
    currency: str
    expires_at: datetime


@dataclass(frozen=True)
class Redemption(Quote):
    """A code used on a booking, and the queued reward that fired because of it, if any."""

    booking_id: str
    redeemed_at: datetime
    next_reward: IssuedReward | None


class LoyaltyService(BatchApplication):
    """Stars, milestones, rewards and codes, and the tenant's counting settings."""

    name = "loyalty"
    service_name: ClassVar[str] = "loyalty"

    def new_code(self) -> str:
        """A fresh loyalty code from a cryptographically secure source."""
        return loyalty_code(secrets.choice)

    # -- Kafka -------------------------------------------------------------------------------

    def apply_record(self, record: InboundRecord, unit: UnitOfWork) -> None:
        handle_record(self, record, unit)

    def prefetch_ids(self, records: Sequence[InboundRecord]) -> Iterable[UUID]:
        """Booking records are keyed ``tenant_id:client_id``: the key names the client's record."""
        for key in {record.key for record in records if record.key}:
            tenant_id, _, client_id = key.decode(errors="replace").partition(":")
            if client_id:
                yield client_loyalty_id(tenant_id, client_id)

    def programme_for(self, unit: UnitOfWork, tenant_id: str) -> LoyaltyProgramme:
        programme = unit.read(programme_id(tenant_id), LoyaltyProgramme)
        if programme is None:
            raise UnknownTenant(tenant_id)
        return programme

    def client_for(self, unit: UnitOfWork, tenant_id: str, client_id: str) -> ClientLoyalty:
        client = unit.get(client_loyalty_id(tenant_id, client_id), ClientLoyalty)
        if client is None:
            client = ClientLoyalty(tenant_id=tenant_id, client_id=client_id)
            unit.add(client)
        return client

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

    def redeem_code_from_booking(  # noqa: PLR0917 - the order the handlers and gateway agreed on
        self,
        unit: UnitOfWork,
        tenant_id: str,
        client_id: str,
        code: str,
        booking_id: str,
        at: datetime,
    ) -> IssuedReward | None:
        """ "A code used in a booking event's discounts counts as a redemption too, once."

        Idempotent by booking id, so a booking and its completion both carrying the code redeem
        it once. Raises what the checkout would (`CodeNotFound`, `CodeOfAnotherClient`,
        `CodeExpired`, `CodeAlreadyRedeemed`); an expiry it reveals is recorded all the same.
        Returns the queued reward that fired, if any.
        """
        self.programme_for(unit, tenant_id)
        discount = self._code_of_tenant(unit, tenant_id, normalize_code(code))
        discount.check_is_clients(client_id)
        client = self._client_with_code(unit, discount)
        self._expire_due(unit, client, at)
        return self._redeem(unit, client, discount, booking_id, at)

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
        tenant, when the tick is a tenant's), and fire the rewards queued behind them.

        Those clients' records are written by the partitions their keys hash to, so their cached
        copies may be stale: they are loaded fresh. A write that races one of those partitions
        is a version conflict, and the batch is re-run.
        """
        due = self.outstanding_codes_due(at, tenant_id)
        ids = [client_loyalty_id(tenant, client) for tenant, client in due]
        self.working_set.evict([each for each in ids if each not in unit.aggregates])
        unit.prefetch(ids)
        issued: list[IssuedReward] = []
        for tenant, client in due:
            issued += self.expire_due_rewards(unit, tenant, client, at)
        return issued

    def outstanding_codes_due(
        self, at: datetime, tenant_id: str | None = None
    ) -> list[tuple[str, str]]:
        """``(tenant_id, client_id)`` of every client whose outstanding code ran out by `at`.

        An operational query the service runs on its own schema once a day (for the clock tick):
        one scan of the reward events, no table of its own to keep in step with them.
        """
        recorder = self.recorder
        if not isinstance(recorder, PostgresProcessRecorder):
            msg = "the loyalty service runs on PostgreSQL"
            raise TypeError(msg)
        events = Identifier(recorder.datastore.schema, recorder.events_table_name)
        query = OUTSTANDING_CODES_DUE.format(events=events)
        with recorder.datastore.get_connection() as conn, conn.cursor() as cursor:
            cursor.execute(query, {"at": at, "tenant_id": tenant_id})
            return [(row["tenant_id"], row["client_id"]) for row in cursor.fetchall()]

    def tenant_ids(self) -> list[str]:
        """Every tenant with a programme (the clock scheduler ticks for each)."""
        recorder = self.recorder
        if not isinstance(recorder, PostgresProcessRecorder):
            msg = "the loyalty service runs on PostgreSQL"
            raise TypeError(msg)
        events = Identifier(recorder.datastore.schema, recorder.events_table_name)
        with recorder.datastore.get_connection() as conn, conn.cursor() as cursor:
            cursor.execute(TENANTS.format(events=events))
            return [row["tenant_id"] for row in cursor.fetchall()]

    # -- checkout (gateway) --------------------------------------------------------------

    def quote(
        self,
        tenant_id: str,
        client_id: str,
        code: str,
        amount_minor: int,
        currency: str,
        *,
        at: datetime | None = None,
    ) -> Quote:
        """What the client's code takes off `amount_minor`, if they can use it at `at` (now,
        unless given). Changes nothing: a code past its expiry is refused as expired here, and
        recorded as expired by the next redemption attempt, event or clock tick."""
        check_money(amount_minor, currency)
        moment = datetime.now(UTC) if at is None else at
        discount = self._stored_code(tenant_id, normalize_code(code))
        discount.check_redeemable(client_id, moment)
        return self._quote(discount, amount_minor, currency)

    def redeem(  # noqa: PLR0917 - the order the gateway's checkout agreed on
        self,
        tenant_id: str,
        client_id: str,
        code: str,
        booking_id: str,
        amount_minor: int,
        currency: str,
        at: datetime,
    ) -> Redemption:
        """Use the client's code on a booking at checkout; idempotent by booking id.

        The code and the client's record (and the code of the queued reward that fires) are
        saved together; a concurrent change (the client's partition, another checkout) is met by
        reloading and trying again. An expired code is refused with `CodeExpired`, after its
        expiry is recorded and the queue behind it released.
        """
        check_money(amount_minor, currency)
        code = normalize_code(code)

        def redeem(unit: UnitOfWork) -> tuple[Fired | Refused, DiscountCode, ClientLoyalty]:
            discount = self._code_of_tenant(unit, tenant_id, code)
            discount.check_is_clients(client_id)
            client = self._client_with_code(unit, discount)
            self._expire_due(unit, client, at)
            try:
                return self._redeem(unit, client, discount, booking_id, at), discount, client
            except (CodeExpired, CodeAlreadyRedeemed) as refusal:
                # Refused, but the expiry it revealed is saved all the same.
                return refusal, discount, client

        outcome, discount, client = retry_on_conflict(self, redeem)
        if isinstance(outcome, Refused):
            raise outcome
        if discount.redeemed_at is None:  # pragma: no cover - _redeem redeemed it
            raise AssertionError(code)
        quote = self._quote(discount, amount_minor, currency)
        return Redemption(
            code=quote.code,
            discount_percent=quote.discount_percent,
            discount_minor=quote.discount_minor,
            total_minor=quote.total_minor,
            currency=quote.currency,
            expires_at=quote.expires_at,
            booking_id=booking_id,
            redeemed_at=discount.redeemed_at,
            next_reward=outcome or client.reward_released_by(code),
        )

    # -- settings (gateway, CLI) ---------------------------------------------------------

    def open_programme(self, tenant_id: str, name: str) -> None:
        """Open the tenant's programme; opening it again changes nothing."""
        try:
            self.repository.get(programme_id(tenant_id))
        except AggregateNotFoundError:
            self.save(LoyaltyProgramme(tenant_id=tenant_id, name=name))

    def programme(self, tenant_id: str) -> LoyaltyProgramme:
        try:
            programme: LoyaltyProgramme = self.repository.get(programme_id(tenant_id))
        except AggregateNotFoundError:
            raise UnknownTenant(tenant_id) from None
        return programme

    def add_milestone(
        self,
        tenant_id: str,
        *,
        session_count: int,
        message: str,
        discount_percent: int | None,
        min_minutes: int,
    ) -> Milestone:
        milestone_id = str(uuid.uuid4())

        def add(programme: LoyaltyProgramme) -> Milestone:
            programme.add_milestone(
                milestone_id, session_count, message, discount_percent, min_minutes
            )
            return programme.milestones[milestone_id]

        return self._change_programme(tenant_id, add)

    def edit_milestone(
        self,
        tenant_id: str,
        milestone_id: str,
        *,
        session_count: int,
        message: str,
        discount_percent: int | None,
        min_minutes: int,
    ) -> Milestone:
        def edit(programme: LoyaltyProgramme) -> Milestone:
            programme.edit_milestone(
                milestone_id, session_count, message, discount_percent, min_minutes
            )
            return programme.milestones[milestone_id]

        return self._change_programme(tenant_id, edit)

    def set_milestone_active(self, tenant_id: str, milestone_id: str, *, active: bool) -> Milestone:
        def toggle(programme: LoyaltyProgramme) -> Milestone:
            programme.set_milestone_active(milestone_id, active)
            return programme.milestones[milestone_id]

        return self._change_programme(tenant_id, toggle)

    def delete_milestone(self, tenant_id: str, milestone_id: str) -> None:
        self._change_programme(tenant_id, lambda p: p.delete_milestone(milestone_id))

    def set_count_discounted_sessions(self, tenant_id: str, *, enabled: bool) -> None:
        self._change_programme(tenant_id, lambda p: p.set_count_discounted_sessions(enabled))

    def set_attendance_counting(
        self, tenant_id: str, *, source: Source, kinds: Iterable[str]
    ) -> AttendanceSettings:
        wanted = frozenset(kinds)

        def change(programme: LoyaltyProgramme) -> AttendanceSettings:
            programme.set_attendance_counting(source, wanted)
            return programme.attendance

        return self._change_programme(tenant_id, change)

    def put_attendance_milestone(
        self, tenant_id: str, milestone: AttendanceMilestone
    ) -> AttendanceMilestone:
        """Add an attendance automation (give it a new id) or change one."""

        def put(programme: LoyaltyProgramme) -> AttendanceMilestone:
            programme.put_attendance_milestone(milestone)
            return programme.attendance_milestones[milestone.milestone_id]

        return self._change_programme(tenant_id, put)

    def change_attendance_milestone(
        self, tenant_id: str, milestone_id: str, **changes: Any
    ) -> AttendanceMilestone:
        """Change some fields of an automation (or whether it is active), on the programme as
        it is when the change is saved."""
        return self._change_programme(
            tenant_id, lambda p: p.change_attendance_milestone(milestone_id, **changes)
        )

    def delete_attendance_milestone(self, tenant_id: str, milestone_id: str) -> None:
        self._change_programme(tenant_id, lambda p: p.delete_attendance_milestone(milestone_id))

    def set_original_count(self, tenant_id: str, client_id: str, count: int, at: datetime) -> int:
        """The client's "original milestone": classes before Starcard, added to their total.

        The client's record is written by their partition too: a concurrent change is met by
        reloading and trying again. Returns the client's total under the settings now.
        """

        def set_count(unit: UnitOfWork) -> int:
            rules = self.programme_for(unit, tenant_id).rules()
            client = self.client_for(unit, tenant_id, client_id)
            self._expire_due(unit, client, at)
            fired = client.set_original_count(count, at, rules, self.new_code)
            self._add_codes(unit, client, fired)
            return client.attendance_count(rules)

        return retry_on_conflict(self, set_count)

    def _change_programme(self, tenant_id: str, change: Callable[[LoyaltyProgramme], T]) -> T:
        """Apply a settings change, re-reading and retrying if another one got there first."""

        def apply(unit: UnitOfWork) -> T:
            programme = unit.get(programme_id(tenant_id), LoyaltyProgramme)
            if programme is None:
                raise UnknownTenant(tenant_id)
            return change(programme)

        return retry_on_conflict(self, apply)

    # -- rewards and codes, kept in step -----------------------------------------------------

    def _expire_due(
        self, unit: UnitOfWork, client: ClientLoyalty, at: datetime
    ) -> list[IssuedReward]:
        """Expire the client's codes that ran out by `at`, on both aggregates; the rewards the
        queue released are issued with codes of their own."""
        issued = []
        while client.has_expired_reward(at):
            expiring = client.outstanding_code
            fired = client.expire_reward(at, self.new_code)
            if expiring is not None:
                self._discount_code(unit, expiring).expire(at)
            if fired is not None:
                self._add_codes(unit, client, [fired])
                issued.append(fired)
        return issued

    def _redeem(
        self,
        unit: UnitOfWork,
        client: ClientLoyalty,
        discount: DiscountCode,
        booking_id: str,
        at: datetime,
    ) -> IssuedReward | None:
        """Redeem on both aggregates; both refuse before either changes."""
        if discount.booking_id == booking_id:
            return None
        discount.check_redeemable(client.client_id, at)
        fired = client.redeem_reward(discount.code, booking_id, at, self.new_code)
        discount.redeem(booking_id, client.client_id, at)
        if fired is not None:
            self._add_codes(unit, client, [fired])
        return fired

    @staticmethod
    def _add_codes(
        unit: UnitOfWork, client: ClientLoyalty, rewards: Iterable[IssuedReward]
    ) -> None:
        for reward in rewards:
            if reward.code is None or reward.discount_percent is None:
                continue
            if reward.expires_at is None:  # pragma: no cover - a code always has an expiry
                raise AssertionError(reward)
            unit.add(
                DiscountCode(
                    code=reward.code,
                    tenant_id=client.tenant_id,
                    client_id=client.client_id,
                    discount_percent=reward.discount_percent,
                    milestone_id=reward.milestone_id,
                    issued_at=reward.issued_at,
                    expires_at=reward.expires_at,
                )
            )

    @staticmethod
    def _discount_code(unit: UnitOfWork, code: str) -> DiscountCode:
        discount = unit.get(discount_code_id(code), DiscountCode)
        if discount is None:
            raise CodeNotFound(code)
        return discount

    def _code_of_tenant(self, unit: UnitOfWork, tenant_id: str, code: str) -> DiscountCode:
        """The tenant's code; another tenant's is not found, exactly like one never issued."""
        discount = self._discount_code(unit, code)
        if discount.tenant_id != tenant_id:
            raise CodeNotFound(code)
        return discount

    def _stored_code(self, tenant_id: str, code: str) -> DiscountCode:
        """The tenant's code as stored now (for a quote, which changes nothing)."""
        try:
            discount: DiscountCode = self.repository.get(discount_code_id(code))
        except AggregateNotFoundError:
            raise CodeNotFound(code) from None
        if discount.tenant_id != tenant_id:
            raise CodeNotFound(code)
        return discount

    @staticmethod
    def _client_with_code(unit: UnitOfWork, discount: DiscountCode) -> ClientLoyalty:
        client = unit.get(client_loyalty_id(discount.tenant_id, discount.client_id), ClientLoyalty)
        if client is None:  # pragma: no cover - a code is saved with its client's record
            raise CodeNotFound(discount.code)
        return client

    @staticmethod
    def _quote(discount: DiscountCode, amount_minor: int, currency: str) -> Quote:
        off = discount.discount_on(amount_minor)
        return Quote(
            code=discount.code,
            discount_percent=discount.discount_percent,
            discount_minor=off,
            total_minor=amount_minor - off,
            currency=currency,
            expires_at=discount.expires_at,
        )
