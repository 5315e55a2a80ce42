"""What makes a session count: full price, length, and back-to-back visits.

"Loyalty milestones count full-price sessions only by default. The principle is simple: a star is
a thank-you for a client who paid your full advertised price, with no other discount stacked on
top." Each case the product names is a predicate below; `is_full_price` combines them, and
`counts_toward` adds the tenant's toggle and each milestone's minimum length.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from starcard_loyalty.domain.attendance import AttendanceMilestone, AttendanceSettings

MEMBERSHIP_OR_PACKAGE = frozenset({"membership_credit", "package"})
"""Discount kinds and payment methods that mean the session was pre-paid from a bundle."""

GIFT_CARD_OR_ACCOUNT_CREDIT = frozenset({"gift_card", "credit"})
"""Payment methods where stored value, not the client's own money, paid the session."""


@dataclass(frozen=True)
class Appointment:
    """A completed appointment, with what the counting rules need to know about it.

    `visit_key` is the booking's back-to-back group when it has one, else its own booking id, so
    the parts of one visit share it.
    """

    booking_id: str
    client_id: str
    visit_key: str
    minutes: int
    list_price_minor: int
    price_minor: int
    currency: str
    discount_kinds: frozenset[str]
    payment_method: str
    occurred_at: datetime
    provider_id: str | None
    kind: str = "appointment"

    def __post_init__(self) -> None:
        if self.occurred_at.utcoffset() is None:
            msg = f"occurred_at of booking {self.booking_id!r} must be timezone-aware"
            raise ValueError(msg)
        if self.minutes < 0:
            msg = f"minutes of booking {self.booking_id!r} must not be negative"
            raise ValueError(msg)


def paid_with_membership_or_package(appointment: Appointment) -> bool:
    """Paid from a bundle: "booked with a membership credit or treatment package"."""
    return (
        appointment.payment_method in MEMBERSHIP_OR_PACKAGE
        or not appointment.discount_kinds.isdisjoint(MEMBERSHIP_OR_PACKAGE)
    )


def paid_with_gift_card_or_account_credit(appointment: Appointment) -> bool:
    """Stored value paid the session: "promo code or gift card".

    A gift card, or credit on the client's account such as a referral credit, is not the client
    paying the advertised price. As a discount it is caught by `has_disqualifying_discount`; this
    catches it as the payment method.
    """
    return appointment.payment_method in GIFT_CARD_OR_ACCOUNT_CREDIT


def has_disqualifying_discount(appointment: Appointment) -> bool:
    """Every discount on the booking disqualifies it: "with no other discount stacked on top".

    That covers the back-to-back, green / eco, promo code, gift card, manual, label, membership
    and package discounts the product lists, and also a client redeeming their own loyalty code
    or referral credit: that client did not pay the full advertised price, and counting it would
    let one reward earn the next.
    """
    return bool(appointment.discount_kinds)


def manually_priced_down(appointment: Appointment) -> bool:
    """The price is below the list price: "you adjusted the price down manually for that
    booking", whether or not the platform reported a discount for it."""
    return appointment.price_minor < appointment.list_price_minor


def booked_at_full_price(appointment: Appointment) -> bool:
    """Nothing about the booking itself disqualifies it (the client's label aside)."""
    return not (
        paid_with_membership_or_package(appointment)
        or paid_with_gift_card_or_account_credit(appointment)
        or has_disqualifying_discount(appointment)
        or manually_priced_down(appointment)
    )


def is_full_price(appointment: Appointment, *, client_has_label_discount: bool) -> bool:
    """The appointment is full price: the booking is, and the client has no label discount.

    "The client has a label discount on their record (Friend / VIP / Staff with a percentage or
    fixed amount off — none of their bookings are full price, so none count)."
    """
    return booked_at_full_price(appointment) and not client_has_label_discount


@dataclass(frozen=True)
class Part:
    """One recorded appointment, reduced to what counting needs.

    `full_price` is `booked_at_full_price`: the client's label is applied when visits are formed,
    so a change of label re-derives the count of every visit.
    """

    visit_key: str
    minutes: int
    full_price: bool
    occurred_at: datetime
    kind: str = "appointment"
    """The service's kind (`ServiceKind`), for attendance counting."""


