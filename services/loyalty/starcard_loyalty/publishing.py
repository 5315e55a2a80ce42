"""What the loyalty service publishes through its outbox relay.

Public facts go to ``starcard.loyalty.v1`` for booking platforms; a reward also asks the notifier
to email the client (``starcard.notifications.v1``). Both are keyed ``tenant_id:client_id`` and
carry ids derived from the aggregate event, so a re-published record is recognisably the same.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time
from typing import Any, cast
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.utils import resolve_topic
from pydantic import BaseModel
from starcard_events.day_format import format_day
from starcard_events.facts import (
    Milestone,
    MilestoneReached,
    Redemption,
    Reward,
    RewardIssued,
    RewardRedeemed,
    StarEarned,
    Visit,
)
from starcard_events.money import Money
from starcard_events.money_format import format_money
from starcard_events.notifications import Notice, NoticeKind
from starcard_events.package_facts import (
    PackageActivated,
    PackageBalance,
    PackageExpired,
    PackageRefundSettled,
    PackageSessionRestored,
    PackageSessionUsed,
)
from starcard_events.points_facts import (
    PointsAdjusted,
    PointsEarned,
    PointsExpired,
    PointsMovement,
    PointsRedeemed,
    PointsReversed,
    Reason,
)
from starcard_events.tier_facts import TierChange, TierChanged
from starcard_events.topics import LOYALTY_FACTS
from starcard_runtime.outbound import (
    Outbound,
    client_record,
    notification_id,
    notification_request,
)

from starcard_loyalty.application import LoyaltyService
from starcard_loyalty.domain.client import ClientLoyalty
from starcard_loyalty.domain.client_attendance import attendance_reward_id
from starcard_loyalty.domain.membership import Membership
from starcard_loyalty.domain.points import PointsAccount, movement_of

PUBLISHED = frozenset(
    {
        "ClientLoyalty.AppointmentRecorded",
        "ClientLoyalty.MilestoneReached",
        "ClientLoyalty.AttendanceMilestoneReached",
        "ClientLoyalty.RewardIssued",
        "ClientLoyalty.RewardRedeemed",
        "PointsAccount.Earned",
        "PointsAccount.Reversed",
        "PointsAccount.Returned",
        "PointsAccount.Redeemed",
        "PointsAccount.Expired",
        "PointsAccount.Adjusted",
        "PointsAccount.ExpiryNoticed",
        "Membership.TierChanged",
        "Membership.DropWarned",
        "PackageHoldings.Bought",
        "PackageHoldings.UseNoted",
        "PackageHoldings.SessionUsed",
        "PackageHoldings.SessionRestored",
        "PackageHoldings.Closed",
        "PackageHoldings.ExpiryReminded",
    }
)

OPENED = frozenset(
    {
        "ClientLoyalty.Started",
        "PointsAccount.Opened",
        "Membership.Opened",
        "PackageHoldings.Opened",
    }
)
"""Creation events: they name the aggregate's tenant and client."""


