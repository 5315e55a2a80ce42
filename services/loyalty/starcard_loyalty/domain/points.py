"""The points account of one client of one tenant: lots with expiry, and every movement.

The account belongs to the client and the clinic, never to a provider. Every movement is an event
with its reason and its source (a booking, an order line, a bonus rule, a refund, the operator's
note), and the balance after it:

- **earned / bonus**: a treatment or a retail line credits a *lot* of points, with the expiry the
  settings then in force give it; each bonus is its own lot of the same source.
- **redeemed**: points spent at checkout, idempotent by booking id; the draws name the lots.
- **expired**: on the clock tick of a lot's day, its unspent points, exactly once.
- **reversed**: a refund takes back what its line earned, in proportion to the amount refunded
  (computed on the cumulative refund, so two partial refunds take what one refund of their sum
  would), once per refund id; a whole refund of a booking paid with points gives them back to the
  lots they came from.
- **adjusted**: by hand, with a required note.

Lots are consumed (by redemption, expiry of what is left, reversal) soonest-expiring first, then
oldest; lots that never expire come last. Points already spent are never clawed back from a
bill: a reversal that finds too few points leaves the balance below zero (``debt``), and later
credits pay it off first. So a debt and a lot with points never exist together.

Refunds may arrive before their purchase: a refund is noted by id and source, and applied when
(and each time) the source earns. Duplicates and arrival order do not change the lots or the
balance (property-tested). Time comes from the events; the clock tick expires.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from starcard_events.limits import MAX_MESSAGE_LENGTH, MAX_POINTS, has_control_characters
from starcard_events.money_format import format_money

from starcard_loyalty.domain.errors import PointsRefused
from starcard_loyalty.domain.ids import points_account_id
from starcard_loyalty.domain.points_settings import (
    PointsSettings,
    minor_units_per_unit,
    points_for,
    points_to_pay,
    points_worth,
)

__all__ = ["Lot", "PointsAccount", "PointsQuote", "Purchase", "Redemption", "SettingsAt"]

SettingsAt = Callable[[datetime], PointsSettings]
"""The tenant's points settings in force at a moment (``LoyaltyProgramme.points_settings_at``)."""

Draws = list[list[str | int]]
"""``[[lot_id, points], ...]``: which lots a movement took points from (or gave them back to)."""


@dataclass
class Lot:
    """Points credited together, spent and expired together."""

    lot_id: str
    source: str
    points: int
    remaining: int
    earned_at: datetime
    expires_on: date | None
    closed: bool = False
    expired: int = 0

    def order(self) -> tuple[bool, date, datetime, str]:
        """Soonest-expiring first, then oldest; never-expiring last."""
        return (self.expires_on is None, self.expires_on or date.max, self.earned_at, self.lot_id)

    def usable_at(self, at: datetime) -> bool:
        return not self.closed and (self.expires_on is None or self.expires_on > at.date())


@dataclass
class Earning:
    """What one refundable source (a booking, an order line) was paid and credited."""

    amount_minor: int
    currency: str
    detail: str = ""
    lots: list[str] = field(default_factory=list)
    points: int = 0
    reversed: int = 0


@dataclass(frozen=True)
class Purchase:
    """One line that earns: a treatment (booking) or a retail order line."""

    source: str
    booking_id: str | None
    amount_minor: int
    currency: str
    payment_method: str
    occurred_at: datetime
    retail: bool
    service_id: str | None = None
    category: str | None = None
    detail: str = ""
    visit_key: str | None = None
    """Shared by the back-to-back parts of one visit (their group); the booking id otherwise."""
    tier_multiplier: tuple[str, int] | None = None
    """``(tier id, multiplier in hundredths)`` of the client's membership tier before the
    purchase, when it multiplies points (150: half as many again, as a bonus of its own)."""
    package: bool = False
    """A pre-paid package bought: it earns the package bonus, not the service bonuses."""
    package_bonus: int | None = None
    """The package's own bonus points; None: the programme's package bonus."""


