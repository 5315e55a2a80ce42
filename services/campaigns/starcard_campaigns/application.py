"""CampaignsService: the campaign use cases, on its own event store (schema ``campaigns``).

Kafka records reach it through :meth:`apply_record` (one partition batch per transaction, see
``starcard_runtime.batching``): the clients' records, bookings, visits and refunds from
``booking.events.v1`` (keyed by client) and the days from ``starcard.clock.v1`` (keyed by
tenant). The gateway and the CLI call the settings and results use cases directly, and the
gateway's checkout quotes and redeems the campaign codes.

Writers
    A `ClientCalendar` is written by its client's partition; the tick only reads it. An `Offer`
    and its `CampaignCode` are written by the tick of the tenant's clock partition, and their ids
    (the offer's by campaign, client and occasion, the code's by the code) make a second decision
    a version conflict rather than a second offer. The `CampaignProgramme` is written by the
    settings use cases, read fresh by each batch that needs it.

Time
    From events: an offer is decided at the moment of the tick that found it due (its
    ``occurred_at``, the first instant of the tenant's day in its time zone), for the day the tick
    names, never at this process's clock; which day a visit fell on is read in the zone the tick
    names.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from starcard_events.topics import BOOKING_EVENTS
from starcard_kernel.codes import normalize_code
from starcard_kernel.money import check_money
from starcard_runtime.batching import BatchApplication, UnitOfWork
from starcard_runtime.conflicts import retry_on_conflict
from starcard_runtime.outbound import notification_id_of
from starcard_runtime.records import InboundRecord
from starcard_runtime.tenant_codes import code_in_batch, stored_code

from starcard_campaigns import calendar_queries
from starcard_campaigns.domain.anniversaries import anniversary_due
from starcard_campaigns.domain.birthdays import (
    MonthDay,
    celebration_due,
    month_days_celebrated_between,
)
from starcard_campaigns.domain.calendar import ClientCalendar, Visit
from starcard_campaigns.domain.codes import CampaignCode, campaign_code
from starcard_campaigns.domain.days import DayBegun
from starcard_campaigns.domain.deliveries import MessageOutcomes
from starcard_campaigns.domain.errors import UnknownTenant
from starcard_campaigns.domain.holdout import held_out
from starcard_campaigns.domain.ids import (
    campaign_code_id,
    client_calendar_id,
    message_outcomes_id,
    offer_id,
    programme_id,
)
from starcard_campaigns.domain.offers import Offer, OfferTerms
from starcard_campaigns.domain.programme import (
    MAX_STEPS,
    Campaign,
    CampaignProgramme,
    OfferSettings,
    ProgrammeSettings,
)
from starcard_campaigns.domain.reengagement import CATCH_UP_DAYS, step_due, step_occasion
from starcard_campaigns.domain.results import CohortResults, Period, results
from starcard_campaigns.handlers import handle_record

__all__ = ["CampaignQuote", "CampaignRedemption", "CampaignsService", "DayBegun"]


@dataclass(frozen=True)
class CampaignQuote:
    """What a campaign code takes off an amount, in minor units of `currency`: its percentage,
    or nothing for a code worth a complimentary `add_on`, which the till adds free."""

    code: str
    campaign: Campaign
    discount_percent: int | None
    discount_minor: int
    total_minor: int
    currency: str
    expires_at: datetime
    add_on: str | None


@dataclass(frozen=True)
class CampaignRedemption(CampaignQuote):
    """A campaign code used on a booking, and when it was first used."""

    booking_id: str
    redeemed_at: datetime


class CampaignsService(BatchApplication):
    """Birthday, anniversary and re-engagement offers on the clock, and their results."""

    name = "campaigns"
    service_name: ClassVar[str] = "campaigns"

    def new_code(self, campaign: Campaign) -> str:
        return campaign_code(campaign, secrets.choice)

    # -- Kafka -------------------------------------------------------------------------------

    def apply_record(self, record: InboundRecord, unit: UnitOfWork) -> None:
        handle_record(self, record, unit)

    def prefetch_ids(self, records: Sequence[InboundRecord]) -> Iterable[UUID]:
        """Booking records are keyed by client (``tenant:client``), and name the client's
        calendar; clock records are keyed by tenant and name nothing a batch writes by key, nor
        do delivery facts (keyed by client, about a message)."""
        for key in {
            record.key for record in records if record.key and record.topic.endswith(BOOKING_EVENTS)
        }:
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

    def calendar(self, unit: UnitOfWork, tenant_id: str, client_id: str) -> ClientCalendar:
        """The client's calendar, started if this is the first fact of theirs (for the writers
        of the client's partition: the booking handlers)."""
        found = unit.get(client_calendar_id(tenant_id, client_id), ClientCalendar)
        return found or self._open_calendar(unit, tenant_id, client_id)

    def message_outcomes(
        self, unit: UnitOfWork, tenant_id: str, notification_id: UUID
    ) -> MessageOutcomes:
        """What became of a campaign message, started at its first outcome (for the writers of
        the client's partition of ``starcard.deliveries.v1``)."""
        found = unit.get(message_outcomes_id(tenant_id, notification_id), MessageOutcomes)
        if found is None:
            found = MessageOutcomes(tenant_id=tenant_id, notification_id=notification_id)
            unit.add(found)
        return found

    # -- the day's campaigns ------------------------------------------------------------------

    def day_begins(self, unit: UnitOfWork, day: DayBegun) -> None:
        """The tick of a tenant's day: each campaign the tenant runs makes the offers now due."""
        programme = unit.read(programme_id(day.tenant_id), CampaignProgramme)
        if programme is None:
            return  # the scheduler ticks for every tenant, whatever campaigns they run
        if programme.birthday.enabled:
            self._birthdays(unit, programme, day)
        if programme.anniversary.enabled:
            self._anniversaries(unit, programme, day)
        if programme.reengagement.enabled:
            self._reengagement(unit, programme, day)

    def _birthdays(self, unit: UnitOfWork, programme: CampaignProgramme, day: DayBegun) -> None:
        """Every client whose birthday is celebrated within `days_before` of the day gets the
        year's offer. Candidates are found by one query of the store, their calendars read
        fresh in one more, their offers of the year in a third."""
        settings = programme.birthday
        window = month_days_celebrated_between(
            day.day, day.day + timedelta(days=settings.days_before)
        )
        candidates = calendar_queries.clients_with_birthday_in(self, day.tenant_id, window)
        due: dict[str, str] = {}
        for calendar in self._calendars(day.tenant_id, candidates):
            if calendar.birthday is not None:
                celebrated = celebration_due(calendar.birthday, day.day, settings.days_before)
                if celebrated is not None:
                    due[calendar.client_id] = str(celebrated.year)
        self._decide_all(unit, programme, "birthday", due, day)

    def _anniversaries(self, unit: UnitOfWork, programme: CampaignProgramme, day: DayBegun) -> None:
        """Every client whose first visit's anniversary (in the tenant's zone) is within
        `days_before` of the day gets the year's offer."""
        settings = programme.anniversary
        window = month_days_celebrated_between(
            day.day, day.day + timedelta(days=settings.days_before)
        )
        candidates = calendar_queries.clients_first_visited_on(
            self, day.tenant_id, window, day.zone.key
        )
        due: dict[str, str] = {}
        for calendar in self._calendars(day.tenant_id, candidates):
            first = calendar.first_visit
            if first is not None:
                celebrated = anniversary_due(first.on(day.zone), day.day, settings.days_before)
                if celebrated is not None:
                    due[calendar.client_id] = str(celebrated.year)
        self._decide_all(unit, programme, "anniversary", due, day)

    def _reengagement(self, unit: UnitOfWork, programme: CampaignProgramme, day: DayBegun) -> None:
        """Every client whose last visit is a step's days behind the day, with nothing booked,
        gets that step's offer (see `domain.reengagement`)."""
        settings = programme.reengagement
        steps = settings.all_steps
        # A day of slack either side: local days are not all 24 hours (a clock change between
        # the visit and the tick); the rule, not the query, decides who is due.
        candidates = calendar_queries.clients_last_visited_between(
            self,
            day.tenant_id,
            after=day.at - timedelta(days=max(steps) + CATCH_UP_DAYS + 2),
            before=day.at - timedelta(days=min(steps) - 2),
        )
        calendars = self._calendars(day.tenant_id, candidates)
        sequences: dict[str, list[UUID]] = {}
        for calendar in calendars:
            last = calendar.last_visit
            if last is not None:
                sequences[calendar.client_id] = [
                    offer_id(day.tenant_id, "reengagement", calendar.client_id, occasion)
                    for occasion in _sequence_occasions(last)
                ]
        made = self.load_many([each for ids in sequences.values() for each in ids])
        due: dict[str, str] = {}
        for calendar in calendars:
            offers = [
                each
                for each in (made.get(i) for i in sequences.get(calendar.client_id, []))
                if isinstance(each, Offer)
            ]
            step = step_due(
                calendar,
                day=day.day,
                day_begins=day.at,
                zone=day.zone,
                settings=settings,
                steps_made=[int(each.occasion.rpartition("#")[2]) for each in offers],
                sequence_began=min((each.decided_at for each in offers), default=None),
            )
            if step is not None:
                due[calendar.client_id] = step.occasion
        self._decide_all(unit, programme, "reengagement", due, day)

    def _calendars(self, tenant_id: str, client_ids: Iterable[str]) -> list[ClientCalendar]:
        """The calendars of `client_ids`, read fresh in one query (written by other partitions)."""
        loaded = self.load_many([client_calendar_id(tenant_id, each) for each in client_ids])
        return [each for each in loaded.values() if isinstance(each, ClientCalendar)]

    def _decide_all(
        self,
        unit: UnitOfWork,
        programme: CampaignProgramme,
        campaign: Campaign,
        due: dict[str, str],
        day: DayBegun,
    ) -> None:
        """The offers of `due` (client → occasion) not decided yet: sent, or held out."""
        tenant_id = day.tenant_id
        unit.prefetch(
            offer_id(tenant_id, campaign, client_id, occasion)
            for client_id, occasion in due.items()
        )
        settings = programme.offers[campaign]
        for client_id, occasion in sorted(due.items()):
            if unit.get(offer_id(tenant_id, campaign, client_id, occasion), Offer) is not None:
                continue
            holding_out = held_out(
                tenant_id, campaign, client_id, occasion, programme.shared.holdout_percent
            )
            terms = None
            if not holding_out:
                terms = self._offer_terms(unit, settings, programme.shared, client_id, day)
            unit.add(
                Offer.decide(
                    tenant_id=tenant_id,
                    campaign=campaign,
                    client_id=client_id,
                    occasion=occasion,
                    day=day.day,
                    decided_at=day.at,
                    terms=terms,
                )
            )

    def _offer_terms(
        self,
        unit: UnitOfWork,
        settings: OfferSettings,
        shared: ProgrammeSettings,
        client_id: str,
        day: DayBegun,
    ) -> OfferTerms:
        """What the offer gives the client and what its message says: a single-use code of the
        campaign (worth a percentage off, or a complimentary add-on), or bonus points, which
        have no code: the loyalty service grants them when the offer is published."""
        reward, add_on = settings.gives()
        code = None if reward == "points" else self._issue_code(unit, settings, client_id, day)
        return OfferTerms(
            code=None if code is None else code.code,
            discount_percent=None if code is None else code.discount_percent,
            message=settings.message,
            expires_at=None if code is None else code.expires_at,
            valid_until=None if code is None else settings.last_valid_day(day.day),
            booking_url=shared.booking_url,
            send_after=day.daytime_from,
            reward=reward,
            add_on=add_on,
        )

    def _issue_code(
        self, unit: UnitOfWork, settings: OfferSettings, client_id: str, day: DayBegun
    ) -> CampaignCode:
        """A single-use code of the campaign for the client, valid from the tick, worth what the
        campaign gives: its percentage off, or its complimentary add-on."""
        reward, add_on = settings.gives()
        code = CampaignCode(
            code=self.new_code(settings.campaign),
            tenant_id=day.tenant_id,
            client_id=client_id,
            discount_percent=settings.discount_percent if reward == "discount" else None,
            campaign=settings.campaign,
            issued_at=day.at,
            expires_at=settings.code_expiry(day.day, day.zone),
            add_on=add_on,
        )
        unit.add(code)
        return code

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
            add_on=code.add_on,
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

    def change_campaign_settings(
        self, tenant_id: str, campaign: Campaign, **changes: Any
    ) -> OfferSettings:
        """Change some of one campaign's settings, re-reading and retrying if another change got
        there first; they apply from the next tick on."""
        return retry_on_conflict(
            self,
            lambda unit: self._fresh_programme(unit, tenant_id).change_campaign(
                campaign, **changes
            ),
        )

    def change_shared_settings(self, tenant_id: str, **changes: Any) -> ProgrammeSettings:
        """Change the booking link, the hold-out share or the attribution window."""
        return retry_on_conflict(
            self, lambda unit: self._fresh_programme(unit, tenant_id).change_shared(**changes)
        )

    @staticmethod
    def _fresh_programme(unit: UnitOfWork, tenant_id: str) -> CampaignProgramme:
        programme = unit.get(programme_id(tenant_id), CampaignProgramme, fresh=True)
        if programme is None:
            raise UnknownTenant(tenant_id)
        return programme

    # -- reading ------------------------------------------------------------------------

    def offers(self, tenant_id: str, client_id: str | None = None) -> list[Offer]:
        """The tenant's offers (or one client's), sent and held out, oldest first."""
        ids = calendar_queries.offer_ids(self, tenant_id, client_id)
        offers = [each for each in self.load_many(ids).values() if isinstance(each, Offer)]
        return sorted(offers, key=lambda offer: (offer.decided_at, offer.campaign, offer.client_id))

    def used_codes(self, offers: Iterable[Offer]) -> set[str]:
        """The codes of `offers` already used at checkout, in one read."""
        codes = [each.terms.code for each in offers if each.terms and each.terms.code]
        loaded = self.load_many([campaign_code_id(code) for code in codes])
        return {
            each.code
            for each in loaded.values()
            if isinstance(each, CampaignCode) and each.redeemed_at is not None
        }

    def results(
        self, tenant_id: str, *, period: Period = "month", since: date | None = None
    ) -> list[CohortResults]:
        """Each campaign's results per cohort (decided on `since` or later), the offers sent
        against those held out, under the tenant's attribution window."""
        programme = self.programme(tenant_id)
        offers = [each for each in self.offers(tenant_id) if since is None or each.day >= since]
        calendars = {
            each.client_id: each
            for each in self._calendars(tenant_id, {offer.client_id for offer in offers})
        }
        return results(
            offers,
            calendars,
            attribution_days=programme.shared.attribution_days,
            period=period,
            outcomes=self._message_outcomes(tenant_id, offers),
        )

    def _message_outcomes(
        self, tenant_id: str, offers: Iterable[Offer]
    ) -> dict[UUID, MessageOutcomes]:
        """Offer id → the outcomes of its message, for the offers sent that have any, in one
        query. An offer's message is the notification its relay asked for when publishing the
        offer's ``Decided`` event (its first), whose id ``notification_id`` derived from it."""
        by_outcomes_id = {
            message_outcomes_id(tenant_id, notification_id_of(offer.id, 1)): offer.id
            for offer in offers
            if not offer.held_out
        }
        return {
            by_outcomes_id[found.id]: found
            for found in self.load_many(by_outcomes_id).values()
            if isinstance(found, MessageOutcomes)
        }


def _sequence_occasions(last: Visit) -> list[str]:
    """The occasions of every step the sequence that follows the visit `last` can have (however
    many steps the settings had when each was decided)."""
    return [step_occasion(last.booking_id, number) for number in range(1, MAX_STEPS + 1)]
