"""The loyalty record of one client of one tenant: the visits seen and the milestones reached.

Only facts are stored: the parts of each visit, the cancelled bookings, whether the client has a
label discount, and the milestones reached. Stars and milestone counts are derived from those
facts under the programme's *current* rules, so flipping the "Count membership and package
sessions" toggle, or editing a milestone's minimum length, changes every count at once. A
milestone that a settings change newly satisfies is reached at the client's next recorded
appointment. A milestone is reached at most once per client and never revoked: "Each milestone
fires once per client — when their count first hits that number", and "they never lose a reward
they've earned".

Upstream platforms re-send and records arrive out of order: an appointment counts once per
booking id, the latest report of a booking (by `occurred_at`) replaces earlier ones, and a
cancellation is final whenever it arrives. So the visits, stars and counts do not depend on
arrival order, and neither does the set of milestones reached while counts only grow. A
correction that shortens or discounts a visit, a cancellation, or a new label discount can lower
a count after a milestone was reached with it; the milestone stays reached.

Each public verb decides whether anything changes, and a private `@event` method records the
fact, so a re-sent record emits nothing.
"""

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from starcard_loyalty.domain.counting import (
    Appointment,
    CountingRules,
    Milestone,
    Part,
    Visit,
    booked_at_full_price,
    counts_toward,
    group_into_visits,
    in_reward_order,
    qualifying_visits,
    visit_totals,
)
from starcard_loyalty.domain.errors import AppointmentOfAnotherClient
from starcard_loyalty.domain.ids import client_loyalty_id

__all__ = ["ClientLoyalty", "CountingRules", "Milestone", "Part", "Visit"]


