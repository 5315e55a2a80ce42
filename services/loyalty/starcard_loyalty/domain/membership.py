"""A client's membership tier at one tenant, decided from the spend in a rolling window.

The account keeps what it was told: each purchase that counts (its source, amount, moment and
kind), each refund, and the days the clock reached it. The tier *history* is not stored: it is
computed from those facts and the tenant's settings by :func:`standing`, in event time, so a
feed replayed, re-delivered or arriving in any order gives the same history:

- an upgrade happens at the purchase whose moment takes the spend in the window to a tier's
  entry threshold (or at a settings change that lowers one);
- a purchase leaves the window at the start of the day ``window_months`` after it (the clock
  tick of that day); a drop happens only at such a moment, at a refund or at a settings change,
  when the spend falls below what the tier needs to stay, and not while the tier is held (its
  keep period after an upgrade; after a one-tier drop, the time to win the lower tier's place):
  then at the end of the hold, if the spend is still short;
- a drop goes one tier down, or straight to the tier the spend matches (a setting);
- nothing moves while the tenant's tiers are switched off.

What the client has been told (`announced`) is recorded as ``TierChanged`` when the computed tier
of now differs from it, so emails and facts go out once per change. Every event also records the
outlook after it: the spend in the window, the drop ahead and what keeps the tier, and the next
day the account must be looked at (``review_on``: a warning or a drop falls due, or a purchase
leaves the window), with the settings version it was computed under. That is all the daily tick
needs to find the clients it must look at.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import groupby
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from starcard_loyalty.domain.ids import membership_id
from starcard_loyalty.domain.tier_settings import DropMode, SpendKind, TierSettings, months_after

__all__ = ["Membership", "Spend", "Standing", "TierChange", "TierRules", "standing"]


class TierRules(Protocol):
    """A tenant's tier settings over time (the programme's versions)."""

    def at(self, moment: datetime) -> TierSettings:
        """The settings in force at `moment`."""

    @property
    def changes(self) -> Sequence[datetime]:
        """The moments the settings changed: each re-judges every member."""

    @property
    def version(self) -> int:
        """How many times they changed: a member judged under an older version is looked at
        again by the next tick."""


@dataclass(frozen=True)
class Spend:
    """A purchase that counts toward a tier."""

    source: str
    """``booking:<id>``, ``order:<id>:<sku>``, ``package:<id>``: what a refund names."""
    amount_minor: int
    at: datetime
    kind: SpendKind


@dataclass(frozen=True)
class RefundLine:
    """Money given back on a source: `target` is a source, or ``order:<id>:`` for every line of
    an order; `amount_minor` None for all of it."""

    refund_id: str
    target: str
    amount_minor: int | None
    at: datetime

    def covers(self, source: str) -> bool:
        return source == self.target or (
            self.target.endswith(":") and source.startswith(self.target)
        )


@dataclass(frozen=True)
class TierChange:
    """One move of the tier, and why."""

    at: datetime
    from_tier: str
    to_tier: str
    reason: str
    """``spend_reached`` | ``spend_left_window`` | ``refunded`` | ``keep_period_ended`` (and, for
    an announced change only, ``corrected``: see ``Membership._announce``)."""
    spend_minor: int
    """The spend in the window at that moment."""

    @property
    def up(self) -> bool:
        return self.reason == "spend_reached"


@dataclass(frozen=True)
class Standing:
    """Where the client stands once every known fact is applied, up to the day `through`."""

    tier_id: str
    spend_minor: int
    """In the window at the end of `through` (or at the last fact, if later)."""
    history: tuple[TierChange, ...]
    secure_until: date | None
    """The last day the current tier is held whatever the spend (None: not held)."""
    drops_on: date | None
    """The day the tier drops unless more is spent before it (None: it cannot drop)."""
    shortfall_minor: int
    """What spending before `drops_on` keeps the tier."""
    warn_on: date | None
    """The day the client is told of the drop (None: no warning set)."""
    next_leave: date | None = None
    """The next day a purchase leaves the window (the spend shown changes then)."""
    settings_judged: int = 0
    """How many of the settings' changes the history has judged (those by its last day)."""

    def tier_before(self, moment: datetime) -> str | None:
        """The tier the client held just before `moment` (None: the first tier): a purchase
        that reaches a tier is judged at the tier it was made in."""
        held = None
        for change in self.history:
            if change.at >= moment:
                break
            held = change.to_tier
        return held