class LoyaltyPublisher:
    """Translates loyalty domain events into outbound records (the relay's ``translate``)."""

    def __init__(self, service: LoyaltyService, topic: Callable[[str], str]) -> None:
        self._service = service
        self._topic = topic
        self._owners: dict[UUID, tuple[str, str]] = {}
        self._tenant_names: dict[str, str] = {}
        self._reads: dict[str, bool] = {}
        self._quiet_until: dict[tuple[str, datetime], datetime | None] = {}

    def reads(self, stored_topic: str) -> bool:
        """Whether events stored under `stored_topic` publish anything or name an owner (the
        relay decodes no other: a tier's spend counted, a reward queued...)."""
        if stored_topic not in self._reads:
            try:
                kind = resolve_topic(stored_topic).__qualname__
            except Exception:
                self._reads[stored_topic] = True
            else:
                self._reads[stored_topic] = kind in PUBLISHED or kind in OPENED
        return self._reads[stored_topic]

    def __call__(self, event: Any) -> Sequence[Outbound]:
        kind = type(event).__qualname__
        if kind in OPENED:
            self._owners[event.originator_id] = (event.tenant_id, event.client_id)
            return ()
        if kind not in PUBLISHED:
            return ()
        owner = self._owner(event.originator_id)
        if kind.startswith("PointsAccount."):
            return self._points(kind, event, owner)
        if kind.startswith("Membership."):
            return self._tiers(kind, event, owner)
        if kind.startswith("PackageHoldings."):
            return self._packages(kind, event, owner)
        client_id = owner[1]
        records: list[Outbound] = []
        match kind:
            # Appointments recorded before the flag existed carry no `counted`: no fact for them.
            case "ClientLoyalty.AppointmentRecorded" if getattr(event, "counted", False):
                visit = Visit(
                    client_id=client_id, booking_id=event.booking_id, minutes=event.minutes
                )
                records.append(self._fact(StarEarned, event, visit, owner))
            case "ClientLoyalty.MilestoneReached":
                milestone = Milestone(
                    client_id=client_id,
                    milestone_id=event.milestone_id,
                    session_count=event.session_count,
                )
                records.append(self._fact(MilestoneReached, event, milestone, owner))
            case "ClientLoyalty.AttendanceMilestoneReached":
                milestone = Milestone(
                    client_id=client_id,
                    milestone_id=attendance_reward_id(event.milestone_id),
                    session_count=event.count,
                )
                records.append(self._fact(MilestoneReached, event, milestone, owner))
            case "ClientLoyalty.RewardIssued":
                reward = Reward(
                    client_id=client_id,
                    milestone_id=event.milestone_id,
                    code=event.code,
                    discount_percent=event.discount_percent,
                    expires_at=event.expires_at,
                )
                records.append(self._fact(RewardIssued, event, reward, owner))
                records.append(self._notice(event, owner))
            case "ClientLoyalty.RewardRedeemed":
                redemption = Redemption(
                    client_id=client_id, code=event.code, booking_id=event.booking_id
                )
                records.append(self._fact(RewardRedeemed, event, redemption, owner))
        return records

    def _points(self, kind: str, event: Any, owner: tuple[str, str]) -> list[Outbound]:
        """A movement of a points account is one fact; a notice of expiry is an email."""
        if kind == "PointsAccount.ExpiryNoticed":
            return [self._expiry_notice(event, owner)]
        movement = points_movement(kind, event, owner[1])
        if movement is None:
            return []
        fact, data = movement
        return [self._fact(fact, event, data, owner)]

    def _tiers(self, kind: str, event: Any, owner: tuple[str, str]) -> list[Outbound]:
        """A tier change is a fact and an email; a warning of a drop is an email."""
        settings = self._service.programme(owner[0]).tier_settings_at(event.at)
        names = {tier.tier_id: tier.name for tier in settings.tiers}
        spend = format_money(event.spend_minor, settings.currency)
        drops_on = date.fromisoformat(event.drops_on) if event.drops_on else None
        if kind == "Membership.DropWarned":
            shortfall = format_money(event.shortfall_minor, settings.currency)
            name = names.get(event.tier_id, event.tier_id)
            message = (
                f"Your {name} status ends on {_day(drops_on)} unless you spend {shortfall} by "
                f"then. Your spend with us in the last {settings.window_months} months is {spend}."
            )
            return [self._tier_notice("tier_ending", event, owner, message, drops_on)]
        to_name = names.get(event.to_tier, event.to_tier)
        message = (
            f"Welcome to {to_name}: your spend with us in the last {settings.window_months} "
            f"months reached {spend}."
            if event.direction == "up"
            else f"Your membership is now {to_name}: your spend with us in the last "
            f"{settings.window_months} months is {spend}."
        )
        change = TierChange(
            client_id=owner[1],
            from_tier=event.from_tier,
            to_tier=event.to_tier,
            direction=event.direction,
            reason=event.reason,
            spend=Money(amount_minor=event.spend_minor, currency=settings.currency),
            drops_on=drops_on,
        )
        return [
            self._fact(TierChanged, event, change, owner),
            self._tier_notice("tier_changed", event, owner, message, None),
        ]

    def _packages(self, kind: str, event: Any, owner: tuple[str, str]) -> list[Outbound]:
        """A change of a package's balance is a fact; a reminder of its expiry is an email."""
        if kind == "PackageHoldings.UseNoted" and event.purchase_id is None:
            return []  # no package could pay for it: shown as needing attention, no fact
        balance = package_balance(event, owner[1])
        if kind == "PackageHoldings.ExpiryReminded":
            expires_on = date.fromisoformat(event.expires_on)
            left = event.left
            notice = Notice(
                notification_id=notification_id(event),
                client_id=owner[1],
                kind="package_expiring",
                tenant_name=self._tenant_name(owner[0]),
                message=(
                    f"{left} {'session' if left == 1 else 'sessions'} of your {balance.name} "
                    f"package expire{'s' if left == 1 else ''} on {_day(expires_on)}. Book "
                    f"before then to use {'it' if left == 1 else 'them'}."
                ),
                expires_at=datetime.combine(expires_on, time(0), tzinfo=UTC),
                send_after=self._after_quiet_hours(owner[0], event.at),
            )
            return [
                notification_request(event, notice, owner=owner, at=event.at, resolve=self._topic)
            ]
        fact: type[BaseModel] = PACKAGE_FACTS.get(kind) or CLOSING_FACTS[event.status]
        return [self._fact(fact, event, balance, owner)]

    def _tier_notice(
        self,
        kind: NoticeKind,
        event: Any,
        owner: tuple[str, str],
        message: str,
        ends_on: date | None,
    ) -> Outbound:
        notice = Notice(
            notification_id=notification_id(event),
            client_id=owner[1],
            kind=kind,
            tenant_name=self._tenant_name(owner[0]),
            message=message,
            expires_at=datetime.combine(ends_on, time(0), tzinfo=UTC) if ends_on else None,
            send_after=self._after_quiet_hours(owner[0], event.at),
        )
        return notification_request(event, notice, owner=owner, at=event.at, resolve=self._topic)

    def _expiry_notice(self, event: Any, owner: tuple[str, str]) -> Outbound:
        expires_on = date.fromisoformat(event.expires_on)
        notice = Notice(
            notification_id=notification_id(event),
            client_id=owner[1],
            kind="points_expiring",
            tenant_name=self._tenant_name(owner[0]),
            message=(
                f"{event.points:,} of your {'point' if event.points == 1 else 'points'} "
                f"expire{'s' if event.points == 1 else ''} on {_day(expires_on)}. Book before "
                "then to use them."
            ),
            expires_at=datetime.combine(expires_on, time(0), tzinfo=UTC),
            send_after=self._after_quiet_hours(owner[0], event.at),
        )
        return notification_request(event, notice, owner=owner, at=event.at, resolve=self._topic)

    def _after_quiet_hours(self, tenant_id: str, decided_at: datetime) -> datetime | None:
        """A message decided inside the tenant's quiet hours (a reminder or a tier drop on the
        day's tick, at midnight there; a change at a late purchase) waits for their end, as the
        campaigns' messages do; None outside them or without any. The settings are read once
        per tenant and moment: every reminder of one tick shares its moment."""
        key = (tenant_id, decided_at)
        if key not in self._quiet_until:
            settings = self._service.programme(tenant_id).time_settings
            hours = settings.quiet_hours
            until = None if hours is None else hours.until(decided_at, ZoneInfo(settings.time_zone))
            self._quiet_until = {key: until}  # one tick's reminders in a row; never grows
        return self._quiet_until[key]

    def _owner(self, aggregate_id: UUID) -> tuple[str, str]:
        if aggregate_id not in self._owners:
            owner: ClientLoyalty | PointsAccount | Membership = self._service.repository.get(
                aggregate_id
            )
            self._owners[aggregate_id] = (owner.tenant_id, owner.client_id)
        return self._owners[aggregate_id]

    def _tenant_name(self, tenant_id: str) -> str:
        if tenant_id not in self._tenant_names:
            self._tenant_names[tenant_id] = self._service.programme(tenant_id).name
        return self._tenant_names[tenant_id]

    def _fact(
        self, fact: type[BaseModel], event: Any, data: BaseModel, owner: tuple[str, str]
    ) -> Outbound:
        return client_record(
            LOYALTY_FACTS, fact, event, data, owner=owner, at=event.timestamp, resolve=self._topic
        )

    def _notice(self, event: Any, owner: tuple[str, str]) -> Outbound:
        notice = Notice(
            notification_id=notification_id(event),
            client_id=owner[1],
            kind="reward_issued",
            tenant_name=self._tenant_name(owner[0]),
            message=event.message,
            discount_percent=event.discount_percent,
            code=event.code,
            expires_at=event.expires_at,
        )
        return notification_request(
            event, notice, owner=owner, at=event.issued_at, resolve=self._topic
        )