@dataclass(frozen=True)
class Redemption:
    """Points spent on a booking: what they took off the bill, and from which lots."""

    booking_id: str
    points: int
    discount_minor: int
    currency: str
    draws: tuple[tuple[str, int], ...]
    returned: bool = False


@dataclass(frozen=True)
class PointsQuote:
    """What the client's points can do for a bill now."""

    balance: int
    usable: int
    max_points: int
    max_discount_minor: int
    min_points: int
    currency: str


def booking_source(booking_id: str) -> str:
    return f"booking:{booking_id}"


def order_source(order_id: str, sku: str) -> str:
    return f"order:{order_id}:{sku}"


class PointsAccount(Aggregate):
    """One client's points at one tenant. Started with `PointsAccount(tenant_id=..,
    client_id=..)`; its id is `points_account_id(tenant_id, client_id)`."""

    @staticmethod
    def create_id(tenant_id: str, client_id: str) -> UUID:
        return points_account_id(tenant_id, client_id)

    @event("Opened")
    def __init__(self, *, tenant_id: str, client_id: str) -> None:
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.lots: dict[str, Lot] = {}
        self.debt = 0
        self.earnings: dict[str, Earning] = {}
        self.visits: dict[str, tuple[datetime, str]] = {}
        """booking id -> (when, visit key): the treatments seen, for the rebooking bonus."""
        self.refund_ids: dict[str, list[str]] = {}
        self.refunded: dict[str, tuple[int, str]] = {}
        self.wholly_refunded: set[str] = set()
        self.redemptions: dict[str, Redemption] = {}
        self.adjustments: set[str] = set()
        self.grants: set[str] = set()
        self.noticed: set[str] = set()

    # -- what the account holds ----------------------------------------------------------------

    def balance(self) -> int:
        """Points held less any debt; below zero after refunds of points already spent."""
        return sum(lot.remaining for lot in self.lots.values() if not lot.closed) - self.debt

    def usable(self, at: datetime) -> int:
        """Points that can be spent at `at` (lots past their day are not, tick or no tick)."""
        return sum(lot.remaining for lot in self.lots.values() if lot.usable_at(at))

    def open_lots(self) -> list[Lot]:
        """Lots with points left, in the order they are consumed."""
        return sorted(
            (lot for lot in self.lots.values() if not lot.closed and lot.remaining > 0),
            key=Lot.order,
        )

    # -- earning -------------------------------------------------------------------------------

    def earn(self, purchase: Purchase, settings_at: SettingsAt) -> None:
        """Credit a treatment or a retail line, once per source, with the settings in force at
        its moment; then apply any refund of it already noted."""
        if purchase.source in self.earnings:
            return
        settings = settings_at(purchase.occurred_at)
        if not settings.enabled:
            return
        paid = purchase.amount_minor if settings.earns(purchase.payment_method) else 0
        rate = (
            settings.retail_rate
            if purchase.retail
            else settings.treatment_rate_for(purchase.category)
        )
        base = points_for(paid, purchase.currency, rate)
        detail = purchase.detail or purchase.source
        if not paid:
            detail = f"{detail}: paid by {purchase.payment_method.replace('_', ' ')}, no points"
        when = purchase.occurred_at
        self._credit(
            purchase.source,
            "earned",
            None,
            base,
            at=when,
            settings=settings,
            detail=detail,
            opens=purchase,
        )
        if paid and purchase.package:
            bonus = purchase.package_bonus
            self._credit(
                purchase.source,
                "bonus",
                "bonus:package",
                settings.package_bonus_points if bonus is None else bonus,
                at=when,
                settings=settings,
                detail=detail,
            )
        if paid and not purchase.retail and not purchase.package:
            for bonus_id, extra in settings.service_bonus_points(
                base, purchase.service_id, purchase.category
            ):
                self._credit(
                    purchase.source,
                    "bonus",
                    f"bonus:{bonus_id}",
                    extra,
                    at=when,
                    settings=settings,
                    detail=detail,
                )
        if paid and purchase.tier_multiplier is not None:
            tier_id, multiplier = purchase.tier_multiplier
            extra = base * (multiplier - 100) // 100
            self._credit(
                purchase.source,
                "bonus",
                f"tier:{tier_id}",
                extra,
                at=when,
                settings=settings,
                detail=detail,
            )
        if purchase.booking_id is not None:
            self._rebook_bonuses(purchase.booking_id, purchase.occurred_at, settings_at)
        self._reverse_due(purchase.source, purchase.occurred_at)

    def grant(
        self, grant_id: str, rule: str, points: int, at: datetime, settings: PointsSettings
    ) -> None:
        """A fixed bonus another programme grants (a referral, a birthday, a package), once."""
        if grant_id in self.grants or points <= 0 or not settings.enabled:
            return
        self._note_grant(grant_id=grant_id)
        self._credit(
            f"grant:{grant_id}", "bonus", rule, points, at=at, settings=settings, detail=rule
        )

    def _rebook_bonuses(self, booking_id: str, at: datetime, settings_at: SettingsAt) -> None:
        """The rebooking bonus: a visit within N days after another earns it, whichever of the
        two was reported first (a visit reported late gives the later one its bonus)."""
        settings = settings_at(at)
        window = settings.rebook_within_days
        key = self.visits[booking_id][1]
        if window and settings.rebook_bonus_points and self._visited_within(key, at, window):
            self._rebook_bonus(booking_id, at, settings)
        later_visits = [
            (other, when)
            for other, (when, other_key) in self.visits.items()
            if when > at and other_key != key
        ]
        for later_id, later_at in sorted(later_visits, key=lambda item: item[1]):
            later = settings_at(later_at)
            if (
                later.rebook_within_days
                and later.rebook_bonus_points
                and later_at - at <= timedelta(days=later.rebook_within_days)
            ):
                self._rebook_bonus(later_id, later_at, later)

    def _visited_within(self, visit_key: str, at: datetime, days: int) -> bool:
        """Whether another visit (not a back-to-back part of this one) came at most `days`
        before this one."""
        return any(
            at - timedelta(days=days) <= other < at
            for other, other_key in self.visits.values()
            if other_key != visit_key
        )

    def _visit_has_rebook_bonus(self, booking_id: str) -> bool:
        """One rebooking bonus per visit: a back-to-back part of a rewarded visit gets none."""
        key = self.visits[booking_id][1]
        return any(
            f"{booking_source(other)}#rebook" in self.lots
            for other, (_, other_key) in self.visits.items()
            if other_key == key
        )

    def _rebook_bonus(self, booking_id: str, at: datetime, settings: PointsSettings) -> None:
        source = booking_source(booking_id)
        earning = self.earnings.get(source)
        if earning is None or not earning.lots or self._visit_has_rebook_bonus(booking_id):
            return  # a visit that earned nothing (paid by package...) earns no bonus either
        points = settings.rebook_bonus_points
        detail = earning.detail
        self._credit(source, "bonus", "rebook", points, at=at, settings=settings, detail=detail)
        self._reverse_due(source, at)

    def _credit(
        self,
        source: str,
        reason: str,
        rule: str | None,
        points: int,
        *,
        at: datetime,
        settings: PointsSettings,
        detail: str,
        opens: Purchase | None = None,
    ) -> None:
        """Record a lot of points; `opens` is the purchase whose first credit this is."""
        if points <= 0 and reason != "earned":
            return
        expires_on = settings.expires_on(at) if points > 0 else None
        self._earned(
            source=source,
            lot_id=f"{source}#{rule or 'base'}",
            reason=reason,
            rule=rule,
            points=points,
            paid_debt=min(self.debt, points),
            earned_at=at,
            expires_on=expires_on.isoformat() if expires_on else None,
            detail=detail,
            balance=self.balance() + points,
            amount_minor=opens.amount_minor if opens else None,
            currency=opens.currency if opens else None,
            visit=opens.booking_id if opens else None,
            visit_key=(opens.visit_key or opens.booking_id) if opens else None,
        )

    # -- refunds -------------------------------------------------------------------------------

    def refund(
        self,
        refund_id: str,
        sources: Iterable[tuple[str, int | None, str | None]],
        at: datetime,
        *,
        whole_booking: str | None = None,
    ) -> None:
        """Note a refund once (by id): each ``(source, amount or None for all, currency)``; then
        reverse what those sources earned in proportion, and give back points spent on a wholly
        refunded booking."""
        if refund_id in self.refund_ids:
            return
        wanted = list(sources)
        for source, _, currency in wanted:
            earning = self.earnings.get(source)
            if earning is not None and currency is not None and currency != earning.currency:
                msg = (
                    f"Refund {refund_id!r} is in {currency}, but {source} was paid in "
                    f"{earning.currency}: send the amount refunded in the currency paid."
                )
                raise PointsRefused(msg)
        self._note_refund(
            refund_id=refund_id,
            lines=[[source, amount, currency] for source, amount, currency in wanted],
            at=at,
        )
        for source, _, _ in wanted:
            for earned in [each for each in self.earnings if _covers(source, each)]:
                self._reverse_due(earned, at)
        if whole_booking is not None:
            self._give_back(whole_booking, refund_id, at)

    def _wholly_refunded(self, booking_id: str) -> bool:
        source = booking_source(booking_id)
        return any(_covers(whole, source) for whole in self.wholly_refunded)

    def cancel_booking(self, booking_id: str, at: datetime) -> None:
        """A cancelled booking paid partly with points gives them back, like a whole refund."""
        self._give_back(booking_id, f"cancelled:{booking_id}", at)

    def _reverse_due(self, source: str, at: datetime) -> None:
        """Take back what the refunds of `source` noted so far call for, less what was taken."""
        earning = self.earnings.get(source)
        if earning is None:
            return
        if any(_covers(whole, source) for whole in self.wholly_refunded):
            target = earning.points
        elif earning.amount_minor:
            amount, currency = self.refunded.get(source, (0, earning.currency))
            # A refund of a line noted before the line arrived, in another currency than it was
            # paid in, cannot be measured against it: it is ignored (the line's first report
            # in that currency dead-letters a refund arriving after it).
            refunded = min(amount, earning.amount_minor) if currency == earning.currency else 0
            target = earning.points * refunded // earning.amount_minor
        else:
            target = 0
        expired = sum(self.lots[lot].expired for lot in earning.lots if lot in self.lots)
        # What expired of the line's own lots is gone already: a refund after the expiry takes
        # no more than one before it would have (then the expiry takes the rest).
        owed = min(target, earning.points - expired) - earning.reversed
        if owed <= 0:
            return
        own = [lot for lot in self.open_lots() if lot.lot_id in earning.lots]
        others = [lot for lot in self.open_lots() if lot.lot_id not in earning.lots]
        draws, left = _draw(own + others, owed)
        refunds = [
            refund
            for refund, sources in self.refund_ids.items()
            if any(_covers(refunded, source) for refunded in sources)
        ]
        self._reversed(
            source=source,
            refund_id=", ".join(refunds),
            points=owed,
            draws=draws,
            debt_added=left,
            at=at,
            balance=self.balance() - owed,
        )

    def _give_back(self, booking_id: str, refund_id: str, at: datetime) -> None:
        """Points spent on a booking refunded whole go back to the lots they were drawn from;
        those of a lot that expired meanwhile lapse (they would have expired unspent)."""
        redemption = self.redemptions.get(booking_id)
        if redemption is None or redemption.returned:
            return
        back = [
            (lot_id, points)
            for lot_id, points in redemption.draws
            if lot_id in self.lots and not self.lots[lot_id].closed
        ]
        total = sum(points for _, points in back)
        paid_debt = min(self.debt, total)
        owed = paid_debt
        restored: Draws = []
        for lot_id, points in back:
            taken = min(points, owed)
            owed -= taken
            restored.append([lot_id, points - taken])
        self._returned(
            booking_id=booking_id,
            refund_id=refund_id,
            points=redemption.points,
            restored=[draw for draw in restored if draw[1]],
            lapsed=redemption.points - total,
            paid_debt=paid_debt,
            at=at,
            balance=self.balance() + total,
        )

    # -- redemption ----------------------------------------------------------------------------

    def quote(self, bill_minor: int, currency: str, at: datetime, s: PointsSettings) -> PointsQuote:
        """The most points the client can put toward this bill now, and what they take off."""
        usable = self.usable(at) if s.enabled else 0
        most = min(usable, _most_for_share(bill_minor, currency, s))
        worth = points_worth(most, currency, s.points_per_currency_unit)
        most = min(most, points_to_pay(worth, currency, s.points_per_currency_unit))
        if most < s.min_redeem_points:
            most, worth = 0, 0
        return PointsQuote(
            balance=self.balance(),
            usable=usable,
            max_points=most,
            max_discount_minor=worth,
            min_points=s.min_redeem_points,
            currency=currency,
        )

    def redeem(
        self,
        booking_id: str,
        points: int,
        *,
        bill_minor: int,
        currency: str,
        at: datetime,
        settings: PointsSettings,
    ) -> Redemption:
        """Spend `points` on the booking's bill; a retry for the same booking answers the first.

        Only the points that buy whole minor units are spent. Refused below the programme's
        minimum, above what the client can spend now, or above the share of the bill points
        may pay, with the figures to correct it.
        """
        if booking_id in self.redemptions:
            return self.redemptions[booking_id]
        if not settings.enabled:
            raise PointsRefused("This business has no points programme switched on.")
        if self._wholly_refunded(booking_id):
            msg = f"Booking {booking_id!r} was refunded: points cannot be spent on it."
            raise PointsRefused(msg)
        per_unit = settings.points_per_currency_unit
        if points < max(1, settings.min_redeem_points):
            msg = f"At least {max(1, settings.min_redeem_points)} points can be redeemed at once."
            raise PointsRefused(msg)
        usable = self.usable(at)
        if points > usable:
            msg = f"The client has {usable} points to spend; {points} were asked for."
            raise PointsRefused(msg)
        discount = points_worth(points, currency, per_unit)
        share = bill_minor * settings.max_bill_percent // 100
        if discount > share:
            most = min(usable, _most_for_share(bill_minor, currency, settings))
            worth = format_money(points_worth(most, currency, per_unit), currency)
            msg = f"Points may pay at most {settings.max_bill_percent}% of the bill: " + (
                f"{most} points ({worth})."
                if most >= settings.min_redeem_points
                else f"less than the {settings.min_redeem_points} points that can be redeemed."
            )
            raise PointsRefused(msg)
        if discount <= 0:
            msg = f"{points} points are worth less than one minor unit: {per_unit} make one unit."
            raise PointsRefused(msg)
        spent = points_to_pay(discount, currency, per_unit)
        usable_lots = [lot for lot in self.open_lots() if lot.usable_at(at)]
        draws, _ = _draw(usable_lots, spent)
        self._redeemed(
            booking_id=booking_id,
            points=spent,
            discount_minor=discount,
            currency=currency,
            draws=draws,
            at=at,
            balance=self.balance() - spent,
        )
        return self.redemptions[booking_id]

    def record_booking_redemption(
        self, booking_id: str, discount_minor: int, currency: str, at: datetime, s: PointsSettings
    ) -> Redemption | None:
        """A booking the platform reports paid partly with points (a ``points`` discount): the
        discount was already given, so the points it cost are taken, once per booking (a
        checkout redemption of the same booking counts as it), as far as the client has them.
        Returns None when nothing could be taken."""
        if booking_id in self.redemptions:
            return self.redemptions[booking_id]
        if self._wholly_refunded(booking_id):
            return None  # the booking was refunded: its points discount was given back with it
        wanted = points_to_pay(discount_minor, currency, s.points_per_currency_unit)
        usable_lots = [lot for lot in self.open_lots() if lot.usable_at(at)]
        draws, short = _draw(usable_lots, wanted)
        spent = wanted - short
        if spent <= 0:
            return None
        self._redeemed(
            booking_id=booking_id,
            points=spent,
            discount_minor=discount_minor,
            currency=currency,
            draws=draws,
            at=at,
            balance=self.balance() - spent,
        )
        return self.redemptions[booking_id]

    # -- time ----------------------------------------------------------------------------------

    def expire(self, day: date, at: datetime) -> int:
        """The tick of `day`: close every lot whose day has come; their unspent points expire.
        Returns the points expired (0, and nothing recorded, when no lot was due)."""
        due = sorted(
            (
                lot
                for lot in self.lots.values()
                if not lot.closed and lot.expires_on is not None and lot.expires_on <= day
            ),
            key=Lot.order,
        )
        if not due:
            return 0
        points = sum(lot.remaining for lot in due)
        self._expired(
            on=day.isoformat(),
            at=at,
            closed=[lot.lot_id for lot in due],
            draws=[[lot.lot_id, lot.remaining] for lot in due if lot.remaining],
            points=points,
            balance=self.balance() - points,
        )
        return points

    def expiring_soon(self, day: date, notice_days: int | None) -> tuple[date, int] | None:
        """The next expiry within `notice_days` of `day` the client has not been told of:
        ``(expires on, points)``; None when there is none."""
        if not notice_days:
            return None
        horizon = day + timedelta(days=notice_days)
        soon: dict[date, int] = {}
        for lot in self.open_lots():
            if lot.expires_on is not None and day < lot.expires_on <= horizon:
                soon[lot.expires_on] = soon.get(lot.expires_on, 0) + lot.remaining
        for expires_on in sorted(soon):
            if expires_on.isoformat() not in self.noticed:
                return expires_on, soon[expires_on]
        return None

    def notify_expiry(self, day: date, notice_days: int | None, at: datetime) -> bool:
        """Tell the client of points about to expire, once per expiry date."""
        soon = self.expiring_soon(day, notice_days)
        if soon is None:
            return False
        expires_on, points = soon
        self._noticed(expires_on=expires_on.isoformat(), points=points, at=at)
        return True

    # -- by hand -------------------------------------------------------------------------------

    def adjust(
        self, adjustment_id: str, points: int, note: str, at: datetime, settings: PointsSettings
    ) -> None:
        """Add or take points by hand, with the reason; once per adjustment id. Taking more
        than the client has is refused (a debt only ever comes from a refund)."""
        if adjustment_id in self.adjustments:
            return
        if not note.strip() or len(note) > MAX_MESSAGE_LENGTH or has_control_characters(note):
            msg = (
                f"An adjustment needs a note of 1 to {MAX_MESSAGE_LENGTH} characters of plain "
                "text: say why the points change."
            )
            raise PointsRefused(msg)
        if points == 0 or abs(points) > MAX_POINTS:
            msg = f"An adjustment moves 1 to {MAX_POINTS} points, up or down (got {points})."
            raise PointsRefused(msg)
        balance = self.balance()
        if points < 0 and -points > max(balance, 0):
            msg = f"The client has {max(balance, 0)} points; {-points} cannot be taken."
            raise PointsRefused(msg)
        expires_on = settings.expires_on(at) if points > 0 else None
        draws, _ = _draw(self.open_lots(), -points) if points < 0 else ([], 0)
        self._adjusted(
            adjustment_id=adjustment_id,
            lot_id=f"adjustment:{adjustment_id}" if points > 0 else None,
            points=points,
            note=note.strip(),
            draws=draws,
            paid_debt=min(self.debt, points) if points > 0 else 0,
            expires_on=expires_on.isoformat() if expires_on else None,
            at=at,
            balance=balance + points,
        )

    # -- facts (each applies what happened; the decisions are above) -----------------------------

    @event("Earned")
    def _earned(
        self,
        *,
        source: str,
        lot_id: str,
        reason: str,
        rule: str | None,
        points: int,
        paid_debt: int,
        earned_at: datetime,
        expires_on: str | None,
        detail: str,
        balance: int,
        amount_minor: int | None = None,
        currency: str | None = None,
        visit: str | None = None,
        visit_key: str | None = None,
    ) -> None:
        """`paid_debt` of the points pay off a debt first; the rest is the lot's. The first credit
        of a purchase also records what was paid (`amount_minor`, `currency`: what a refund is
        measured against) and, for a treatment, the visit (`visit`: its booking id, for the
        rebooking bonus), so a completion is one stored event."""
        if amount_minor is not None and currency is not None:
            self.earnings[source] = Earning(amount_minor, currency, detail)
        if visit is not None:
            self.visits[visit] = (earned_at, visit_key or visit)
        earning = self.earnings.get(source)
        if earning is not None and points > 0:
            earning.lots.append(lot_id)
            earning.points += points
        if points > 0:
            self.debt -= paid_debt
            self.lots[lot_id] = Lot(
                lot_id=lot_id,
                source=source,
                points=points,
                remaining=points - paid_debt,
                earned_at=earned_at,
                expires_on=date.fromisoformat(expires_on) if expires_on else None,
            )

    @event("GrantNoted")
    def _note_grant(self, *, grant_id: str) -> None:
        self.grants.add(grant_id)

    @event("RefundNoted")
    def _note_refund(
        self, *, refund_id: str, lines: list[list[str | int | None]], at: datetime
    ) -> None:
        """Each line is ``[source, amount or None (all of it), currency or None]``."""
        self.refund_ids[refund_id] = [str(source) for source, _, _ in lines]
        for source, amount, currency in lines:
            if amount is None:
                self.wholly_refunded.add(str(source))
            else:
                before, _ = self.refunded.get(str(source), (0, ""))
                self.refunded[str(source)] = (before + int(amount), str(currency))

    @event("Reversed")
    def _reversed(
        self,
        *,
        source: str,
        refund_id: str,
        points: int,
        draws: Draws,
        debt_added: int,
        at: datetime,
        balance: int,
    ) -> None:
        self.earnings[source].reversed += points
        self._take(draws)
        self.debt += debt_added

    @event("Redeemed")
    def _redeemed(
        self,
        *,
        booking_id: str,
        points: int,
        discount_minor: int,
        currency: str,
        draws: Draws,
        at: datetime,
        balance: int,
    ) -> None:
        self._take(draws)
        self.redemptions[booking_id] = Redemption(
            booking_id=booking_id,
            points=points,
            discount_minor=discount_minor,
            currency=currency,
            draws=tuple((str(lot), int(n)) for lot, n in draws),
        )

    @event("Returned")
    def _returned(
        self,
        *,
        booking_id: str,
        refund_id: str,
        points: int,
        restored: Draws,
        lapsed: int,
        paid_debt: int,
        at: datetime,
        balance: int,
    ) -> None:
        """`restored` is net of `paid_debt`: the points given back pay off a debt first."""
        redemption = self.redemptions[booking_id]
        self.redemptions[booking_id] = Redemption(
            booking_id=redemption.booking_id,
            points=redemption.points,
            discount_minor=redemption.discount_minor,
            currency=redemption.currency,
            draws=redemption.draws,
            returned=True,
        )
        for lot_id, points_back in restored:
            self.lots[str(lot_id)].remaining += int(points_back)
        self.debt -= paid_debt

    @event("Expired")
    def _expired(
        self, *, on: str, at: datetime, closed: list[str], draws: Draws, points: int, balance: int
    ) -> None:
        self._take(draws)
        for lot_id, points_expired in draws:
            self.lots[str(lot_id)].expired += int(points_expired)
        for lot_id in closed:
            self.lots[lot_id].closed = True

    @event("ExpiryNoticed")
    def _noticed(self, *, expires_on: str, points: int, at: datetime) -> None:
        self.noticed.add(expires_on)

    @event("Adjusted")
    def _adjusted(
        self,
        *,
        adjustment_id: str,
        lot_id: str | None,
        points: int,
        note: str,
        draws: Draws,
        paid_debt: int,
        expires_on: str | None,
        at: datetime,
        balance: int,
    ) -> None:
        """`lot_id` names the lot a positive adjustment credits (None when it takes points)."""
        self.adjustments.add(adjustment_id)
        self._take(draws)
        if lot_id is not None:
            self.debt -= paid_debt
            self.lots[lot_id] = Lot(
                lot_id=lot_id,
                source=lot_id,
                points=points,
                remaining=points - paid_debt,
                earned_at=at,
                expires_on=date.fromisoformat(expires_on) if expires_on else None,
            )

    def _take(self, draws: Draws) -> None:
        for lot_id, points in draws:
            self.lots[str(lot_id)].remaining -= int(points)