def tier_index(settings: TierSettings, tier_id: str | None) -> int | None:
    """The place of the tier `tier_id` in `settings` (None for the first tier: 0); None if the
    settings have no such tier."""
    if tier_id is None:
        return 0
    return next((n for n, tier in enumerate(settings.tiers) if tier.tier_id == tier_id), None)


def _start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


class _Window:
    """The spend in the window as moments pass in time order, refunds included."""

    def __init__(self, refunds: Sequence[RefundLine]) -> None:
        self.counted: dict[str, int] = {}
        """Source -> what it adds to the spend now (in the window, less refunds so far)."""
        self.refunded: dict[str, int] = {}
        self.amounts: dict[str, int] = {}
        self._refunds_of: dict[str, list[RefundLine]] = defaultdict(list)
        for line in refunds:
            self._refunds_of[line.target].append(line)
        self._sources_of: dict[str, list[str]] = defaultdict(list)
        """An order's prefix (``order:<id>:``) -> its lines' sources seen."""

    @property
    def total(self) -> int:
        return sum(self.counted.values())

    def enter(self, spend: Spend, at: datetime) -> None:
        source = spend.source
        self.amounts[source] = spend.amount_minor
        order = _order_of(source)
        if order is not None:
            self._sources_of[order].append(source)
        candidates = self._refunds_of[source] + (self._refunds_of[order] if order else [])
        earlier = [line for line in candidates if line.at < at]  # later ones: their own moments
        taken = sum(
            spend.amount_minor if r.amount_minor is None else r.amount_minor for r in earlier
        )
        self.refunded[source] = min(taken, spend.amount_minor)
        self.counted[source] = spend.amount_minor - self.refunded[source]

    def leave(self, source: str) -> None:
        self.counted.pop(source, None)

    def refund(self, line: RefundLine) -> None:
        if line.target.endswith(":"):
            sources = self._sources_of[line.target]
        else:
            sources = [line.target] if line.target in self.amounts else []
        for source in sources:
            amount = self.amounts[source]
            asked = amount if line.amount_minor is None else line.amount_minor
            taken = min(asked, amount - self.refunded[source])
            self.refunded[source] += taken
            if source in self.counted:
                self.counted[source] -= taken


def _order_of(source: str) -> str | None:
    """``order:<id>:`` for an order line's source (what a whole order's refund names)."""
    return source[: source.rfind(":") + 1] if source.startswith("order:") else None


# Moments of a day-boundary come before what happens during that day; at the same instant a
# settings change applies first, then a purchase counts, then a refund of it.
_LEAVE, _SETTINGS, _SPEND, _REFUND, _HOLD_ENDS = range(5)
_DROP_REASONS = {
    _LEAVE: "spend_left_window",
    _SETTINGS: "settings_changed",
    _REFUND: "refunded",
    _HOLD_ENDS: "keep_period_ended",
}
_Moment = tuple[datetime, int, int, Spend | RefundLine | None]


