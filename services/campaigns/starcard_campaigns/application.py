"""CampaignsService: the campaign use cases, on its own event store (schema ``campaigns``).

Kafka records reach it through :meth:`apply_record` (one partition batch per transaction, see
``starcard_runtime.batching``): the clients' records and completed appointments from
``booking.events.v1`` (keyed by client) and the days from ``starcard.clock.v1`` (keyed by
tenant). The gateway and the CLI call the settings use cases directly, and the gateway's
checkout quotes and redeems the campaign codes.

Writers
    A `ClientCalendar` is written by its client's partition; the tick only reads it. A
    `BirthdayReward` and its `CampaignCode` are written by the tick of the tenant's clock
    partition, and their ids (the reward's by client and year, the code's by the code) make a
    second grant a version conflict rather than a second reward. The `CampaignProgramme` is
    written by the settings use cases, read fresh by each batch that needs it.

Time
    From events: a birthday reward is issued at the moment of the tick that found it due (its
    ``occurred_at``), for the day the tick names, never at this process's clock.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from starcard_kernel.codes import normalize_code
from starcard_kernel.money import check_money
from starcard_runtime.batching import BatchApplication, UnitOfWork
from starcard_runtime.conflicts import retry_on_conflict
from starcard_runtime.records import InboundRecord
from starcard_runtime.tenant_codes import code_in_batch, stored_code

from starcard_campaigns import calendar_queries
from starcard_campaigns.domain.birthdays import (
    MonthDay,
    celebration_due,
    month_days_celebrated_between,
)
from starcard_campaigns.domain.calendar import ClientCalendar
from starcard_campaigns.domain.codes import Campaign, CampaignCode, campaign_code
from starcard_campaigns.domain.errors import UnknownTenant
from starcard_campaigns.domain.ids import birthday_reward_id, client_calendar_id, programme_id
from starcard_campaigns.domain.programme import BirthdaySettings, CampaignProgramme
from starcard_campaigns.domain.rewards import BirthdayReward
from starcard_campaigns.handlers import handle_record

__all__ = ["CampaignQuote", "CampaignRedemption", "CampaignsService"]


@dataclass(frozen=True)
class CampaignQuote:
    """What a campaign code takes off an amount, in minor units of `currency`."""

    code: str
    campaign: Campaign
    discount_percent: int
    discount_minor: int
    total_minor: int
    currency: str
    expires_at: datetime


@dataclass(frozen=True)
class CampaignRedemption(CampaignQuote):
    """A campaign code used on a booking, and when it was first used."""

    booking_id: str
    redeemed_at: datetime


class CampaignsService(BatchApplication):
    """Birthday rewards (and, later, anniversaries and re-engagement) on the clock."""

    name = "campaigns"
    service_name: ClassVar[str] = "campaigns"

    def new_code(self) -> str:
        return campaign_code(secrets.choice)

    # -- Kafka -------------------------------------------------------------------------------

    def apply_record(self, record: InboundRecord, unit: UnitOfWork) -> None:
        handle_record(self, record, unit)

    def prefetch_ids(self, records: Sequence[InboundRecord]) -> Iterable[UUID]:
        """Booking records are keyed by client (``tenant:client``), and name the client's
        calendar; clock records are keyed by tenant and name nothing a batch writes by key."""
        for key in {record.key for record in records if record.key}:
            tenant_id, _, client_id = key.decode(errors="replace").partition(":")
            if client_id:
                yield client_calendar_id(tenant_id, client_id)

    def note_client(
        self, unit: UnitOfWork, tenant_id: str, client_id: str, birthday: MonthDay | None
    ) -> None:
        """The client's record as the platform holds it now: note its birthday (None: none, or
        no longer). Noted whether or not the tenant runs the campaign yet, so opting in later
        finds the birthdays already known."""
        calendar = unit.get(client_calendar_id(tenant_id, client_id), ClientCalendar)
        if calendar is None:
            if birthday is None:
                return  # nothing to note of a client never seen with a birthday
            calendar = self._open_calendar(unit, tenant_id, client_id)
        calendar.note_birthday(birthday)

    def note_completion(self, unit: UnitOfWork, tenant_id: str, client_id: str, day: date) -> None:
        """A treatment of the client on `day`: the earliest known is their first (the
        anniversary campaign's day)."""
        calendar = unit.get(client_calendar_id(tenant_id, client_id), ClientCalendar)
        if calendar is None:
            calendar = self._open_calendar(unit, tenant_id, client_id)
        calendar.note_treatment(day)

    def birthdays_tick(self, unit: UnitOfWork, tenant_id: str, day: date, at: datetime) -> None:
        """The tick of `day`: every client whose birthday is celebrated within the tenant's
        `days_before` of it gets the year's reward, unless they have it already. Candidates are
        found by one query of the store, their calendars (written by the clients' partitions)
        read fresh in one more, and their rewards of the year in a third."""
        programme = unit.read(programme_id(tenant_id), CampaignProgramme)
        if programme is None or not programme.birthday.enabled:
            return  # the scheduler ticks for every tenant, whatever campaigns they run
        settings = programme.birthday
        window = month_days_celebrated_between(day, day + timedelta(days=settings.days_before))
        candidates = calendar_queries.clients_with_birthday_in(self, tenant_id, window)
        calendars = self.load_many([client_calendar_id(tenant_id, each) for each in candidates])
        due: dict[str, date] = {}
        for calendar in calendars.values():
            if isinstance(calendar, ClientCalendar) and calendar.birthday is not None:
                celebrated_on = celebration_due(calendar.birthday, day, settings.days_before)
                if celebrated_on is not None:
                    due[calendar.client_id] = celebrated_on
        unit.prefetch(
            birthday_reward_id(tenant_id, client_id, celebrated_on.year)
            for client_id, celebrated_on in due.items()
        )
        for client_id, celebrated_on in sorted(due.items()):
            self._grant_birthday_reward(unit, tenant_id, client_id, celebrated_on, settings, at)

    def _grant_birthday_reward(  # noqa: PLR0917 - the reward's facts, in the order they are read
        self,
        unit: UnitOfWork,
        tenant_id: str,
        client_id: str,
        celebrated_on: date,
        settings: BirthdaySettings,
        at: datetime,
    ) -> None:
        """The reward of the birthday celebrated on `celebrated_on`, once per client and year:
        a single-use code worth the settings' discount, valid from `at` for their days."""
        year = celebrated_on.year
        if unit.get(birthday_reward_id(tenant_id, client_id, year), BirthdayReward) is not None:
            return
        code = self.new_code()
        expires_at = settings.reward_expiry(at)
        unit.add(
            CampaignCode(
                code=code,
                tenant_id=tenant_id,
                client_id=client_id,
                discount_percent=settings.discount_percent,
                campaign="birthday",
                issued_at=at,
                expires_at=expires_at,
            )
        )
        unit.add(
            BirthdayReward(
                tenant_id=tenant_id,
                client_id=client_id,
                year=year,
                celebrated_on=celebrated_on.isoformat(),
                code=code,
                discount_percent=settings.discount_percent,
                message=settings.message,
                issued_at=at,
                expires_at=expires_at,
            )
        )

    @staticmethod
    def _open_calendar(unit: UnitOfWork, tenant_id: str, client_id: str) -> ClientCalendar:
        calendar = ClientCalendar(tenant_id=tenant_id, client_id=client_id)
        unit.add(calendar)
        return calendar

    # -- checkout (gateway) -------------------------------------------------------------

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
    ) -> CampaignQuote:
        """What the client's campaign code takes off `amount_minor` at `at` (now, unless
        given); changes nothing. Another tenant's code is not found (`CodeNotFound`)."""
        check_money(amount_minor, currency)
        found = stored_code(self, CampaignCode, tenant_id, normalize_code(code))
        found.check_redeemable(client_id, at or datetime.now(UTC), booking_id)
        return self._code_quote(found, amount_minor, currency)

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
    ) -> CampaignRedemption:
        """Use the client's campaign code on a booking; idempotent by booking id (the same
        booking again answers the same, another booking is refused), retried on a conflict."""
        check_money(amount_minor, currency)
        code = normalize_code(code)

        def redeem(unit: UnitOfWork) -> CampaignCode:
            found = code_in_batch(unit, CampaignCode, tenant_id, code, fresh=True)
            found.redeem(booking_id, client_id, at)
            return found

        redeemed = retry_on_conflict(self, redeem)
        quote = self._code_quote(redeemed, amount_minor, currency)
        return CampaignRedemption(
            **vars(quote), booking_id=booking_id, redeemed_at=redeemed.redeemed_at or at
        )

    @staticmethod
    def _code_quote(code: CampaignCode, amount_minor: int, currency: str) -> CampaignQuote:
        off = code.discount_on(amount_minor)
        return CampaignQuote(
            code=code.code,
            campaign=code.campaign,
            discount_percent=code.discount_percent,
            discount_minor=off,
            total_minor=amount_minor - off,
            currency=currency,
            expires_at=code.expires_at,
        )

    # -- settings (gateway, CLI) ---------------------------------------------------------

    def open_programme(self, tenant_id: str, name: str) -> None:
        """Open the tenant's programme (every campaign off); opening it again changes nothing."""
        try:
            self.repository.get(programme_id(tenant_id))
        except AggregateNotFoundError:
            self.save(CampaignProgramme(tenant_id=tenant_id, name=name))

    def programme(self, tenant_id: str) -> CampaignProgramme:
        try:
            programme: CampaignProgramme = self.repository.get(programme_id(tenant_id))
        except AggregateNotFoundError:
            raise UnknownTenant(tenant_id) from None
        return programme

    def change_birthday_settings(self, tenant_id: str, **changes: Any) -> BirthdaySettings:
        """Change some birthday settings, re-reading and retrying if another change got there
        first; they apply from the next tick on."""

        def change(unit: UnitOfWork) -> BirthdaySettings:
            programme = unit.get(programme_id(tenant_id), CampaignProgramme, fresh=True)
            if programme is None:
                raise UnknownTenant(tenant_id)
            return programme.change_birthday(**changes)

        return retry_on_conflict(self, change)

    # -- reading ------------------------------------------------------------------------

    def birthday_rewards(self, tenant_id: str, client_id: str) -> list[BirthdayReward]:
        """The client's birthday rewards, by year."""
        ids = calendar_queries.birthday_reward_ids(self, tenant_id, client_id)
        rewards = [
            each for each in self.load_many(ids).values() if isinstance(each, BirthdayReward)
        ]
        return sorted(rewards, key=lambda reward: reward.year)