@dataclass(frozen=True)
class Visit:
    """One completed appointment, or a back-to-back group of appointments, whose length is the
    sum of its parts. `parts` is how many appointments it groups."""

    visit_key: str
    minutes: int
    full_price: bool
    parts: int


def group_into_visits(parts: Iterable[Part], *, client_has_label_discount: bool) -> list[Visit]:
    """Group the parts that share a visit key into visits, earliest first.

    "Back-to-back bookings are summed before the check — so a 30-minute add-on tacked onto a
    60-minute treatment counts toward a milestone with a 90-minute minimum." The add-on usually
    carries a back-to-back discount: its minutes still count, and it does not spoil the main
    treatment, so a visit is full price when at least one of its parts is.
    """
    by_key: dict[str, list[Part]] = {}
    for part in parts:
        by_key.setdefault(part.visit_key, []).append(part)
    visits = [
        (
            min(part.occurred_at for part in grouped),
            Visit(
                visit_key=key,
                minutes=sum(part.minutes for part in grouped),
                full_price=any(part.full_price for part in grouped)
                and not client_has_label_discount,
                parts=len(grouped),
            ),
        )
        for key, grouped in by_key.items()
    ]
    visits.sort(key=lambda started_visit: (started_visit[0], started_visit[1].visit_key))
    return [visit for _, visit in visits]


def visit_totals(
    parts: Iterable[Part], *, client_has_label_discount: bool
) -> list[tuple[int, bool]]:
    """Each visit's (minutes, full price), unordered: what counting needs, on the hot path.

    The same grouping as `group_into_visits`, without building and sorting `Visit`s.
    """
    totals: dict[str, tuple[int, bool]] = {}
    for part in parts:
        minutes, full_price = totals.get(part.visit_key, (0, False))
        totals[part.visit_key] = (minutes + part.minutes, full_price or part.full_price)
    if client_has_label_discount:
        return [(minutes, False) for minutes, _ in totals.values()]
    return list(totals.values())


def counts_toward(
    visit_minutes: int, visit_full_price: bool, *, min_minutes: int, count_discounted: bool
) -> bool:
    """The visit moves the client toward a milestone of at least `min_minutes` minutes.

    "With the toggle on, every completed appointment counts regardless of how it was discounted."
    "Only completed sessions of 60+ minutes will move the needle toward that one" (0 = any length).
    """
    return (visit_full_price or count_discounted) and visit_minutes >= min_minutes


def qualifying_visits(visits: Iterable[Visit], *, min_minutes: int, count_discounted: bool) -> int:
    """How many of the visits count toward a milestone of at least `min_minutes` minutes."""
    return sum(
        counts_toward(
            visit.minutes,
            visit.full_price,
            min_minutes=min_minutes,
            count_discounted=count_discounted,
        )
        for visit in visits
    )


@dataclass(frozen=True)
class Milestone:
    """A tenant's reward rule: at the Nth qualifying visit (of at least M minutes), send a message
    and optionally a discount. `min_minutes` 0 means any length counts."""

    milestone_id: str
    session_count: int
    message: str
    discount_percent: int | None
    min_minutes: int
    active: bool


def in_reward_order(milestones: Iterable[Milestone]) -> list[Milestone]:
    """The active milestones in the order a client reaches them: fewest sessions first, then the
    shorter minimum length."""
    return sorted(
        (milestone for milestone in milestones if milestone.active),
        key=lambda milestone: (
            milestone.session_count,
            milestone.min_minutes,
            milestone.milestone_id,
        ),
    )


@dataclass(frozen=True)
class CountingRules:
    """A snapshot of a programme's counting settings, taken by `LoyaltyProgramme.rules()`:
    the "Count membership and package sessions" toggle and the active milestones in reward order,
    and the attendance settings and active attendance milestones (lowest count first).
    """

    count_discounted: bool
    milestones: tuple[Milestone, ...]
    attendance: AttendanceSettings = field(default_factory=AttendanceSettings)
    attendance_milestones: tuple[AttendanceMilestone, ...] = ()
