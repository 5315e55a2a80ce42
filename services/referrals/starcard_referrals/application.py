"""ReferralsService: the referral use cases, on its own event store (schema ``referrals``).

Kafka records reach it through :meth:`apply_record` (one partition batch per transaction, see
``starcard_runtime.batching``): link visits from ``referral.visits.v1`` (keyed by the link's code)
and bookings and completions from ``booking.events.v1`` (keyed by client). The gateway calls the
portal, settings and checkout use cases directly.

Writers
    A `ReferralLink`'s visits are written by its code's partition, a `Referee` by its client's.
    A referrer's `CreditAccount` is written by the partitions of the clients they referred, by
    their own partition (a booking that reports a credit used) and by the checkout; a
    `WelcomeCode` by its client's partition and the checkout. Those writes meet as version
    conflicts in the event store, and the loser reloads and runs again (the batch runtime evicts
    its cached copies; the checkout retries), so no credit is lost or given twice.

Time
    From events: a referral's reward is given at the moment of the booking or completion that
    met the trigger, and a welcome code is valid 12 months from the booking that earned it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import UUID

import structlog
from eventsourcing.application import AggregateNotFoundError
from starcard_events.referral_facts import ReferralStage
from starcard_kernel.codes import code_expiry, normalize_code
from starcard_kernel.money import check_money
from starcard_runtime.batching import BatchApplication, UnitOfWork
from starcard_runtime.conflicts import retry_on_conflict
from starcard_runtime.records import InboundRecord
from starcard_runtime.tenant_codes import code_in_batch, stored_code

from starcard_referrals.domain.credits import Available, CreditAccount, CreditUse
from starcard_referrals.domain.errors import UnknownReferralCode, UnknownTenant
from starcard_referrals.domain.ids import (
    client_link_id,
    credit_account_id,
    link_id,
    programme_id,
    referee_id,
)
from starcard_referrals.domain.links import ClientLink, ReferralLink, VisitOutcome, referral_code
from starcard_referrals.domain.programme import Delivery, ReferralProgramme, ReferralSettings
from starcard_referrals.domain.referee import Referee
from starcard_referrals.domain.welcome import WelcomeCode, welcome_code
from starcard_referrals.handlers import handle_record

__all__ = ["CodeQuote", "Link", "ReferralsService", "UnknownTenant", "WelcomeRedemption"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Link:
    """A client's referral link: its code, and its URL once the booking page is set."""

    code: str
    url: str | None
    created_at: datetime


@dataclass(frozen=True)
class CodeQuote:
    """What a welcome code takes off an amount, in minor units of `currency`."""

    code: str
    discount_minor: int
    total_minor: int
    currency: str
    expires_at: datetime
    percent: int | None
    amount_minor: int | None


@dataclass(frozen=True)
class WelcomeRedemption(CodeQuote):
    """A welcome code used on a booking, and when it was first used."""

    booking_id: str
    redeemed_at: datetime


