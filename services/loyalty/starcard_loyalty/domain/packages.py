"""A client's pre-paid packages at one tenant: which session each package-paid visit used.

The holdings keep what they were told: each package bought (on the terms it was sold on), each
appointment paid from a package (a completion, or a redemption at checkout), each booking
cancelled or refunded, each package refunded, and the last day the clock reached them. Which
package a visit used is *computed* from those facts by :func:`holdings`, in event time, so a
feed replayed, re-delivered or arriving in any order gives the same balances:

- a visit uses a session of a package that covers its service, was bought by the end of the
  visit's day (a package sold at the same checkout counts), is not refunded or expired at the
  visit and has a session left; of those, the one that expires soonest (then the oldest; one
  valid from first use and not started yet counts as not expiring, so running packages are
  used first);
- a booking cancelled or refunded gives its session back to the package it used, which then
  pays the earliest visit still waiting that it can (a cancellation before the visit means it
  never used one; a session back after the package expired stays expired);
- a visit no package can pay for is kept, as needing attention: a package reported later that
  covers it takes it;
- unused sessions expire at the start of the expiry day (the clock tick of that day); a package
  valid from first use has no expiry until a session is used;
- a refund closes the package: its unused sessions' share of the price (or the price less the
  used sessions at the single price, by the tenant's policy) is owed back; on or after the
  expiry day nothing is (the unused sessions had expired);
- a booking reported twice (a checkout redemption, then its completion; a cancellation, then a
  refund) takes its earliest moment.

What the client and the platform have been told (a session used on which package, a package
expired or refunded and its figures) is recorded as events when the computed holdings differ
from it, so facts and emails go out once per change; a late fact that moves a session or changes
a figure is told as a correction. Every event also carries the holdings after it (`snapshot`)
and the next day the clock must look at them (`review_on`: a reminder or an expiry falls due).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from starcard_kernel.money import share_of

from starcard_loyalty.domain.ids import package_holdings_id
from starcard_loyalty.domain.package_settings import PackageTerms, RefundPolicy, ValidFrom

__all__ = [
    "Balance",
    "Bought",
    "Holdings",
    "PackageHoldings",
    "PackageRefund",
    "PackageUse",
    "Reminders",
    "holdings",
    "package_source",
]


def package_source(purchase_id: str) -> str:
    """What points and tier spend name a package purchase by (a refund names it too)."""
    return f"package:{purchase_id}"


@dataclass(frozen=True)
class Reminders:
    """How many days before unused sessions expire a client is reminded (None: not at all),
    under which version of the tenant's package settings: holdings judged under an older one
    are looked at again by the next tick."""

    days: int | None
    settings_version: int = 0


@dataclass(frozen=True)
class Bought:
    """A package a client bought, on the terms it was sold on."""

    purchase_id: str
    terms: PackageTerms
    package_id: str | None
    price_minor: int
    at: datetime


@dataclass(frozen=True)
class PackageUse:
    """A visit paid from a package: a completion, or a redemption at checkout."""

    booking_id: str
    service_id: str | None
    category: str | None
    service_name: str
    at: datetime


@dataclass(frozen=True)
class PackageRefund:
    """A package refunded, under the refund policy of its moment."""

    refund_id: str
    purchase_id: str
    at: datetime
    policy: RefundPolicy


@dataclass(frozen=True)
class Balance:
    """One package once every known fact is applied."""

    bought: Bought
    used: tuple[str, ...]
    """The bookings whose sessions it paid for (and not given back), in visit order."""
    expires_on: date | None
    status: str
    """``active`` | ``used_up`` | ``expired`` | ``refunded``."""
    left: int
    """Sessions still usable."""
    closed: int
    """Sessions that expired unused, or that the refund returned."""
    refund_minor: int | None
    deferred_minor: int
    """The price received for sessions not delivered yet (the clinic's liability)."""

    @property
    def purchase_id(self) -> str:
        return self.bought.purchase_id

    def to_record(self) -> dict[str, Any]:
        terms = self.bought.terms
        return {
            "purchase_id": self.purchase_id,
            "package_id": self.bought.package_id,
            "name": terms.name,
            "sessions": terms.sessions,
            "used": len(self.used),
            "left": self.left,
            "closed": self.closed,
            "status": self.status,
            "bought_on": self.bought.at.date().isoformat(),
            "expires_on": self.expires_on.isoformat() if self.expires_on else None,
            "price_minor": self.bought.price_minor,
            "currency": terms.currency,
            "deferred_minor": self.deferred_minor,
            "refund_minor": self.refund_minor,
        }


@dataclass(frozen=True)
class Holdings:
    """A client's packages, which package each visit used, and the visits none could pay."""

    balances: dict[str, Balance]
    allocation: dict[str, str]
    """Booking id -> the purchase whose session it used."""
    unmatched: tuple[PackageUse, ...]

    def snapshot(self) -> dict[str, Any]:
        """What every holdings event records: plain JSON values, for the read model."""
        return {
            "packages": [each.to_record() for each in self.balances.values()],
            "unmatched": [
                {
                    "booking_id": use.booking_id,
                    "service_name": use.service_name,
                    "on": use.at.date().isoformat(),
                }
                for use in self.unmatched
            ],
        }

    def closing(self) -> dict[str, tuple[str, int, int | None]]:
        """Purchase id -> (status, sessions closed, refund) of each expired or refunded one."""
        return {
            purchase_id: (each.status, each.closed, each.refund_minor)
            for purchase_id, each in self.balances.items()
            if each.status in {"expired", "refunded"}
        }


def _start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


@dataclass
class _Package:
    """A package as the timeline runs through it."""

    bought: Bought
    used: list[tuple[str, date]] = field(default_factory=list)
    refund: PackageRefund | None = None
    expired_on: date | None = None
    """Set when a session comes back after the package expired: it stays expired that day."""

    def expires_on(self, first_use: date | None = None) -> date | None:
        """The day its sessions expire; a package valid from first use takes `first_use` as its
        first when it has none yet (the expiry a visit on that day would start)."""
        terms = self.bought.terms
        if self.expired_on is not None:
            return self.expired_on
        if terms.validity_days is None:
            return None
        if terms.valid_from is ValidFrom.PURCHASE:
            start: date | None = self.bought.at.date()
        else:
            start = min((day for _, day in self.used), default=first_use)
        return None if start is None else start + timedelta(days=terms.validity_days)

    def can_pay(self, use: PackageUse) -> bool:
        day = use.at.date()
        expires = self.expires_on(day)
        return (
            self.refund is None
            and self.bought.at.date() <= day
            and len(self.used) < self.bought.terms.sessions
            and (expires is None or day < expires)
            and self.bought.terms.covers(use.service_id, use.category)
        )


def holdings(
    bought: Iterable[Bought],
    uses: Iterable[PackageUse],
    withdrawn: Mapping[str, datetime],
    refunds: Iterable[PackageRefund],
    through: date | None,
) -> Holdings:
    """The client's packages on the facts known, judged through the day `through` (the last
    the clock reached): the one home of the rules in this module's docstring.

    `withdrawn` maps a booking cancelled or refunded to its moment.
    """
    packages = {each.purchase_id: _Package(each) for each in bought}
    moments: list[tuple[datetime, int, str, Any]] = []
    for package in packages.values():
        # Bought by the end of the visit's day counts: a package enters at the start of its day.
        moments.append((_start(package.bought.at.date()), 0, package.bought.purchase_id, package))
    for refund in refunds:
        if refund.purchase_id in packages:
            moments.append((refund.at, 1, refund.refund_id, refund))
    for booking_id, at in withdrawn.items():
        moments.append((at, 2, booking_id, None))
    for use in uses:
        moments.append((use.at, 3, use.booking_id, use))
    moments.sort(key=lambda moment: moment[:3])

    timeline = _Timeline()
    for at, kind, key, fact in moments:
        if kind == 0:
            timeline.open.append(fact)
        elif kind == 1:
            package = packages[fact.purchase_id]
            package.refund = package.refund or fact
        elif kind == 2:
            timeline.withdraw(key, at)
        else:
            timeline.use(fact)
    balances = {key: _balance(package, through) for key, package in packages.items()}
    return Holdings(
        balances=balances,
        allocation={
            booking: package.bought.purchase_id for booking, package in timeline.allocation.items()
        },
        unmatched=tuple(use for use in timeline.unmatched if use.booking_id not in timeline.gone),
    )


@dataclass
class _Timeline:
    """The packages open so far, and which visit used which, as time runs."""

    open: list[_Package] = field(default_factory=list)
    allocation: dict[str, _Package] = field(default_factory=dict)
    gone: set[str] = field(default_factory=set)
    """Bookings cancelled or refunded so far."""
    unmatched: list[PackageUse] = field(default_factory=list)

    def withdraw(self, booking_id: str, at: datetime) -> None:
        """The booking's session goes back to its package, which then pays the earliest visit
        still waiting that it can (one reported needing attention). A package that had
        expired by then keeps its expiry day: the session came back to an expired package."""
        self.gone.add(booking_id)
        if booking_id not in self.allocation:
            return
        package = self.allocation.pop(booking_id)
        expires = package.expires_on()
        if expires is not None and at.date() >= expires:
            package.expired_on = expires
        package.used = [each for each in package.used if each[0] != booking_id]
        for waiting in sorted(self.unmatched, key=lambda use: (use.at, use.booking_id)):
            if waiting.booking_id not in self.gone and package.can_pay(waiting):
                self.unmatched.remove(waiting)
                self._allocate(waiting, package)
                return

    def use(self, use: PackageUse) -> None:
        if use.booking_id in self.gone or use.booking_id in self.allocation:
            return
        candidates = [each for each in self.open if each.can_pay(use)]
        if not candidates:
            self.unmatched.append(use)
            return
        # Expiring soonest first; a package valid from first use and not started yet expires
        # never (so far): the packages already running are used before one is started.
        chosen = min(
            candidates,
            key=lambda each: (
                each.expires_on() or date.max,
                each.bought.at,
                each.bought.purchase_id,
            ),
        )
        self._allocate(use, chosen)

    def _allocate(self, use: PackageUse, package: _Package) -> None:
        package.used.append((use.booking_id, use.at.date()))
        self.allocation[use.booking_id] = package


def _balance(package: _Package, through: date | None) -> Balance:
    bought, terms = package.bought, package.bought.terms
    used = len(package.used)
    unused = terms.sessions - used
    expires = package.expires_on()
    figures: dict[str, Any] = {
        "status": "used_up" if unused == 0 else "active",
        "left": unused,
        "closed": 0,
        "refund_minor": None,
        "deferred_minor": share_of(bought.price_minor, unused, terms.sessions),
    }
    if package.refund is not None:
        lapsed = expires is not None and package.refund.at.date() >= expires
        figures |= {
            "status": "refunded",
            "left": 0,
            "closed": unused,
            # Refunded on or after its expiry day: the unused sessions had expired, nothing is owed.
            "refund_minor": 0 if lapsed else refund_owed(package.refund.policy, bought, used),
            "deferred_minor": 0,
        }
    elif unused and expires is not None and through is not None and through >= expires:
        figures |= {"status": "expired", "left": 0, "closed": unused, "deferred_minor": 0}
    return Balance(
        bought=bought,
        used=tuple(booking for booking, _ in package.used),
        expires_on=expires,
        **figures,
    )


def refund_owed(policy: RefundPolicy, bought: Bought, used: int) -> int:
    """What a refund of the package gives back once `used` sessions were used."""
    terms = bought.terms
    single = terms.single_session_minor
    if policy is RefundPolicy.LESS_SESSIONS_USED and single is not None:
        return max(0, bought.price_minor - used * single)
    return share_of(bought.price_minor, terms.sessions - used, terms.sessions)


class PackageHoldings(Aggregate):
    """One client's packages at one tenant. Started with ``PackageHoldings(tenant_id=..,
    client_id=..)``; its id is ``package_holdings_id(tenant_id, client_id)``."""

    @staticmethod
    def create_id(tenant_id: str, client_id: str) -> UUID:
        return package_holdings_id(tenant_id, client_id)

    @event("Opened")
    def __init__(self, *, tenant_id: str, client_id: str) -> None:
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.bought: dict[str, Bought] = {}
        self.uses: dict[str, PackageUse] = {}
        self.withdrawn: dict[str, datetime] = {}
        self.refunds: dict[str, PackageRefund] = {}
        self.through: date | None = None
        self.told_allocation: dict[str, str] = {}
        """Booking id -> the purchase the platform was told its session came from."""
        self.told_closing: dict[str, tuple[str, int, int | None]] = {}
        self.reminded: set[tuple[str, str]] = set()
        """``(purchase id, expiry day)`` reminders sent."""
        self.snapshot: dict[str, Any] = {"packages": [], "unmatched": []}
        self.review_on: str | None = None
        self.settings_version = 0

    def holdings(self, through: date | None = None) -> Holdings:
        """The holdings on the facts known (judged through `through`, if later than the clock)."""
        last = max(filter(None, (self.through, through)), default=None)
        return holdings(
            self.bought.values(), self.uses.values(), self.withdrawn, self.refunds.values(), last
        )

    def _other_uses(self, booking_id: str) -> list[PackageUse]:
        return [use for key, use in self.uses.items() if key != booking_id]

    def payer(self, service_id: str | None, category: str | None, at: datetime) -> str | None:
        """The purchase whose session a visit to the service at `at` would use (None: none)."""
        asked = PackageUse("", service_id, category, "", at)
        after = holdings(
            self.bought.values(),
            [*self.uses.values(), asked],
            self.withdrawn,
            self.refunds.values(),
            self.through,
        )
        return after.allocation.get(asked.booking_id)

    # -- commands --------------------------------------------------------------------------------

    def buy(self, bought: Bought, reminders: Reminders) -> None:
        """Note a package bought, once per purchase id."""
        if bought.purchase_id in self.bought:
            return
        self._bought(
            purchase_id=bought.purchase_id,
            terms=bought.terms.to_record(),
            package_id=bought.package_id,
            price_minor=bought.price_minor,
            at=bought.at,
            **self._after(reminders, bought=[bought]),
        )
        self._tell(bought.at, reminders)

    def use(self, use: PackageUse, reminders: Reminders) -> str | None:
        """Note a visit paid from a package, once per booking; returns the purchase whose session
        it used (None: no package could pay for it, or the booking was cancelled)."""
        known = self.uses.get(use.booking_id)
        if known is None or use.at < known.at:
            after = holdings(
                self.bought.values(),
                [*self._other_uses(use.booking_id), use],
                self.withdrawn,
                self.refunds.values(),
                self.through,
            )
            self._used(
                booking_id=use.booking_id,
                service_id=use.service_id,
                category=use.category,
                service_name=use.service_name,
                at=use.at,
                # told with the visit, unless its session was told before (then any move is
                # told as a restore and a use, below)
                purchase_id=None
                if use.booking_id in self.told_allocation
                else after.allocation.get(use.booking_id),
                **self._outlook(after, reminders, self.through),
            )
            self._tell(use.at, reminders)
        return self.told_allocation.get(use.booking_id)

    def withdraw(self, booking_id: str, at: datetime, reminders: Reminders) -> None:
        """A booking cancelled or wholly refunded: its session, if it used one, goes back; one
        reported later uses none. Noted once per booking."""
        if booking_id in self.withdrawn and self.withdrawn[booking_id] <= at:
            return
        self._withdrawn(
            booking_id=booking_id,
            at=at,
            **self._after(reminders, withdrawn={booking_id: at}),
        )
        self._tell(at, reminders)

    def refund(self, refund: PackageRefund, reminders: Reminders) -> None:
        """A package refunded: noted once per refund id, even before its purchase arrives."""
        if refund.refund_id in self.refunds:
            return
        self._refunded(
            refund_id=refund.refund_id,
            purchase_id=refund.purchase_id,
            at=refund.at,
            policy=refund.policy.value,
            **self._after(reminders, refunds=[refund]),
        )
        self._tell(refund.at, reminders)

    def review(self, day: date, at: datetime, reminders: Reminders) -> None:
        """The clock tick of `day`: packages whose expiry day came expire; clients with sessions
        expiring within the reminder period are reminded, once per package and expiry day. A tick
        of a day already reached changes nothing (what came since waits for the next)."""
        if self.through is not None and day <= self.through:
            return
        through = day
        after = self.holdings(through)
        for balance in after.balances.values():
            due = _reminder_due(balance, reminders, through)
            key = (balance.purchase_id, str(balance.expires_on))
            if due and key not in self.reminded:
                self._reminded(
                    purchase_id=balance.purchase_id,
                    expires_on=str(balance.expires_on),
                    left=balance.left,
                    at=at,
                    **self._after(reminders, through=through, reminded={key}),
                )
        self._reviewed(day=through.isoformat(), **self._after(reminders, through=through))
        self._tell(at, reminders)

    # -- what was told ---------------------------------------------------------------------------

    def _tell(self, at: datetime, reminders: Reminders) -> None:
        """Record each difference between the computed holdings and what was told: sessions
        given back or moved, sessions used, packages closed or their figures corrected. Telling
        changes no fact, so every event told here leaves the same holdings behind."""
        after = self.holdings()
        outlook = self._outlook(after, reminders, self.through)
        for booking_id, purchase_id in sorted(self.told_allocation.items()):
            if after.allocation.get(booking_id) != purchase_id:
                self._session_restored(
                    booking_id=booking_id,
                    purchase_id=purchase_id,
                    at=at,
                    **outlook,
                )
        for booking_id, purchase_id in after.allocation.items():
            if self.told_allocation.get(booking_id) != purchase_id:
                self._session_used(
                    booking_id=booking_id,
                    purchase_id=purchase_id,
                    at=at,
                    **outlook,
                )
        closing = after.closing()
        for purchase_id in sorted(closing.keys() | self.told_closing.keys()):
            if closing.get(purchase_id) != self.told_closing.get(purchase_id):
                told = self.told_closing.get(purchase_id)
                status = (closing.get(purchase_id) or self.told_closing[purchase_id])[0]
                self._closed(
                    purchase_id=purchase_id,
                    status=status,
                    corrected=told is not None and told[0] == status,
                    at=at,
                    **outlook,
                )

    def _after(
        self,
        reminders: Reminders,
        *,
        bought: Iterable[Bought] = (),
        uses: Iterable[PackageUse] = (),
        withdrawn: Mapping[str, datetime] | None = None,
        refunds: Iterable[PackageRefund] = (),
        through: date | None = None,
        reminded: set[tuple[str, str]] | None = None,
    ) -> dict[str, Any]:
        """The snapshot and next review the event about to be recorded leaves behind."""
        last = max(filter(None, (self.through, through)), default=None)
        after = holdings(
            [*self.bought.values(), *bought],
            [*{**self.uses, **{use.booking_id: use for use in uses}}.values()],
            {**self.withdrawn, **(withdrawn or {})},
            [*self.refunds.values(), *refunds],
            last,
        )
        return self._outlook(after, reminders, last, reminded)

    def _outlook(
        self,
        after: Holdings,
        reminders: Reminders,
        through: date | None,
        reminded: set[tuple[str, str]] | None = None,
    ) -> dict[str, Any]:
        review_on = _review_on(after, self.reminded | (reminded or set()), reminders, through)
        return {
            "snapshot": after.snapshot(),
            "review_on": review_on.isoformat() if review_on else None,
            "settings_version": reminders.settings_version,
        }

    # -- facts ---------------------------------------------------------------------------------

    def _keep(self, snapshot: dict[str, Any], review_on: str | None, version: int) -> None:
        self.snapshot = snapshot
        self.review_on = review_on
        self.settings_version = version

    @event("Bought")
    def _bought(
        self,
        *,
        purchase_id: str,
        terms: dict[str, Any],
        package_id: str | None,
        price_minor: int,
        at: datetime,
        snapshot: dict[str, Any],
        review_on: str | None,
        settings_version: int = 0,
    ) -> None:
        self.bought[purchase_id] = Bought(
            purchase_id, PackageTerms.from_record(terms), package_id, price_minor, at
        )
        self._keep(snapshot, review_on, settings_version)

    @event("UseNoted")
    def _used(
        self,
        *,
        booking_id: str,
        service_id: str | None,
        category: str | None,
        service_name: str,
        at: datetime,
        snapshot: dict[str, Any],
        review_on: str | None,
        settings_version: int = 0,
        purchase_id: str | None = None,
    ) -> None:
        self.uses[booking_id] = PackageUse(booking_id, service_id, category, service_name, at)
        if purchase_id is not None:  # the session it used, told with the visit: one event
            self.told_allocation[booking_id] = purchase_id
        self._keep(snapshot, review_on, settings_version)

    @event("Withdrawn")
    def _withdrawn(
        self,
        *,
        booking_id: str,
        at: datetime,
        snapshot: dict[str, Any],
        review_on: str | None,
        settings_version: int = 0,
    ) -> None:
        self.withdrawn[booking_id] = at
        self._keep(snapshot, review_on, settings_version)

    @event("RefundNoted")
    def _refunded(
        self,
        *,
        refund_id: str,
        purchase_id: str,
        at: datetime,
        policy: str,
        snapshot: dict[str, Any],
        review_on: str | None,
        settings_version: int = 0,
    ) -> None:
        self.refunds[refund_id] = PackageRefund(refund_id, purchase_id, at, RefundPolicy(policy))
        self._keep(snapshot, review_on, settings_version)

    @event("SessionUsed")
    def _session_used(
        self,
        *,
        booking_id: str,
        purchase_id: str,
        at: datetime,
        snapshot: dict[str, Any],
        review_on: str | None,
        settings_version: int = 0,
    ) -> None:
        self.told_allocation[booking_id] = purchase_id
        self._keep(snapshot, review_on, settings_version)

    @event("SessionRestored")
    def _session_restored(
        self,
        *,
        booking_id: str,
        purchase_id: str,
        at: datetime,
        snapshot: dict[str, Any],
        review_on: str | None,
        settings_version: int = 0,
    ) -> None:
        self.told_allocation.pop(booking_id, None)
        self._keep(snapshot, review_on, settings_version)

    @event("Closed")
    def _closed(
        self,
        *,
        purchase_id: str,
        status: str,
        corrected: bool,
        at: datetime,
        snapshot: dict[str, Any],
        review_on: str | None,
        settings_version: int = 0,
    ) -> None:
        record = next(each for each in snapshot["packages"] if each["purchase_id"] == purchase_id)
        if record["status"] in {"expired", "refunded"}:
            self.told_closing[purchase_id] = (
                record["status"],
                record["closed"],
                record["refund_minor"],
            )
        else:
            self.told_closing.pop(purchase_id, None)
        self._keep(snapshot, review_on, settings_version)

    @event("ExpiryReminded")
    def _reminded(
        self,
        *,
        purchase_id: str,
        expires_on: str,
        left: int,
        at: datetime,
        snapshot: dict[str, Any],
        review_on: str | None,
        settings_version: int = 0,
    ) -> None:
        self.reminded.add((purchase_id, expires_on))
        self._keep(snapshot, review_on, settings_version)

    @event("Reviewed")
    def _reviewed(
        self,
        *,
        day: str,
        snapshot: dict[str, Any],
        review_on: str | None,
        settings_version: int = 0,
    ) -> None:
        self.through = date.fromisoformat(day)
        self._keep(snapshot, review_on, settings_version)


def _reminder_due(balance: Balance, reminders: Reminders, through: date) -> bool:
    """Whether the client should be reminded of the package's expiry by the day `through`."""
    days = reminders.days
    if balance.status != "active" or balance.expires_on is None or days is None:
        return False
    return balance.expires_on - timedelta(days=days) <= through < balance.expires_on


def _review_on(
    after: Holdings,
    reminded: set[tuple[str, str]],
    reminders: Reminders,
    through: date | None,
) -> date | None:
    """The next day the tick must look at the holdings: a reminder or an expiry due."""
    days: list[date] = []
    for balance in after.balances.values():
        if balance.status != "active" or balance.expires_on is None:
            continue
        days.append(balance.expires_on)
        key = (balance.purchase_id, balance.expires_on.isoformat())
        if reminders.days is not None and key not in reminded:
            remind = balance.expires_on - timedelta(days=reminders.days)
            soonest = through + timedelta(days=1) if through is not None else remind
            days.append(max(remind, soonest))
    return min(days) if days else None