FACT_OF_REASON: dict[str, type[BaseModel]] = {
    "earned": PointsEarned,
    "bonus": PointsEarned,
    "reversed": PointsReversed,
    "redeemed": PointsRedeemed,
    "expired": PointsExpired,
    "adjusted": PointsAdjusted,
}


def points_movement(
    kind: str, event: Any, client_id: str
) -> tuple[type[BaseModel], PointsMovement] | None:
    """The public fact of a points account event; None for one that moved no points."""
    movement = movement_of(kind, event)
    if movement is None or movement.points == 0:
        return None
    return FACT_OF_REASON[movement.reason], PointsMovement(
        client_id=client_id,
        points=movement.points,
        balance=movement.balance,
        reason=cast("Reason", movement.reason),
        source=movement.source,
        note=movement.note,
        expires_on=movement.expires_on if movement.points > 0 else None,
    )


PACKAGE_FACTS: dict[str, type[BaseModel]] = {
    "PackageHoldings.Bought": PackageActivated,
    "PackageHoldings.UseNoted": PackageSessionUsed,
    "PackageHoldings.SessionUsed": PackageSessionUsed,
    "PackageHoldings.SessionRestored": PackageSessionRestored,
}
CLOSING_FACTS: dict[str, type[BaseModel]] = {
    "expired": PackageExpired,
    "refunded": PackageRefundSettled,
}
"""A package closed (or its closing figures corrected), by the status it was told of."""


def package_balance(event: Any, client_id: str) -> PackageBalance:
    """The balance of the package an event names, from the holdings it left behind."""
    record = next(
        each for each in event.snapshot["packages"] if each["purchase_id"] == event.purchase_id
    )
    refund = record["refund_minor"]
    return PackageBalance(
        client_id=client_id,
        purchase_id=event.purchase_id,
        name=record["name"],
        sessions=record["sessions"],
        sessions_used=record["used"],
        sessions_left=record["left"],
        status=record["status"],
        expires_on=date.fromisoformat(record["expires_on"]) if record["expires_on"] else None,
        booking_id=getattr(event, "booking_id", None),
        sessions_closed=record["closed"],
        refund=None if refund is None else Money(amount_minor=refund, currency=record["currency"]),
        corrected=getattr(event, "corrected", False),
    )


def _day(day: date | None) -> str:
    """A day as a client reads it: "10 March 2027"."""
    return format_day(day) if day is not None else "soon"