class ReferralsService(BatchApplication):
    """Links, referral stages, rewards, credits and welcome codes, and the tenant's settings."""

    name = "referrals"
    service_name: ClassVar[str] = "referrals"

    def new_link_code(self) -> str:
        return referral_code(secrets.token_urlsafe)

    def new_welcome_code(self) -> str:
        return welcome_code(secrets.choice)

    # -- Kafka -------------------------------------------------------------------------------

    def apply_record(self, record: InboundRecord, unit: UnitOfWork) -> None:
        handle_record(self, record, unit)

    def prefetch_ids(self, records: Sequence[InboundRecord]) -> Iterable[UUID]:
        """Booking records are keyed by client, visits by code: the key names the aggregate."""
        visits = any(record.topic.endswith("referral.visits.v1") for record in records)
        for key in {record.key for record in records if record.key}:
            tenant_id, _, rest = key.decode(errors="replace").partition(":")
            if rest:
                yield link_id(tenant_id, rest) if visits else referee_id(tenant_id, rest)

    def settings_for(self, unit: UnitOfWork, tenant_id: str) -> ReferralSettings:
        programme = unit.read(programme_id(tenant_id), ReferralProgramme)
        if programme is None:
            raise UnknownTenant(tenant_id)
        return programme.settings

    def record_visit(
        self, unit: UnitOfWork, tenant_id: str, code: str, visitor_id: str, at: datetime
    ) -> VisitOutcome | None:
        """Someone followed a link: invited (or nobody, when it was the link's own client)."""
        self.settings_for(unit, tenant_id)
        link = unit.get(link_id(tenant_id, code), ReferralLink)
        if link is None:
            raise UnknownReferralCode(code)
        return link.record_visit(visitor_id, at)

    def record_booking(
        self,
        unit: UnitOfWork,
        tenant_id: str,
        client_id: str,
        booking_id: str,
        at: datetime,
        *,
        code: str | None = None,
        visitor_id: str | None = None,
        back_to_back_group: str | None = None,
    ) -> Referee:
        """A booking of the client: the first one makes them known; one through a link books
        the referral (or records why not), and gives what being booked earns."""
        settings = self.settings_for(unit, tenant_id)
        referee = self._referee(unit, tenant_id, client_id, booking_id, at, back_to_back_group)
        before = referee.stage
        self._book_through(unit, referee, booking_id, at, code, visitor_id, back_to_back_group)
        self._reward(unit, referee, settings, before)
        return referee

    def record_completion(
        self,
        unit: UnitOfWork,
        tenant_id: str,
        client_id: str,
        booking_id: str,
        at: datetime,
        *,
        paid: bool,
        code: str | None = None,
        visitor_id: str | None = None,
        back_to_back_group: str | None = None,
    ) -> Referee:
        """An appointment of the client was completed: as a booking (it may carry the code, or
        be the first event seen of it), and, when paid, as the referral's completion."""
        settings = self.settings_for(unit, tenant_id)
        referee = self._referee(unit, tenant_id, client_id, booking_id, at, back_to_back_group)
        before = referee.stage
        self._book_through(unit, referee, booking_id, at, code, visitor_id, back_to_back_group)
        if paid:
            referee.record_paid_completion(at)
        self._reward(unit, referee, settings, before)
        return referee

    def apply_credit_from_booking(
        self,
        unit: UnitOfWork,
        tenant_id: str,
        client_id: str,
        booking_id: str,
        at: datetime,
        *,
        price_minor: int,
        currency: str,
        reported_minor: int,
    ) -> CreditUse:
        """A booking reports credit taken off: use it (at most what was reported), once."""
        self.settings_for(unit, tenant_id)
        account = unit.get(credit_account_id(tenant_id, client_id), CreditAccount, fresh=True)
        if account is None:
            use = CreditUse(booking_id, 0, currency, ())
        else:
            use = account.apply(booking_id, price_minor, currency, at, cap_minor=reported_minor)
        if use.amount_minor < reported_minor:
            log.warning(
                "booking reports more credit than the client has",
                tenant_id=tenant_id,
                booking_id=booking_id,
                reported_minor=reported_minor,
                applied_minor=use.amount_minor,
            )
        return use

    def redeem_welcome_from_booking(
        self,
        unit: UnitOfWork,
        tenant_id: str,
        client_id: str,
        *,
        code: str,
        booking_id: str,
        at: datetime,
    ) -> None:
        """A booking used a welcome code: redeemed once (raises what the checkout would)."""
        self.settings_for(unit, tenant_id)
        code_in_batch(unit, WelcomeCode, tenant_id, normalize_code(code), fresh=True).redeem(
            booking_id, client_id, at
        )

    @staticmethod
    def _referee(  # noqa: PLR0917 - the booking's fields, in the order they are read
        unit: UnitOfWork,
        tenant_id: str,
        client_id: str,
        booking_id: str,
        at: datetime,
        group: str | None,
    ) -> Referee:
        referee = unit.get(referee_id(tenant_id, client_id), Referee)
        if referee is None:
            referee = Referee(
                tenant_id=tenant_id,
                client_id=client_id,
                booking_id=booking_id,
                seen_at=at,
                back_to_back_group=group,
            )
            unit.add(referee)
        return referee

    @staticmethod
    def _book_through(  # noqa: PLR0917 - the booking's fields, in the order they are read
        unit: UnitOfWork,
        referee: Referee,
        booking_id: str,
        at: datetime,
        code: str | None,
        visitor_id: str | None,
        group: str | None,
    ) -> None:
        if code is None:
            return
        link = unit.read(link_id(referee.tenant_id, code), ReferralLink)
        if link is None:
            # The booking stands; only the referral cannot be made. No code in the log: it is
            # the key to someone's link.
            log.warning("booking names an unknown referral code", tenant_id=referee.tenant_id)
            return
        referee.book_through(
            code=code,
            referrer_client_id=link.client_id,
            booking_id=booking_id,
            visitor_id=visitor_id,
            at=at,
            back_to_back_group=group,
        )

    def _reward(
        self,
        unit: UnitOfWork,
        referee: Referee,
        settings: ReferralSettings,
        stage_before: ReferralStage | None,
    ) -> None:
        """Give what the referral earned by moving on from `stage_before`, under `settings`:
        the welcome code when it was just booked, the referrer's reward when it just met the
        trigger. Nothing moved, nothing earned."""
        if referee.stage is stage_before:
            return
        booked_at = referee.booked_at
        if stage_before is None and booked_at is not None and referee.welcome_due(settings):
            code = self.new_welcome_code()
            expires_at = code_expiry(booked_at)
            referee.give_welcome_code(code, settings.reward, booked_at, expires_at)
            unit.add(
                WelcomeCode(
                    code=code,
                    tenant_id=referee.tenant_id,
                    client_id=referee.client_id,
                    value=settings.reward.as_event(),
                    issued_at=booked_at,
                    expires_at=expires_at,
                )
            )
        rewarded_at = referee.reward_referrer(settings)
        referrer = referee.referrer_client_id
        if rewarded_at is None or referrer is None or settings.delivery is not Delivery.CREDIT:
            return
        account_id = credit_account_id(referee.tenant_id, referrer)
        account = unit.get(account_id, CreditAccount, fresh=True)
        if account is None:
            account = CreditAccount(tenant_id=referee.tenant_id, client_id=referrer)
            unit.add(account)
        account.issue(referee.client_id, settings.reward, rewarded_at)

    # -- portal (gateway) --------------------------------------------------------------------

    def link_for(self, tenant_id: str, client_id: str, at: datetime | None = None) -> Link:
        """The client's link, made the first time it is asked for (concurrent first asks make
        one link: the second save meets the first's `ClientLink` and reads it)."""
        settings = self.programme(tenant_id).settings

        def find_or_make(unit: UnitOfWork) -> Link:
            own = unit.read(client_link_id(tenant_id, client_id), ClientLink)
            if own is not None:
                found: ReferralLink = self.repository.get(link_id(tenant_id, own.code))
                return Link(own.code, settings.link_url(own.code), found.created_at)
            code = self.new_link_code()
            made = at or datetime.now(UTC)
            unit.add(ClientLink(tenant_id=tenant_id, client_id=client_id, code=code))
            unit.add(
                ReferralLink(tenant_id=tenant_id, code=code, client_id=client_id, created_at=made)
            )
            return Link(code, settings.link_url(code), made)

        return retry_on_conflict(self, find_or_make)

    def available_credit(self, tenant_id: str, client_id: str) -> Available:
        return self._account(tenant_id, client_id).available()

    # -- checkout (gateway) --------------------------------------------------------------

    def quote_credit(
        self, tenant_id: str, client_id: str, amount_minor: int, currency: str
    ) -> CreditUse:
        """What the client's credit would take off `amount_minor`; changes nothing."""
        check_money(amount_minor, currency)
        self.programme(tenant_id)
        return self._account(tenant_id, client_id).plan("", amount_minor, currency)

    def apply_credit(
        self,
        tenant_id: str,
        client_id: str,
        *,
        booking_id: str,
        amount_minor: int,
        currency: str,
        at: datetime,
    ) -> CreditUse:
        """Use the client's credit on a booking; idempotent by booking id."""
        check_money(amount_minor, currency)
        self.programme(tenant_id)

        def apply(unit: UnitOfWork) -> CreditUse:
            account = unit.get(credit_account_id(tenant_id, client_id), CreditAccount)
            if account is None:
                return CreditUse(booking_id, 0, currency, ())
            return account.apply(booking_id, amount_minor, currency, at)

        return retry_on_conflict(self, apply)

    def quote_code(
        self,
        tenant_id: str,
        client_id: str,
        *,
        code: str,
        booking_id: str | None,
        amount_minor: int,
        currency: str,
        at: datetime | None = None,
    ) -> CodeQuote:
        """What the client's welcome code takes off `amount_minor`; changes nothing."""
        check_money(amount_minor, currency)
        welcome = stored_code(self, WelcomeCode, tenant_id, normalize_code(code))
        welcome.check_redeemable(client_id, at or datetime.now(UTC), booking_id)
        return self._code_quote(welcome, amount_minor, currency)

    def redeem_code(
        self,
        tenant_id: str,
        client_id: str,
        *,
        code: str,
        booking_id: str,
        amount_minor: int,
        currency: str,
        at: datetime,
    ) -> WelcomeRedemption:
        """Use the client's welcome code on a booking; idempotent by booking id."""
        check_money(amount_minor, currency)
        code = normalize_code(code)

        def redeem(unit: UnitOfWork) -> WelcomeCode:
            welcome = code_in_batch(unit, WelcomeCode, tenant_id, code, fresh=True)
            welcome.value.off(amount_minor, currency)  # refuses another currency before use
            welcome.redeem(booking_id, client_id, at)
            return welcome

        welcome = retry_on_conflict(self, redeem)
        quote = self._code_quote(welcome, amount_minor, currency)
        return WelcomeRedemption(
            **vars(quote), booking_id=booking_id, redeemed_at=welcome.redeemed_at or at
        )

    # -- settings (gateway, CLI) ---------------------------------------------------------

    def open_programme(self, tenant_id: str, name: str) -> None:
        """Open the tenant's programme; opening it again changes nothing."""
        try:
            self.repository.get(programme_id(tenant_id))
        except AggregateNotFoundError:
            self.save(ReferralProgramme(tenant_id=tenant_id, name=name))

    def programme(self, tenant_id: str) -> ReferralProgramme:
        try:
            programme: ReferralProgramme = self.repository.get(programme_id(tenant_id))
        except AggregateNotFoundError:
            raise UnknownTenant(tenant_id) from None
        return programme

    def change_settings(self, tenant_id: str, **changes: Any) -> ReferralSettings:
        """Change some settings, re-reading and retrying if another change got there first."""

        def change(unit: UnitOfWork) -> ReferralSettings:
            programme = unit.get(programme_id(tenant_id), ReferralProgramme)
            if programme is None:
                raise UnknownTenant(tenant_id)
            return programme.change(**changes)

        return retry_on_conflict(self, change)

    def _account(self, tenant_id: str, client_id: str) -> CreditAccount:
        try:
            account: CreditAccount = self.repository.get(credit_account_id(tenant_id, client_id))
        except AggregateNotFoundError:
            return CreditAccount(tenant_id=tenant_id, client_id=client_id)
        return account

    @staticmethod
    def _code_quote(welcome: WelcomeCode, amount_minor: int, currency: str) -> CodeQuote:
        off = welcome.value.off(amount_minor, currency)
        return CodeQuote(
            code=welcome.code,
            discount_minor=off,
            total_minor=amount_minor - off,
            currency=currency,
            expires_at=welcome.expires_at,
            percent=welcome.value.percent,
            amount_minor=welcome.value.amount_minor,
        )
