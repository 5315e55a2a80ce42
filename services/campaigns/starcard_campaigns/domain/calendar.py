"""A client's calendar: what of a client's life the campaigns are timed and measured by.

The client's birthday (a day of the year, as the booking platform last sent it), their bookings
(made when, for when, cancelled or not) and their visits (when, which category of treatment, what
they paid, what was refunded). The anniversary is the day of the first visit; re-engagement looks
at the last visit and at bookings still to come; a campaign's results at the bookings made after
it. Every fact comes from events that may arrive again or out of order: each is kept once, by its
id, and what is derived from them (the first visit, the last) does not depend on their order.

Instants are kept as instants: which day they fall on is the tenant's time zone's business,
decided when a tick (which names the zone) reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from starcard_campaigns.domain.birthdays import MonthDay
from starcard_campaigns.domain.ids import client_calendar_id

__all__ = ["Booking", "ClientCalendar", "Visit"]


@dataclass(frozen=True)
class Booking:
    """A booking the client made: when they made it and when it is for."""

    booking_id: str
    made_at: datetime
    starts_at: datetime


@dataclass(frozen=True)
class Visit:
    """A completed appointment: when it started, its treatment category, what was paid."""

    booking_id: str
    at: datetime
    category: str | None
    paid_minor: int
    currency: str

    def on(self, zone: tzinfo) -> date:
        """The day of the visit in the tenant's time zone."""
        return self.at.astimezone(zone).date()


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
        self.bookings: dict[str, Booking] = {}
        self.cancelled: set[str] = set()
        self.visits: dict[str, Visit] = {}
        self.refunds: dict[str, tuple[str, int | None]] = {}
        """Refund id → (booking id, amount in minor units; None: all that was paid)."""

    # -- what the platform tells --------------------------------------------------------------

    def note_birthday(self, birthday: MonthDay | None) -> None:
        """The birthday of the client's latest record. A client record is the whole record, so
        no birthday means the client removed it; the birthday already known records nothing."""
        if birthday == self.birthday:
            return
        if birthday is None:
            self._remove_birthday()
        else:
            self._note_birthday(month=birthday.month, day=birthday.day)

    def note_booking(self, booking_id: str, made_at: datetime, starts_at: datetime) -> None:
        """A booking made at `made_at` for `starts_at`; a booking already known records nothing."""
        if booking_id not in self.bookings:
            self._note_booking(
                booking_id=booking_id, made_at=made_at.isoformat(), starts_at=starts_at.isoformat()
            )

    def note_cancellation(self, booking_id: str) -> None:
        """The booking was cancelled (whether or not its making was seen); once."""
        if booking_id not in self.cancelled:
            self._note_cancellation(booking_id=booking_id)

    def note_visit(self, visit: Visit) -> None:
        """A completed appointment; a visit already known (a re-sent completion) records nothing."""
        if visit.booking_id not in self.visits:
            self._note_visit(
                booking_id=visit.booking_id,
                at=visit.at.isoformat(),
                category=visit.category,
                paid_minor=visit.paid_minor,
                currency=visit.currency,
            )

    def note_refund(self, refund_id: str, booking_id: str, amount_minor: int | None) -> None:
        """Money given back for a visit: `amount_minor`, or all that was paid (None). Once per
        refund id; a whole refund of a visit not seen yet is noted as what it will be paid."""
        if refund_id not in self.refunds:
            self._note_refund(refund_id=refund_id, booking_id=booking_id, amount_minor=amount_minor)

    # -- what is derived ----------------------------------------------------------------------

    @property
    def first_visit(self) -> Visit | None:
        """The earliest visit known (the anniversary's), whatever order completions came in."""
        return min(self.visits.values(), key=_when, default=None)

    @property
    def last_visit(self) -> Visit | None:
        """The latest visit known (the one re-engagement counts from)."""
        return max(self.visits.values(), key=_when, default=None)

    def upcoming(self, since: datetime) -> list[Booking]:
        """Bookings for `since` or later, neither cancelled nor already visited."""
        return [
            booking
            for booking in self.bookings.values()
            if booking.starts_at >= since
            and booking.booking_id not in self.cancelled
            and booking.booking_id not in self.visits
        ]

    def booked_between(self, after: datetime, until: datetime) -> list[str]:
        """Bookings made after `after` and by `until` and not cancelled, and visits in that span
        whose making was not seen (a walk-in): the client came back, in that span."""
        made = {
            booking.booking_id
            for booking in self.bookings.values()
            if after < booking.made_at <= until and booking.booking_id not in self.cancelled
        }
        walked_in = {
            visit.booking_id
            for visit in self.visits.values()
            if after < visit.at <= until and visit.booking_id not in self.bookings
        }
        return sorted(made | walked_in)

    def made_a_booking_after(self, moment: datetime) -> bool:
        """Whether the client booked anything after `moment` (cancelled since or not)."""
        return any(booking.made_at > moment for booking in self.bookings.values())

    def net_paid(self, booking_id: str) -> int:
        """What the visit of `booking_id` brought in, less its refunds (0 if not visited)."""
        visit = self.visits.get(booking_id)
        if visit is None:
            return 0
        refunded = sum(
            visit.paid_minor if amount is None else amount
            for booked, amount in self.refunds.values()
            if booked == booking_id
        )
        return max(visit.paid_minor - refunded, 0)

    # -- events -------------------------------------------------------------------------------

    @event("BirthdayNoted")
    def _note_birthday(self, *, month: int, day: int) -> None:
        self.birthday = MonthDay(month, day)

    @event("BirthdayRemoved")
    def _remove_birthday(self) -> None:
        self.birthday = None

    @event("BookingNoted")
    def _note_booking(self, *, booking_id: str, made_at: str, starts_at: str) -> None:
        """Instants are ISO text: the calendar queries read them in SQL."""
        self.bookings[booking_id] = Booking(
            booking_id, datetime.fromisoformat(made_at), datetime.fromisoformat(starts_at)
        )

    @event("BookingCancelled")
    def _note_cancellation(self, *, booking_id: str) -> None:
        self.cancelled.add(booking_id)

    @event("VisitNoted")
    def _note_visit(
        self, *, booking_id: str, at: str, category: str | None, paid_minor: int, currency: str
    ) -> None:
        self.visits[booking_id] = Visit(
            booking_id, datetime.fromisoformat(at), category, paid_minor, currency
        )

    @event("FirstTreatmentNoted")
    def _note_first_treatment(self, *, day: str) -> None:
        """Recorded by the first release, which kept only the first treatment's day: its
        completions are visits now, so this event, still in stores it wrote, adds nothing."""

    @event("RefundNoted")
    def _note_refund(self, *, refund_id: str, booking_id: str, amount_minor: int | None) -> None:
        self.refunds[refund_id] = (booking_id, amount_minor)


def _when(visit: Visit) -> tuple[datetime, str]:
    return visit.at, visit.booking_id
