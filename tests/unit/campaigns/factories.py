"""Small factories for campaigns domain tests: the test tenant and client, a moment, a visit, a
client's calendar, an offer, and collected events."""

import json
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from uuid import UUID

from eventsourcing.application import Application, project_aggregate
from eventsourcing.domain import Aggregate
from starcard_campaigns.domain.calendar import ClientCalendar, Visit
from starcard_campaigns.domain.offers import Offer, OfferTerms
from starcard_campaigns.domain.programme import Campaign

TENANT = "studio-1"
CLIENT = "client-1"
PRICE = 9000
"""What a visit costs unless told otherwise, in minor units."""


def moment(day: date, hour: int = 9, minute: int = 0, zone: tzinfo = UTC) -> datetime:
    """An instant of `day`: 09:00 UTC unless told otherwise."""
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


def visit(
    booking_id: str,
    at: datetime,
    *,
    category: str | None = None,
    paid_minor: int = PRICE,
    currency: str = "EUR",
) -> Visit:
    """A completed appointment, of no category and at the full price unless told otherwise."""
    return Visit(booking_id, at, category, paid_minor, currency)


def client_calendar(*visits: Visit, client_id: str = CLIENT) -> ClientCalendar:
    """The calendar of `client_id` with `visits` noted, its events collected."""
    calendar = ClientCalendar(tenant_id=TENANT, client_id=client_id)
    for each in visits:
        calendar.note_visit(each)
    calendar.collect_events()
    return calendar


def offer(
    campaign: Campaign = "birthday",
    *,
    day: date,
    client_id: str = CLIENT,
    occasion: str = "2025",
    held_out: bool = False,
    hour: int = 6,
    terms: OfferTerms | None = None,
) -> Offer:
    """An offer decided at `hour` UTC of `day`: sent with `terms` (a 10% code unless told
    otherwise), or held out."""
    decided_at = moment(day, hour)
    terms = terms or OfferTerms(
        code="BDAY-7K3MPQ9X",
        discount_percent=10,
        message="Happy birthday!",
        expires_at=decided_at + timedelta(days=30),
        valid_until=day + timedelta(days=29),
        booking_url="https://book.example.com/serenity",
        send_after=moment(day, 8),
    )
    return Offer.decide(
        tenant_id=TENANT,
        campaign=campaign,
        client_id=client_id,
        occasion=occasion,
        day=day,
        decided_at=decided_at,
        terms=None if held_out else terms,
    )


def new_events(aggregate: Aggregate) -> list[Any]:
    """The aggregate's pending events, collected (typed `Any`: their fields are generated)."""
    return list(aggregate.collect_events())


def event_names(aggregate: Aggregate) -> list[str]:
    """The names of the aggregate's pending events, collected."""
    return [type(each).__name__ for each in aggregate.collect_events()]


def stored_and_replayed(aggregate: Aggregate) -> Any:
    """The aggregate as eventsourcing's default JSON transcoder stores and replays it."""
    store: Application[UUID] = Application()
    store.save(aggregate)
    return store.repository.get(aggregate.id)


def replayed_as_stored_without(aggregate: Aggregate, *names: str) -> Any:
    """The aggregate as a release before `names` existed stored it: each of its events stored
    without those arguments, then replayed."""
    store: Application[UUID] = Application()
    store.save(aggregate)
    events = []
    for stored in store.recorder.select_events(aggregate.id):
        state = json.loads(stored.state)
        for name in names:
            state.pop(name, None)
        events.append(
            store.mapper.to_domain_event(replace(stored, state=json.dumps(state).encode()))
        )
    return project_aggregate(None, events)