class ClientLoyalty(Aggregate):
    """Visits, stars and reached milestones of one client.

    Started with `ClientLoyalty(tenant_id=..., client_id=...)`; its id is
    `client_loyalty_id(tenant_id, client_id)`. Loyalty is counted per tenant: "sessions with
    other therapists on MassageHub do not count".
    """

    @staticmethod
    def create_id(tenant_id: str, client_id: str) -> UUID:
        """The record's id follows from its tenant and client, so any process finds it."""
        return client_loyalty_id(tenant_id, client_id)

    @event("Started")
    def __init__(self, *, tenant_id: str, client_id: str) -> None:
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.parts: dict[str, Part] = {}
        self.cancelled: set[str] = set()
        self.label_discount = False
        self.labels_as_of: datetime | None = None
        self.reached: dict[str, datetime] = {}

    def record_appointment(self, appointment: Appointment, rules: CountingRules) -> list[Milestone]:
        """Record a completed appointment, then reach every milestone it makes due.

        A re-send of a booking already recorded (not later than the recorded report) changes
        nothing; a later report replaces the recorded one, e.g. a corrected length or price.
        Returns the milestones this call reached, in reward order.
        """
        self.check_appointment_is_this_clients(appointment)
        recorded = self.parts.get(appointment.booking_id)
        if recorded is not None and appointment.occurred_at <= recorded.occurred_at:
            return []
        self._record_appointment(
            booking_id=appointment.booking_id,
            visit_key=appointment.visit_key,
            minutes=appointment.minutes,
            full_price=booked_at_full_price(appointment),
            occurred_at=appointment.occurred_at,
            provider_id=appointment.provider_id,
        )
        return self._reach_due_milestones(rules, appointment)

    def record_cancellation(self, booking_id: str, occurred_at: datetime) -> None:
        """A cancelled booking never counts, even when its completion arrives later; milestones
        it helped reach stay reached."""
        if booking_id not in self.cancelled:
            self._cancel_booking(booking_id=booking_id, occurred_at=occurred_at)

    def update_labels(self, has_label_discount: bool, occurred_at: datetime) -> None:
        """Follow the client's record: with a label discount "none of their bookings are full
        price, so none count". The latest update wins; an older or unchanged one is ignored."""
        if self.labels_as_of is not None and occurred_at <= self.labels_as_of:
            return
        if has_label_discount != self.label_discount:
            self._change_labels(has_label_discount=has_label_discount, occurred_at=occurred_at)

    def visits(self) -> list[Visit]:
        """The client's visits, earliest first: back-to-back parts summed, cancellations left
        out."""
        return group_into_visits(
            (part for booking_id, part in self.parts.items() if booking_id not in self.cancelled),
            client_has_label_discount=self.label_discount,
        )

    def sessions(self) -> int:
        """How many visits the client made, whether or not they count."""
        return len(self.visits())

    def stars(self, rules: CountingRules) -> int:
        """One star per qualifying visit of any length: "each completed qualifying session adds a
        gold rubber-stamp star"."""
        return qualifying_visits(
            self.visits(), min_minutes=0, count_discounted=rules.count_discounted
        )

    def count_toward(self, milestone: Milestone, rules: CountingRules) -> int:
        """How many visits count toward this milestone (its minimum length applied)."""
        return qualifying_visits(
            self.visits(),
            min_minutes=milestone.min_minutes,
            count_discounted=rules.count_discounted,
        )

    def next_milestone(self, rules: CountingRules) -> Milestone | None:
        """The reward the client is working toward: the first active milestone not reached."""
        return next(
            (
                milestone
                for milestone in in_reward_order(rules.milestones)
                if milestone.milestone_id not in self.reached
            ),
            None,
        )

    def sessions_to_go(self, milestone: Milestone, rules: CountingRules) -> int:
        """The card's "X more 60+ min sessions to go"; 0 once the count is there."""
        return max(0, milestone.session_count - self.count_toward(milestone, rules))

    def check_appointment_is_this_clients(self, appointment: Appointment) -> None:
        """Refuse another client's appointment: loyalty never crosses clients."""
        if appointment.client_id != self.client_id:
            raise AppointmentOfAnotherClient(self.client_id, appointment.client_id)

    def _reach_due_milestones(
        self, rules: CountingRules, appointment: Appointment
    ) -> list[Milestone]:
        due = [m for m in in_reward_order(rules.milestones) if m.milestone_id not in self.reached]
        if not due:
            return []
        visits = visit_totals(
            (part for booking_id, part in self.parts.items() if booking_id not in self.cancelled),
            client_has_label_discount=self.label_discount,
        )
        reached = []
        for milestone in due:
            count = sum(
                counts_toward(
                    minutes,
                    full_price,
                    min_minutes=milestone.min_minutes,
                    count_discounted=rules.count_discounted,
                )
                for minutes, full_price in visits
            )
            if count >= milestone.session_count:
                self._reach_milestone(
                    milestone_id=milestone.milestone_id,
                    session_count=milestone.session_count,
                    min_minutes=milestone.min_minutes,
                    message=milestone.message,
                    discount_percent=milestone.discount_percent,
                    reached_at=appointment.occurred_at,
                    booking_id=appointment.booking_id,
                )
                reached.append(milestone)
        return reached

    @event("AppointmentRecorded")
    def _record_appointment(
        self,
        *,
        booking_id: str,
        visit_key: str,
        minutes: int,
        full_price: bool,
        occurred_at: datetime,
        provider_id: str | None,
    ) -> None:
        """`full_price` is the booking's own (`booked_at_full_price`); `provider_id` is kept in
        the event for analytics and is never a loyalty boundary."""
        self.parts[booking_id] = Part(
            visit_key=visit_key, minutes=minutes, full_price=full_price, occurred_at=occurred_at
        )

    @event("BookingCancelled")
    def _cancel_booking(self, *, booking_id: str, occurred_at: datetime) -> None:
        self.cancelled.add(booking_id)

    @event("LabelsChanged")
    def _change_labels(self, *, has_label_discount: bool, occurred_at: datetime) -> None:
        self.label_discount = has_label_discount
        self.labels_as_of = occurred_at

    @event("MilestoneReached")
    def _reach_milestone(
        self,
        *,
        milestone_id: str,
        session_count: int,
        min_minutes: int,
        message: str,
        discount_percent: int | None,
        reached_at: datetime,
        booking_id: str,
    ) -> None:
        self.reached[milestone_id] = reached_at