class _Timeline:
    """The tier moved moment by moment, in time order."""

    def __init__(
        self, refunds: Sequence[RefundLine], rules: TierRules, through: date | None
    ) -> None:
        self.window = _Window(refunds)
        self.through = through
        """Day moments after it have not come yet."""
        self.rules = rules
        self.tier_id: str | None = None
        """The client's tier, by id (None: the first tier, whatever it is called)."""
        self.tier = 0
        """Its place in the settings of the moment being judged."""
        self.history: list[TierChange] = []
        self.held_until: date | None = None
        """The last day the current tier is held whatever the spend (None: not held)."""
        self.moments: list[_Moment] = []

    def run(self) -> None:
        heapq.heapify(self.moments)
        while self.moments:
            at, kind, _, fact = heapq.heappop(self.moments)
            if kind == _HOLD_ENDS:
                if self.held_until is None or at.date() != self.held_until + timedelta(days=1):
                    continue  # the end of a hold since replaced or cut short by a drop
                self.held_until = None
            # Facts of the same instant and kind (purchases leaving on the same day) move the
            # spend together, then the tier is judged once: their order in the feed is no order.
            self._apply(at, kind, fact)
            while self.moments and self.moments[0][:2] == (at, kind):
                self._apply(at, kind, heapq.heappop(self.moments)[3])
            settings = self.rules.at(at)
            if not settings.enabled:
                continue  # tiers switched off: nothing moves
            if not self._place(at, settings):
                continue
            if kind in (_SPEND, _SETTINGS) and self._upgrade(at, settings):
                continue
            if kind != _SPEND:
                self._drop(at, kind, settings)

    def _place(self, at: datetime, settings: TierSettings) -> bool:
        """Find the client's tier in `settings` by its id. A tier the settings removed gives way
        to the tier the spend matches (False: that move is this moment's judgement)."""
        index = tier_index(settings, self.tier_id)
        if index is not None:
            self.tier = index
            return True
        self._move(at, settings.tier_for(self.window.total), "settings_changed", settings)
        self.held_until = None
        return False

    def _apply(self, at: datetime, kind: int, fact: Spend | RefundLine | None) -> None:
        if isinstance(fact, Spend):
            if kind == _SPEND:
                self.window.enter(fact, at)
            else:
                self.window.leave(fact.source)
        elif isinstance(fact, RefundLine):
            self.window.refund(fact)

    def _upgrade(self, at: datetime, settings: TierSettings) -> bool:
        target = settings.tier_for(self.window.total)
        if target <= self.tier:
            return False
        self._move(at, target, "spend_reached", settings)
        self._hold(at.date(), settings.keep_days)
        return True

    def _drop(self, at: datetime, kind: int, settings: TierSettings) -> None:
        spend = self.window.total
        if self.tier == 0 or spend >= settings.tiers[self.tier].keeps_at:
            return
        if self.held_until is not None and at.date() <= self.held_until:
            return  # held: looked at again when the hold ends
        if settings.drop is DropMode.TO_SPEND:
            self._move(at, settings.kept_tier(spend, self.tier), _DROP_REASONS[kind], settings)
            self.held_until = None
            return
        self._move(at, self.tier - 1, _DROP_REASONS[kind], settings)
        # One tier down at a time: the client has the keep period, and at least the warning
        # period (a day without either), to win the lower tier's place before the next drop.
        self._hold(at.date(), max(settings.keep_days, settings.warn_days or 0, 1))

    def _hold(self, day: date, days: int) -> None:
        """Hold the tier `days` days from `day`, and look at it again when the hold ends."""
        self.held_until = day + timedelta(days=days - 1) if days else None
        if self.held_until is not None:
            ends = self.held_until + timedelta(days=1)
            if self.through is not None and ends <= self.through:
                heapq.heappush(self.moments, (_start(ends), _HOLD_ENDS, 0, None))

    def _move(self, at: datetime, target: int, reason: str, settings: TierSettings) -> None:
        was = self.tier_id or settings.tiers[0].tier_id
        to = settings.tiers[target].tier_id
        self.history.append(TierChange(at, was, to, reason, self.window.total))
        self.tier, self.tier_id = target, (to if target else None)


