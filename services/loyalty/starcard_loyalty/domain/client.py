"""The loyalty record of one client of one tenant: the visits seen, the milestones reached, and
the rewards they fired.

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

A reached milestone fires a reward, through the one-outstanding-code queue (``rewards``); the
bookings, check-ins and original count that attendance automations count are kept as described
in ``client_attendance``. Both are rules of this one aggregate: the ``@event`` methods that
record their facts are all here, so every stored event's topic names ``ClientLoyalty``.

Time and randomness come in as arguments: `occurred_at` and `at` from the events, and a
`CodeGenerator` for fresh codes.

Each public verb decides whether anything changes, and a private `@event` method records the
fact, so a re-sent record emits nothing.
"""

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from starcard_loyalty.domain.attendance import Booked
from starcard_loyalty.domain.client_attendance import ClientAttendance, attendance_reward_id
from starcard_loyalty.domain.codes import CodeGenerator
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
from starcard_loyalty.domain.rewards import IssuedReward, QueuedReward, RedeemedCode, RewardQueue

__all__ = ["ClientLoyalty", "CountingRules", "Milestone", "Part", "Visit"]


class ClientLoyalty(ClientAttendance, RewardQueue, Aggregate):
    """Visits, stars, reached milestones and rewards of one client.

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
        self.cancelled: dict[str, datetime] = {}
        """Cancelled (or wholly refunded) bookings, and when."""
        self.label_discount = False
        self.labels_as_of: datetime | None = None
        self.reached: dict[str, datetime] = {}
        self.reward_order: dict[str, tuple[int, int, str]] = {}
        self.rewards: dict[str, IssuedReward] = {}
        self.queue: list[QueuedReward] = []
        self.outstanding_code: str | None = None
        self.outstanding_expires_at: datetime | None = None
        self.redeemed: dict[str, RedeemedCode] = {}
        self.expired: dict[str, datetime] = {}
        self.booked: dict[str, Booked] = {}
        self.checked_in: dict[str, datetime] = {}
        self.original_count = 0
        self.attendance_reached: dict[str, datetime] = {}
        self.tags: dict[str, datetime] = {}

    def record_appointment(
        self, appointment: Appointment, rules: CountingRules, new_code: CodeGenerator
    ) -> list[IssuedReward]:
        """Record a completed appointment, then reach every milestone it makes due and reward it.

        A re-send of a booking already recorded (not later than the recorded report) changes
        nothing; a later report replaces the recorded one, e.g. a corrected length or price. An
        outstanding code already expired at `occurred_at` is expired first, so the queue it held
        moves on. Returns the rewards this call issued, in the order they fired (the queued ones
        are in `queue`).
        """
        self.check_appointment_is_this_clients(appointment)
        recorded = self.parts.get(appointment.booking_id)
        if recorded is not None and appointment.occurred_at <= recorded.occurred_at:
            return []
        issued = self.expire_rewards(appointment.occurred_at, new_code)
        before = self._attendance_before(rules)
        full_price = booked_at_full_price(appointment)
        was_a_star = self._visit_is_a_star(appointment.visit_key, rules)
        self._record_appointment(
            booking_id=appointment.booking_id,
            visit_key=appointment.visit_key,
            minutes=appointment.minutes,
            full_price=full_price,
            occurred_at=appointment.occurred_at,
            provider_id=appointment.provider_id,
            kind=appointment.kind,
            counted=not was_a_star
            and appointment.booking_id not in self.cancelled
            and self._visit_is_a_star(appointment.visit_key, rules, with_part=full_price),
        )
        for milestone in self._reach_due_milestones(rules, appointment):
            issued += self._reward(milestone, appointment.occurred_at, new_code)
        issued += self._reach_due_attendance(
            rules, appointment.occurred_at, appointment.booking_id, new_code, before
        )
        return issued

    def record_cancellation(self, booking_id: str, occurred_at: datetime) -> None:
        """A cancelled booking never counts, even when its completion arrives later; milestones
        it helped reach stay reached."""
        known = self.cancelled.get(booking_id)
        if known is None or occurred_at < known:  # the earliest moment, whatever the order
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

    def _visit_is_a_star(
        self, visit_key: str, rules: CountingRules, *, with_part: bool | None = None
    ) -> bool:
        """Whether the visit is a star under `rules`; `with_part` adds a part (full price or no)."""
        full_prices = [
            part.full_price
            for booking_id, part in self.parts.items()
            if part.visit_key == visit_key and booking_id not in self.cancelled
        ]
        if with_part is not None:
            full_prices.append(with_part)
        if not full_prices:
            return False
        return rules.count_discounted or (any(full_prices) and not self.label_discount)

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
        counted: bool = False,
        kind: str = "appointment",
    ) -> None:
        """`full_price` is the booking's own (`booked_at_full_price`); `provider_id` is kept in
        the event for analytics and is never a loyalty boundary. `counted` says that this
        appointment made its visit a star under the rules in force then: the public `StarEarned`
        fact (False for appointments recorded before the flag existed). Stars shown are always
        re-derived under the current rules."""
        self.parts[booking_id] = Part(
            visit_key=visit_key,
            minutes=minutes,
            full_price=full_price,
            occurred_at=occurred_at,
            kind=kind,
        )

    @event("BookingCancelled")
    def _cancel_booking(self, *, booking_id: str, occurred_at: datetime) -> None:
        self.cancelled[booking_id] = occurred_at

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
        self.reward_order[milestone_id] = (session_count, min_minutes, milestone_id)

    # -- the reward queue's facts (its rules: `RewardQueue`) ----------------------------------

    @event("RewardIssued")
    def _issue_reward(
        self,
        *,
        milestone_id: str,
        message: str,
        discount_percent: int | None,
        code: str | None,
        issued_at: datetime,
        expires_at: datetime | None,
    ) -> None:
        self.rewards[milestone_id] = IssuedReward(
            milestone_id=milestone_id,
            message=message,
            discount_percent=discount_percent,
            code=code,
            issued_at=issued_at,
            expires_at=expires_at,
        )
        self.queue = [queued for queued in self.queue if queued.milestone_id != milestone_id]
        if code is not None:
            self.outstanding_code = code
            self.outstanding_expires_at = expires_at

    @event("RewardQueued")
    def _queue_reward(
        self, *, milestone_id: str, message: str, discount_percent: int, queued_at: datetime
    ) -> None:
        """The queue is kept in milestone order (fewest sessions first), whatever order a
        settings change made the milestones due in."""
        self.queue.append(
            QueuedReward(
                milestone_id=milestone_id,
                message=message,
                discount_percent=discount_percent,
                queued_at=queued_at,
            )
        )
        self.queue.sort(key=lambda queued: self.reward_order[queued.milestone_id])

    @event("RewardRedeemed")
    def _redeem_reward(self, *, code: str, booking_id: str, redeemed_at: datetime) -> None:
        self.redeemed[code] = RedeemedCode(booking_id=booking_id, redeemed_at=redeemed_at)
        if self.outstanding_code == code:
            self.outstanding_code = None
            self.outstanding_expires_at = None

    @event("RewardExpired")
    def _expire_reward(self, *, code: str, expired_at: datetime) -> None:
        self.expired[code] = expired_at
        if self.outstanding_code == code:
            self.outstanding_code = None
            self.outstanding_expires_at = None

    # -- attendance facts (its rules: `ClientAttendance`) -----------------------------------

    @event("BookingNoted")
    def _note_booking(
        self, *, booking_id: str, kind: str, starts_at: datetime, occurred_at: datetime
    ) -> None:
        self.booked[booking_id] = Booked(kind, starts_at, checked_in=False)

    @event("CheckedIn")
    def _check_in(self, *, booking_id: str, occurred_at: datetime) -> None:
        self.checked_in[booking_id] = occurred_at

    @event("OriginalCountSet")
    def _set_original_count(self, *, count: int, at: datetime) -> None:
        self.original_count = count

    @event("AttendanceMilestoneReached")
    def _reach_attendance(
        self,
        *,
        milestone_id: str,
        count: int,
        message: str | None,
        discount_percent: int | None,
        tag: str | None,
        reached_at: datetime,
        booking_id: str | None,
    ) -> None:
        self.attendance_reached[milestone_id] = reached_at
        reward_id = attendance_reward_id(milestone_id)
        self.reward_order[reward_id] = (count, 0, reward_id)
        if tag is not None:
            self.tags.setdefault(tag, reached_at)
