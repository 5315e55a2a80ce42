"""What the referrals service publishes through its outbox relay.

Public facts go to ``starcard.referrals.v1``: stage changes and refusals keyed by the referring
client, credits by their holder, welcome codes by the referred client. Emails are asked of the
notifier on ``starcard.notifications.v1``: the welcome code to the referred client, a credit to
the referrer, and, when rewards are given by hand, an alert to the business's own address.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from pydantic import BaseModel
from starcard_events.money import Money
from starcard_events.notifications import Notice, NoticeKind
from starcard_events.referral_facts import (
    Credit,
    CreditApplied,
    CreditIssued,
    CreditUse,
    ReferralRefused,
    ReferralRewardDue,
    ReferralStage,
    ReferralStageChanged,
    Refusal,
    RewardDue,
    StageChange,
    Value,
    WelcomeCode,
    WelcomeCodeIssued,
    WelcomeCodeRedeemed,
    WelcomeCodeUse,
)
from starcard_events.topics import REFERRAL_FACTS
from starcard_runtime.batching import WorkingSet
from starcard_runtime.outbound import (
    Outbound,
    client_record,
    notification_id,
    notification_request,
)

from starcard_referrals.domain.referee import Referee
from starcard_referrals.domain.values import RewardValue

if TYPE_CHECKING:
    from starcard_referrals.application import ReferralsService


def value_of(data: dict[str, Any]) -> Value:
    reward = RewardValue.from_event(data)
    if reward.percent is not None:
        return Value(percent=reward.percent)
    return Value(
        amount=Money(amount_minor=int(reward.amount_minor or 0), currency=str(reward.currency))
    )


SETTLED_CACHE_SIZE = 100_000
"""Aggregates the relay keeps between events (least recently used dropped)."""


class ReferralsPublisher:
    """Translates referral domain events into outbound records (the relay's ``translate``)."""

    def __init__(self, service: ReferralsService, topic: Callable[[str], str]) -> None:
        self._service = service
        self._topic = topic
        self._tenant_names: dict[str, str] = {}
        self._settled = WorkingSet(SETTLED_CACHE_SIZE)
        self._translations: dict[str, Callable[[Any], Sequence[Outbound]]] = {
            "ReferralLink.Visited": self._visited,
            "Referee.Booked": lambda e: [self._stage(e, ReferralStage.BOOKED, e.booked_at)],
            "Referee.Completed": lambda e: [
                self._stage(e, ReferralStage.COMPLETED, e.completed_at)
            ],
            "Referee.Refused": self._refused,
            "Referee.ReferrerRewarded": self._alert,
            "Referee.WelcomeCodeIssued": self._welcome,
            "CreditAccount.Issued": self._credit,
            "CreditAccount.Applied": self._credit_applied,
            # The kernel's code lifecycle event; welcome codes are this store's only codes.
            "SingleUseCode.Redeemed": self._welcome_redeemed,
        }

    def __call__(self, event: Any) -> Sequence[Outbound]:
        translate = self._translations.get(type(event).__qualname__)
        return () if translate is None else translate(event)

    def _visited(self, event: Any) -> Sequence[Outbound]:
        if event.outcome != "invited":
            return ()
        link = self._aggregate(event.originator_id)
        change = StageChange(
            referrer_client_id=link.client_id,
            referral_code=link.code,
            stage=ReferralStage.INVITED,
            referred_client_id=None,
            visitor_id=event.visitor_id,
        )
        owner = (link.tenant_id, link.client_id)
        return [self._fact(ReferralStageChanged, event, change, owner=owner, at=event.visited_at)]

    def _refused(self, event: Any) -> Sequence[Outbound]:
        referee = self._aggregate(event.originator_id)
        refusal = Refusal(
            referrer_client_id=event.referrer_client_id,
            referral_code=event.code,
            referred_client_id=referee.client_id,
            booking_id=event.booking_id,
            reason=event.reason,
        )
        owner = (referee.tenant_id, event.referrer_client_id)
        return [self._fact(ReferralRefused, event, refusal, owner=owner, at=event.refused_at)]

    def _credit_applied(self, event: Any) -> Sequence[Outbound]:
        account = self._aggregate(event.originator_id)
        use = CreditUse(
            client_id=account.client_id,
            booking_id=event.booking_id,
            amount=Money(amount_minor=event.amount_minor, currency=event.currency),
        )
        owner = (account.tenant_id, account.client_id)
        return [self._fact(CreditApplied, event, use, owner=owner, at=event.applied_at)]

    def _welcome_redeemed(self, event: Any) -> Sequence[Outbound]:
        code = self._aggregate(event.originator_id)
        use = WelcomeCodeUse(client_id=code.client_id, code=code.code, booking_id=event.booking_id)
        owner = (code.tenant_id, code.client_id)
        return [self._fact(WelcomeCodeRedeemed, event, use, owner=owner, at=event.redeemed_at)]

    def _stage(self, event: Any, stage: ReferralStage, at: datetime) -> Outbound:
        referee = self._aggregate(event.originator_id)
        change = StageChange(
            referrer_client_id=referee.referrer_client_id,
            referral_code=referee.code,
            stage=stage,
            referred_client_id=referee.client_id,
            visitor_id=None,
        )
        owner = (referee.tenant_id, referee.referrer_client_id)
        return self._fact(ReferralStageChanged, event, change, owner=owner, at=at)

    def _alert(self, event: Any) -> Sequence[Outbound]:
        """Rewards given by hand: the business is alerted (credits have their own event)."""
        if event.delivery != "alert":
            return ()
        referee = self._aggregate(event.originator_id)
        tenant_id, referrer = referee.tenant_id, referee.referrer_client_id
        due = RewardDue(
            client_id=referrer, referred_client_id=referee.client_id, value=value_of(event.value)
        )
        notice = self._notice(
            event,
            "referral_alert",
            referrer,
            tenant_id,
            event.value,
            message=(
                f"Client {referrer} referred client {referee.client_id}, whose referral met "
                "your programme's trigger."
            ),
            business_email=event.alert_email,
        )
        return self._announce(
            ReferralRewardDue, event, due, notice, owner=(tenant_id, referrer), at=event.rewarded_at
        )

    def _welcome(self, event: Any) -> Sequence[Outbound]:
        referee = self._aggregate(event.originator_id)
        tenant_id, client_id = referee.tenant_id, referee.client_id
        code = WelcomeCode(
            client_id=client_id,
            code=event.code,
            value=value_of(event.value),
            expires_at=event.expires_at,
        )
        notice = self._notice(
            event,
            "referral_welcome",
            client_id,
            tenant_id,
            event.value,
            message="A friend invited you, and we look forward to meeting you.",
            code=event.code,
            expires_at=event.expires_at,
        )
        return self._announce(
            WelcomeCodeIssued, event, code, notice, owner=(tenant_id, client_id), at=event.issued_at
        )

    def _credit(self, event: Any) -> Sequence[Outbound]:
        account = self._aggregate(event.originator_id)
        tenant_id, client_id = account.tenant_id, account.client_id
        credit = Credit(
            client_id=client_id,
            credit_id=event.credit_id,
            value=value_of(event.value),
            referred_client_id=event.credit_id,
        )
        notice = self._notice(
            event,
            "referral_credit",
            client_id,
            tenant_id,
            event.value,
            message="Thank you for sending a friend our way.",
        )
        return self._announce(
            CreditIssued, event, credit, notice, owner=(tenant_id, client_id), at=event.issued_at
        )

    def _notice(
        self,
        event: Any,
        kind: NoticeKind,
        client_id: str,
        tenant_id: str,
        value: dict[str, Any],
        *,
        message: str,
        code: str | None = None,
        expires_at: datetime | None = None,
        business_email: str | None = None,
    ) -> Notice:
        size = value_of(value)
        return Notice(
            notification_id=notification_id(event),
            client_id=client_id,
            kind=kind,
            tenant_name=self._tenant_name(tenant_id),
            message=message,
            discount_percent=size.percent,
            discount_amount=size.amount,
            code=code,
            expires_at=expires_at,
            business_email=business_email,
        )

    def _aggregate(self, aggregate_id: UUID) -> Any:
        """The aggregate an event belongs to. The fields read here never change once set, so
        the aggregate is kept rather than replayed for each of its events; a referee not booked
        yet is read again, since its referrer and code are set when it is."""
        found = self._settled.get(aggregate_id)
        if found is None:
            found = self._service.repository.get(aggregate_id)
            if not (isinstance(found, Referee) and found.referrer_client_id is None):
                self._settled.put(found)
        return found

    def _tenant_name(self, tenant_id: str) -> str:
        if tenant_id not in self._tenant_names:
            self._tenant_names[tenant_id] = self._service.programme(tenant_id).name
        return self._tenant_names[tenant_id]

    def _fact(
        self,
        kind: type[BaseModel],
        event: Any,
        data: BaseModel,
        *,
        owner: tuple[str, str],
        at: datetime,
    ) -> Outbound:
        return client_record(
            REFERRAL_FACTS, kind, event, data, owner=owner, at=at, resolve=self._topic
        )

    def _announce(
        self,
        kind: type[BaseModel],
        event: Any,
        data: BaseModel,
        notice: Notice,
        *,
        owner: tuple[str, str],
        at: datetime,
    ) -> Sequence[Outbound]:
        """The fact, and the email it asks the notifier for."""
        return [
            self._fact(kind, event, data, owner=owner, at=at),
            notification_request(event, notice, owner=owner, at=at, resolve=self._topic),
        ]