def standing(
    spends: Iterable[Spend],
    refunds: Iterable[RefundLine],
    rules: TierRules,
    through: date | None,
) -> Standing:
    """The tier history and where it leaves the client, from the facts alone (see the module)."""
    spends, refunds = list(spends), sorted(refunds, key=lambda r: (r.at, r.refund_id, r.target))
    facts_at = [s.at for s in spends] + [r.at for r in refunds]
    if facts_at:
        latest = max(facts_at).date()
        through = latest if through is None else max(through, latest)
    leaves = {s.source: months_after(s.at.date(), rules.at(s.at).window_months) for s in spends}
    timeline = _Timeline(refunds, rules, through)
    for n, spend in enumerate(spends):
        timeline.moments.append((spend.at, _SPEND, n, spend))
        if through is not None and leaves[spend.source] <= through:
            timeline.moments.append((_start(leaves[spend.source]), _LEAVE, n, spend))
    timeline.moments += [(line.at, _REFUND, n, line) for n, line in enumerate(refunds)]
    judged = [since for since in rules.changes if through is not None and since.date() <= through]
    timeline.moments += [(since, _SETTINGS, n, None) for n, since in enumerate(judged)]
    timeline.run()

    # Now: the end of what was judged, settings changes of the last day included.
    starts = [_start(through)] if through is not None else []
    now = max([*starts, *facts_at, *judged], default=_start(date.min))
    settings = rules.at(now)
    tier = tier_index(settings, timeline.tier_id)
    future = _Future(spends, leaves, timeline.window, timeline.held_until, through)
    if tier is None or not settings.enabled:
        # Tiers off keep every member where they were, even in a tier since removed.
        return Standing(
            tier_id=timeline.tier_id or settings.tiers[0].tier_id,
            spend_minor=timeline.window.total,
            history=tuple(timeline.history),
            secure_until=None,
            drops_on=None,
            shortfall_minor=0,
            warn_on=None,
            next_leave=None,
            settings_judged=len(judged),
        )
    drops_on, shortfall = _next_drop(future, settings, tier)
    warn_on = (
        drops_on - timedelta(days=settings.warn_days)
        if drops_on is not None and settings.warn_days
        else None
    )
    return Standing(
        tier_id=settings.tiers[tier].tier_id,
        spend_minor=timeline.window.total,
        history=tuple(timeline.history),
        secure_until=timeline.held_until,
        drops_on=drops_on,
        shortfall_minor=shortfall,
        warn_on=warn_on,
        next_leave=min((day for day, _ in future.leaving()), default=None),
        settings_judged=len(judged),
    )


@dataclass(frozen=True)
class _Future:
    """What the days after `through` hold if nothing more is spent."""

    spends: Sequence[Spend]
    leaves: dict[str, date]
    window: _Window
    held_until: date | None
    through: date | None

    def leaving(self) -> list[tuple[date, str]]:
        """``(day, source)`` of the purchases still in the window, by the day they leave it."""
        after = self.through or date.min
        return sorted(
            (self.leaves[s.source], s.source)
            for s in self.spends
            if s.source in self.window.counted and self.leaves[s.source] > after
        )


def _next_drop(future: _Future, settings: TierSettings, tier: int) -> tuple[date | None, int]:
    """The first day after `through` the tier drops if nothing more is spent, and what spending
    before it (and still in the window on that day) keeps the tier: purchases leave the window
    day by day; a hold keeps the tier to its end, when the spend it has then decides."""
    if tier == 0:
        return None, 0
    needs = settings.tiers[tier].keeps_at
    spend = future.window.total
    after = future.through or date.min
    held_to = future.held_until if future.held_until and future.held_until >= after else None
    for day, leaving in groupby(future.leaving(), key=lambda item: item[0]):
        if held_to is not None and day > held_to + timedelta(days=1) and spend < needs:
            break  # short when the hold ends, before this day
        spend -= sum(future.window.counted[source] for _, source in leaving)
        if spend < needs and (held_to is None or day > held_to):
            return day, needs - spend
    if held_to is not None and spend < needs:
        return held_to + timedelta(days=1), needs - spend
    return None, 0


