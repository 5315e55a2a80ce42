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

A reached milestone fires a reward. "Only one outstanding reward shows at a time so codes don't
pile up. Counting carries on in the background — if they cross another milestone before
redeeming, the next reward fires automatically the moment they redeem the current one. They never
lose a reward they've earned." So a reward with a discount gets its code at once when no code is
outstanding, and otherwise waits in the queue, in milestone order; a message-only reward has no
code to pile up and is issued at once, always. The queue moves on when the outstanding code is
redeemed (the next reward fires at the redemption, valid 12 months from then) or expires unused
(the next reward fires at the moment the code stopped working, whichever event revealed it).
Rewards are issued once per milestone, since a milestone is reached once, with the message and
discount the milestone had when it was reached.

Time and randomness come in as arguments: `occurred_at` and `at` from the events, and a
`CodeGenerator` for fresh codes.

Each public verb decides whether anything changes, and a private `@event` method records the
fact, so a re-sent record emits nothing.
"""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from starcard_events.limits import MAX_COUNT

from starcard_loyalty.domain.attendance import (
    AttendanceMilestone,
    Booked,
    attended,
)
from starcard_loyalty.domain.codes import CodeGenerator, code_expiry
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
from starcard_loyalty.domain.errors import (
    AppointmentOfAnotherClient,
    CodeAlreadyRedeemed,
    CodeExpired,
    CodeNotFound,
    InvalidMilestone,
)
from starcard_loyalty.domain.ids import client_loyalty_id

__all__ = [
    "ClientLoyalty",
    "CountingRules",
    "IssuedReward",
    "Milestone",
    "Part",
    "QueuedReward",
    "RedeemedCode",
    "Visit",
]


@dataclass(frozen=True)
class IssuedReward:
    """A reward that fired: the milestone's message and, when it has a discount, a code valid
    until `expires_at`. A message-only reward has neither code nor expiry."""

    milestone_id: str
    message: str
    discount_percent: int | None
    code: str | None
    issued_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True)
class QueuedReward:
    """A reward earned while a code was outstanding; it fires when that code is settled."""

    milestone_id: str
    message: str
    discount_percent: int
    queued_at: datetime


@dataclass(frozen=True)
class RedeemedCode:
    """Which booking used a code, and when."""

    booking_id: str
    redeemed_at: datetime


class ClientLoyalty(Aggregate):
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
        self.cancelled: set[str] = set()
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

    # -- attendance (studios) ---------------------------------------------------------------

    def note_booking(
        self,
        booking_id: str,
        *,
        kind: str,
        starts_at: datetime,
        occurred_at: datetime,
        rules: CountingRules,
        new_code: CodeGenerator,
    ) -> list[IssuedReward]:
        """A booking made: it counts toward attendance milestones when bookings are the source
        of truth. Noted once; returns the rewards its automations issued."""
        issued = self.expire_rewards(occurred_at, new_code)
        before = self._attendance_before(rules)
        if booking_id not in self.booked:
            self._note_booking(
                booking_id=booking_id, kind=kind, starts_at=starts_at, occurred_at=occurred_at
            )
        return issued + self._reach_due_attendance(rules, occurred_at, booking_id, new_code, before)

    def check_in(
        self, booking_id: str, occurred_at: datetime, rules: CountingRules, new_code: CodeGenerator
    ) -> list[IssuedReward]:
        """The client checked in to a class: attended, whenever the booking arrives."""
        issued = self.expire_rewards(occurred_at, new_code)
        before = self._attendance_before(rules)
        if booking_id not in self.checked_in:
            self._check_in(booking_id=booking_id, occurred_at=occurred_at)
        return issued + self._reach_due_attendance(rules, occurred_at, booking_id, new_code, before)

    def set_original_count(
        self, count: int, at: datetime, rules: CountingRules, new_code: CodeGenerator
    ) -> list[IssuedReward]:
        """ "Enter the number of classes they took before joining": added to the total."""
        if not 0 <= count <= MAX_COUNT:
            msg = f"The original count must be 0 to {MAX_COUNT} classes (got {count})."
            raise InvalidMilestone([msg])
        before = self._attendance_before(rules)
        if count != self.original_count:
            self._set_original_count(count=count, at=at)
        return self._reach_due_attendance(rules, at, None, new_code, before)

    def attendance_bookings(self) -> list[Booked]:
        """Every booking attendance may count, cancelled ones left out: the booked ones, the
        completed appointments (attended), and check-ins whose booking has not arrived (a class
        attended)."""
        found: dict[str, Booked] = {}
        for booking_id, booked in self.booked.items():
            found[booking_id] = Booked(booked.kind, booked.starts_at, booking_id in self.checked_in)
        for booking_id, part in self.parts.items():
            found[booking_id] = Booked(part.kind, part.occurred_at, checked_in=True)
        for booking_id, checked_in_at in self.checked_in.items():
            found.setdefault(booking_id, Booked("group_class", checked_in_at, checked_in=True))
        return [booked for booking_id, booked in found.items() if booking_id not in self.cancelled]

    def attendance_count(self, rules: CountingRules) -> int:
        """The total: the original count plus what Starcard counted under the settings now."""
        return self.original_count + attended(self.attendance_bookings(), rules.attendance)

    def _attendance_before(self, rules: CountingRules) -> int | None:
        """The total before an event, when some automation could fire (else not worth it)."""
        return self.attendance_count(rules) if rules.attendance_milestones else None

    def _reach_due_attendance(
        self,
        rules: CountingRules,
        at: datetime,
        booking_id: str | None,
        new_code: CodeGenerator,
        before: int | None,
    ) -> list[IssuedReward]:
        """Fire every automation whose count this event took the total to or past ("when
        someone hits their 10th"), once each. A count the client had already passed when the
        automation was added, or passed by a settings change, is not celebrated late; those at
        or below the original count were passed before Starcard and never fire."""
        if before is None:
            return []
        total = self.attendance_count(rules)
        due = [
            milestone
            for milestone in rules.attendance_milestones
            if milestone.milestone_id not in self.attendance_reached
            and max(before, self.original_count) < milestone.count <= total
        ]
        issued: list[IssuedReward] = []
        for milestone in due:
            self._reach_attendance(
                milestone_id=milestone.milestone_id,
                count=milestone.count,
                message=milestone.message,
                discount_percent=milestone.discount_percent,
                tag=milestone.tag,
                reached_at=at,
                booking_id=booking_id,
            )
            if milestone.message is not None:
                issued += self._reward(as_reward_rule(milestone), at, new_code)
        return issued

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

    def outstanding_reward(self) -> IssuedReward | None:
        """The reward whose code the client has not used yet, if there is one."""
        if self.outstanding_code is None:
            return None
        return self.reward_with_code(self.outstanding_code)

    def reward_with_code(self, code: str) -> IssuedReward:
        """The client's reward that carries `code`, or `CodeNotFound`."""
        for reward in self.rewards.values():
            if reward.code == code:
                return reward
        raise CodeNotFound(code)

    def reward_released_by(self, code: str) -> IssuedReward | None:
        """The queued reward that fired when `code` was redeemed, if one did: it fired with a
        new code at the very moment of the redemption."""
        redeemed = self.redeemed.get(code)
        if redeemed is None:
            return None
        return next(
            (
                reward
                for reward in self.rewards.values()
                if reward.code not in {None, code} and reward.issued_at == redeemed.redeemed_at
            ),
            None,
        )

    def has_expired_reward(self, at: datetime) -> bool:
        """The outstanding code ran out unused by `at`."""
        return self.outstanding_expires_at is not None and at >= self.outstanding_expires_at

    def redeem_reward(
        self, code: str, booking_id: str, at: datetime, new_code: CodeGenerator
    ) -> IssuedReward | None:
        """Use the outstanding code on a booking; the next queued reward fires at once.

        "If they cross another milestone before redeeming, the next reward fires automatically
        the moment they redeem the current one": issued at `at` with a new code valid 12 months
        from then, and returned. Redeeming again with the same booking changes nothing and
        returns None; with another booking it is refused, as is an expired code.
        """
        reward = self.reward_with_code(code)
        redeemed = self.redeemed.get(code)
        if redeemed is not None:
            if redeemed.booking_id == booking_id:
                return None
            raise CodeAlreadyRedeemed(code)
        if reward.expires_at is None:  # pragma: no cover - a reward with a code has an expiry
            raise AssertionError(code)
        if code in self.expired or at >= reward.expires_at:
            raise CodeExpired(code, reward.expires_at)
        self._redeem_reward(code=code, booking_id=booking_id, redeemed_at=at)
        return self._issue_next(at, new_code)

    def expire_reward(self, at: datetime, new_code: CodeGenerator) -> IssuedReward | None:
        """Expire the outstanding code if it ran out unused by `at`, and fire the next queued
        reward, returned, at the moment the code stopped working.

        Whichever event reveals the expiry (a later event of the client, a checkout, the daily
        clock tick), the facts recorded are the same. Call again while `has_expired_reward`: the
        next code can itself be out of date when a client comes back after years.
        """
        if not self.has_expired_reward(at):
            return None
        code, expired_at = self.outstanding_code, self.outstanding_expires_at
        if code is None or expired_at is None:  # pragma: no cover - has_expired_reward says not
            raise AssertionError(code)
        self._expire_reward(code=code, expired_at=expired_at)
        return self._issue_next(expired_at, new_code)

    def expire_rewards(self, at: datetime, new_code: CodeGenerator) -> list[IssuedReward]:
        """Expire every code that ran out by `at`, one after the other; the rewards issued."""
        issued = []
        while self.has_expired_reward(at):
            reward = self.expire_reward(at, new_code)
            if reward is not None:
                issued.append(reward)
        return issued

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

    def _reward(
        self, milestone: Milestone, at: datetime, new_code: CodeGenerator
    ) -> list[IssuedReward]:
        """Issue the milestone's reward, or queue it behind the outstanding code."""
        if milestone.discount_percent is None:
            return [self._issue(milestone.milestone_id, milestone.message, None, None, at)]
        if self.outstanding_code is not None:
            self._queue_reward(
                milestone_id=milestone.milestone_id,
                message=milestone.message,
                discount_percent=milestone.discount_percent,
                queued_at=at,
            )
            return []
        return [
            self._issue(
                milestone.milestone_id,
                milestone.message,
                milestone.discount_percent,
                new_code(),
                at,
            )
        ]

    def _issue_next(self, at: datetime, new_code: CodeGenerator) -> IssuedReward | None:
        if not self.queue:
            return None
        head = self.queue[0]
        return self._issue(head.milestone_id, head.message, head.discount_percent, new_code(), at)

    def _issue(
        self,
        milestone_id: str,
        message: str,
        discount_percent: int | None,
        code: str | None,
        at: datetime,
    ) -> IssuedReward:
        """A code is valid 12 months from the moment its reward fires."""
        self._issue_reward(
            milestone_id=milestone_id,
            message=message,
            discount_percent=discount_percent,
            code=code,
            issued_at=at,
            expires_at=None if code is None else code_expiry(at),
        )
        return self.rewards[milestone_id]

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
        self.reward_order[milestone_id] = (session_count, min_minutes, milestone_id)

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


def attendance_reward_id(milestone_id: str) -> str:
    """The id an attendance milestone's reward carries among the client's rewards."""
    return f"attendance-{milestone_id}"


def as_reward_rule(milestone: AttendanceMilestone) -> Milestone:
    """An attendance automation's email and reward, as the reward queue knows rewards."""
    if milestone.message is None:  # pragma: no cover - the caller checked
        raise AssertionError(milestone.milestone_id)
    return Milestone(
        milestone_id=attendance_reward_id(milestone.milestone_id),
        session_count=milestone.count,
        message=milestone.message,
        discount_percent=milestone.discount_percent,
        min_minutes=0,
        active=True,
    )
