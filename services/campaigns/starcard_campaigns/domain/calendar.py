"""A client's calendar: the days of a client's life the campaigns are timed by.

The client's birthday (a day of the year, as the booking platform last sent it) and the day of
their first treatment (for the anniversary campaign). Both come from events that may arrive again
or out of order: a re-sent client record records nothing, and the first treatment is the earliest
completed one whatever order the completions arrive in.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from starcard_campaigns.domain.birthdays import MonthDay
from starcard_campaigns.domain.ids import client_calendar_id

__all__ = ["ClientCalendar"]


class ClientCalendar(Aggregate):
    """Started with `ClientCalendar(tenant_id=..., client_id=...)`; its id is
    `client_calendar_id(tenant_id, client_id)`."""

    @staticmethod
    def create_id(tenant_id: str, client_id: str) -> UUID:
        return client_calendar_id(tenant_id, client_id)

    @event("Started")
    def __init__(self, *, tenant_id: str, client_id: str) -> None:
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.birthday: MonthDay | None = None
        self.first_treatment_on: date | None = None

    def note_birthday(self, birthday: MonthDay | None) -> None:
        """The birthday of the client's latest record. A client record is the whole record, so
        no birthday means the client removed it; the birthday already known records nothing."""
        if birthday == self.birthday:
            return
        if birthday is None:
            self._remove_birthday()
        else:
            self._note_birthday(month=birthday.month, day=birthday.day)

    def note_treatment(self, day: date) -> None:
        """A treatment completed on `day`: the first treatment is the earliest one known."""
        if self.first_treatment_on is None or day < self.first_treatment_on:
            self._note_first_treatment(day=day.isoformat())

    @event("BirthdayNoted")
    def _note_birthday(self, *, month: int, day: int) -> None:
        self.birthday = MonthDay(month, day)

    @event("BirthdayRemoved")
    def _remove_birthday(self) -> None:
        self.birthday = None

    @event("FirstTreatmentNoted")
    def _note_first_treatment(self, *, day: str) -> None:
        """`day` is an ISO date: the event store's JSON holds dates as text."""
        self.first_treatment_on = date.fromisoformat(day)