class Membership(Aggregate):
    """One client's tier at one tenant. Started with ``Membership(tenant_id=.., client_id=..)``;
    its id is ``membership_id(tenant_id, client_id)``."""

    @staticmethod
    def create_id(tenant_id: str, client_id: str) -> UUID:
        return membership_id(tenant_id, client_id)

    @event("Opened")
    def __init__(self, *, tenant_id: str, client_id: str) -> None:
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.spends: dict[str, Spend] = {}
        self.refunds: dict[str, list[RefundLine]] = {}
        self.through: date | None = None
        """The last day the clock told the account of."""
        self.announced: str | None = None
        """The tier the client was last told of; None: the first tier, never told."""
        self.warned: set[tuple[str, str]] = set()
        """``(tier id, drop day)`` warnings sent."""
        self.spend_minor = 0
        self.drops_on: str | None = None
        self.shortfall_minor = 0
        self.review_on: str | None = None
        self.settings_version = 0

    def standing(self, rules: TierRules, through: date | None = None) -> Standing:
        """Where the client stands on the facts known (up to `through`, if later)."""
        last = max(filter(None, (self.through, through)), default=None)
        return standing(self.spends.values(), self._refund_lines(), rules, last)

    def _refund_lines(self) -> list[RefundLine]:
        return [line for lines in self.refunds.values() for line in lines]

    # -- commands --------------------------------------------------------------------------------

    def count(self, spend: Spend, rules: TierRules) -> None:
        """Count a purchase once (by source), if the settings of its moment count it."""
        settings = rules.at(spend.at)
        if (
            spend.source in self.spends
            or not settings.enabled
            or not settings.counts_kind(spend.kind)
            or spend.amount_minor <= 0
        ):
            return
        after = standing([*self.spends.values(), spend], self._refund_lines(), rules, self.through)
        self._counted(
            source=spend.source,
            amount_minor=spend.amount_minor,
            at=spend.at,
            kind=spend.kind.value,
            **_outlook(after, self.warned, self.through),
        )
        self._announce(after, rules, spend.at)

    def refund(
        self,
        refund_id: str,
        lines: Sequence[tuple[str, int | None]],
        at: datetime,
        rules: TierRules,
    ) -> None:
        """Note a refund once (by id): each ``(target, amount or None for all)``."""
        if refund_id in self.refunds:
            return
        noted = [RefundLine(refund_id, target, amount, at) for target, amount in lines]
        after = standing(self.spends.values(), self._refund_lines() + noted, rules, self.through)
        self._refund_noted(
            refund_id=refund_id,
            lines=[[target, amount] for target, amount in lines],
            at=at,
            **_outlook(after, self.warned, self.through),
        )
        self._announce(after, rules, at)

    def review(self, day: date, at: datetime, rules: TierRules) -> None:
        """The clock tick of `day`: drops that fall due, a warning before one."""
        through = max(filter(None, (self.through, day)))
        after = self.standing(rules, through)
        changed = after.tier_id != self._told(rules)
        drop = after.drops_on.isoformat() if after.drops_on is not None else None
        warn = (
            drop is not None
            and not changed
            and after.warn_on is not None
            and after.warn_on <= through
            and (after.tier_id, drop) not in self.warned
        )
        warned = self.warned | ({(after.tier_id, drop)} if warn and drop else set())
        outlook = _outlook(after, warned, through)
        if warn and drop is not None:
            self._drop_warned(tier_id=after.tier_id, at=at, day=through.isoformat(), **outlook)
            return
        if changed or outlook != self._outlook_now() or through != self.through:
            self._reviewed(day=through.isoformat(), **outlook)
        self._announce(after, rules, at)

    def _outlook_now(self) -> dict[str, Any]:
        return {
            "spend_minor": self.spend_minor,
            "drops_on": self.drops_on,
            "shortfall_minor": self.shortfall_minor,
            "review_on": self.review_on,
            "settings_version": self.settings_version,
        }

    def _told(self, rules: TierRules) -> str:
        """The tier the client knows: the last announced, else the first tier."""
        if self.announced is not None:
            return self.announced
        return rules.at(datetime.max.replace(tzinfo=UTC)).tiers[0].tier_id

    def _announce(self, after: Standing, rules: TierRules, at: datetime) -> None:
        """Tell the client of a tier that differs from the one they know, once: the change from
        what they know to what the history reaches, for the reason of the step that reached it.
        A fact arriving late can make a tier the client was told of never have happened: then
        no step reaches the new tier from it, and the change is a correction, as of `at`."""
        told = self._told(rules)
        if after.tier_id == told or not rules.at(at).enabled:
            return  # while tiers are off no one is told anything; they are once tiers are back
        last = after.history[-1] if after.history else None
        if last is not None and last.to_tier != after.tier_id:
            last = None
        moment = last.at if last is not None else at
        self._tier_changed(
            from_tier=told,
            to_tier=after.tier_id,
            direction=_direction(rules.at(moment), told, after.tier_id, last),
            reason=last.reason if last is not None else "corrected",
            at=moment,
            **self._outlook_now(),
        )

    # -- facts ---------------------------------------------------------------------------------
    # Each carries the outlook after it (the spend in the window, the drop ahead, the next
    # review): what the read model shows and what the tick's query reads.

    def _look_ahead(
        self,
        spend_minor: int,
        drops_on: str | None,
        shortfall_minor: int,
        review_on: str | None,
        settings_version: int,
    ) -> None:
        self.spend_minor = spend_minor
        self.drops_on = drops_on
        self.shortfall_minor = shortfall_minor
        self.review_on = review_on
        self.settings_version = settings_version

    @event("SpendCounted")
    def _counted(
        self,
        *,
        source: str,
        amount_minor: int,
        at: datetime,
        kind: str,
        spend_minor: int,
        drops_on: str | None,
        shortfall_minor: int,
        review_on: str | None,
        settings_version: int = 0,
    ) -> None:
        self.spends[source] = Spend(source, amount_minor, at, SpendKind(kind))
        self._look_ahead(spend_minor, drops_on, shortfall_minor, review_on, settings_version)

    @event("RefundNoted")
    def _refund_noted(
        self,
        *,
        refund_id: str,
        lines: list[list[object]],
        at: datetime,
        spend_minor: int,
        drops_on: str | None,
        shortfall_minor: int,
        review_on: str | None,
        settings_version: int = 0,
    ) -> None:
        self.refunds[refund_id] = [
            RefundLine(refund_id, str(target), None if amount is None else int(str(amount)), at)
            for target, amount in lines
        ]
        self._look_ahead(spend_minor, drops_on, shortfall_minor, review_on, settings_version)

    @event("TierChanged")
    def _tier_changed(
        self,
        *,
        from_tier: str,
        to_tier: str,
        direction: str,
        reason: str,
        at: datetime,
        spend_minor: int,
        drops_on: str | None,
        shortfall_minor: int,
        review_on: str | None,
        settings_version: int = 0,
    ) -> None:
        self.announced = to_tier
        self._look_ahead(spend_minor, drops_on, shortfall_minor, review_on, settings_version)

    @event("DropWarned")
    def _drop_warned(
        self,
        *,
        tier_id: str,
        at: datetime,
        day: str,
        spend_minor: int,
        drops_on: str | None,
        shortfall_minor: int,
        review_on: str | None,
        settings_version: int = 0,
    ) -> None:
        self.warned.add((tier_id, str(drops_on)))
        self.through = date.fromisoformat(day)
        self._look_ahead(spend_minor, drops_on, shortfall_minor, review_on, settings_version)

    @event("Reviewed")
    def _reviewed(
        self,
        *,
        day: str,
        spend_minor: int,
        drops_on: str | None,
        shortfall_minor: int,
        review_on: str | None,
        settings_version: int = 0,
    ) -> None:
        self.through = date.fromisoformat(day)
        self._look_ahead(spend_minor, drops_on, shortfall_minor, review_on, settings_version)