def _on_day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@dataclass(frozen=True)
class Movement:
    """One movement of an account, told from its stored event: what its history row shows, what
    the public fact says, and what it does to the debt and to the points ever earned (the one
    home of that reading, for the read model and the outbox alike)."""

    at: datetime
    reason: str
    points: int
    balance: int
    source: str
    rule: str | None = None
    detail: str | None = None
    note: str | None = None
    expires_on: date | None = None
    debt: int = 0
    """What the movement adds to the account's debt (negative when it pays it off)."""
    earned: int = 0
    """What it adds to the points the account ever earned."""


def _refunded_by(refund_id: str | None) -> str | None:
    return f"refund {refund_id}" if refund_id else None


def movement_of(kind: str, event: Any) -> Movement | None:
    """The movement of a points account event; None for an event that moves no points (an
    ``Earned`` of none is still a movement: its row says why the line earned nothing)."""
    movement: Movement | None = None
    match kind:
        case "PointsAccount.Earned":
            movement = Movement(
                at=event.earned_at,
                reason=event.reason,
                points=event.points,
                balance=event.balance,
                source=event.source,
                rule=event.rule,
                detail=event.detail,
                expires_on=_on_day(event.expires_on),
                debt=-event.paid_debt,
                earned=event.points,
            )
        case "PointsAccount.Reversed":
            movement = Movement(
                at=event.at,
                reason="reversed",
                points=-event.points,
                balance=event.balance,
                source=event.source,
                detail=_refunded_by(event.refund_id),
                debt=event.debt_added,
            )
        case "PointsAccount.Returned":
            # Points spent on a booking refunded whole, given back (a debt is paid first).
            back = sum(int(points) for _, points in event.restored) + event.paid_debt
            movement = Movement(
                at=event.at,
                reason="reversed",
                points=back,
                balance=event.balance,
                source=f"booking:{event.booking_id}",
                detail=_refunded_by(event.refund_id),
                debt=-event.paid_debt,
            )
        case "PointsAccount.Redeemed":
            movement = Movement(
                at=event.at,
                reason="redeemed",
                points=-event.points,
                balance=event.balance,
                source=f"booking:{event.booking_id}",
            )
        case "PointsAccount.Expired":
            movement = Movement(
                at=event.at,
                reason="expired",
                points=-event.points,
                balance=event.balance,
                source="expiry",
            )
        case "PointsAccount.Adjusted":
            movement = Movement(
                at=event.at,
                reason="adjusted",
                points=event.points,
                balance=event.balance,
                source=f"adjustment:{event.adjustment_id}",
                note=event.note,
                expires_on=_on_day(event.expires_on),
                debt=-event.paid_debt,
            )
    return movement


def _most_for_share(bill_minor: int, currency: str, settings: PointsSettings) -> int:
    """The most points whose worth stays within the share of the bill points may pay."""
    share = bill_minor * settings.max_bill_percent // 100
    return share * settings.points_per_currency_unit // minor_units_per_unit(currency)


def _covers(refunded: str, source: str) -> bool:
    """A refund of ``order:O1`` (the whole order) covers every line ``order:O1:<sku>``."""
    return source == refunded or source.startswith(f"{refunded}:")


def _draw(lots: list[Lot], points: int) -> tuple[Draws, int]:
    """Take `points` from `lots` in order: the draws, and what they could not cover."""
    draws: Draws = []
    left = points
    for lot in lots:
        if left <= 0:
            break
        take = min(lot.remaining, left)
        if take > 0:
            draws.append([lot.lot_id, take])
            left -= take
    return draws, max(left, 0)