def _direction(settings: TierSettings, told: str, to: str, last: TierChange | None) -> str:
    """Up or down: by the tiers' places when both still exist, else by the step taken."""
    was, now = tier_index(settings, told), tier_index(settings, to)
    if was is not None and now is not None:
        return "up" if now > was else "down"
    return "up" if last is not None and last.up else "down"


def _outlook(after: Standing, warned: set[tuple[str, str]], through: date | None) -> dict[str, Any]:
    """What an event records of the road ahead, and which settings it was judged under (a
    change dated after the history's last day is not judged yet: the tick finds the member)."""
    return {
        "spend_minor": after.spend_minor,
        "drops_on": after.drops_on.isoformat() if after.drops_on is not None else None,
        "shortfall_minor": after.shortfall_minor,
        "review_on": _review_on(after, warned, through),
        "settings_version": after.settings_judged,
    }


def _review_on(after: Standing, warned: set[tuple[str, str]], through: date | None) -> str | None:
    """The next day the tick must look at the account: a warning or a drop due, or a purchase
    leaving the window (the spend and what the next tier needs change then)."""
    days = [day for day in (after.drops_on, after.next_leave) if day is not None]
    drop = after.drops_on
    if (
        drop is not None
        and after.warn_on is not None
        and (after.tier_id, drop.isoformat()) not in warned
    ):
        soonest = through + timedelta(days=1) if through is not None else after.warn_on
        days.append(max(after.warn_on, soonest))
    return min(days).isoformat() if days else None
