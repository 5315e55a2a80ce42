"""The reward queue of one client: queued → issued → redeemed or expired, one outstanding code
at a time.

"Only one outstanding reward shows at a time so codes don't pile up. Counting carries on in the
background — if they cross another milestone before redeeming, the next reward fires
automatically the moment they redeem the current one. They never lose a reward they've earned."
So a reward with a discount gets its code at once when no code is outstanding, and otherwise
waits in the queue, in milestone order; a message-only reward has no code to pile up and is issued
at once, always. The queue moves on when the outstanding code is redeemed (the next reward fires
at the redemption, valid 12 months from then) or expires unused (the next reward fires at the
moment the code stopped working, whichever event revealed it). Rewards are issued once per
milestone, since a milestone is reached once, with the message and discount the milestone had
when it was reached.

`RewardQueue` holds these rules for `ClientLoyalty`, whose own ``@event`` methods record the
facts (``RewardIssued``, ``RewardQueued``, ``RewardRedeemed``, ``RewardExpired``): an event
declared on this class would be stored under this class's topic, and the stored events name
``ClientLoyalty``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from starcard_loyalty.domain.codes import CodeGenerator, code_expiry
from starcard_loyalty.domain.counting import Milestone
from starcard_loyalty.domain.errors import CodeAlreadyRedeemed, CodeExpired, CodeNotFound

__all__ = ["IssuedReward", "QueuedReward", "RedeemedCode", "RewardQueue"]


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


class RewardQueue:
    """The rewards of a client's record, the queue behind its outstanding code, and how they
    move on; the state is the record's (set up and changed by `ClientLoyalty`'s events)."""

    rewards: dict[str, IssuedReward]
    queue: list[QueuedReward]
    reward_order: dict[str, tuple[int, int, str]]
    outstanding_code: str | None
    outstanding_expires_at: datetime | None
    redeemed: dict[str, RedeemedCode]
    expired: dict[str, datetime]

    if TYPE_CHECKING:
        # The facts, recorded by `ClientLoyalty`'s own `@event` methods.

        def _issue_reward(
            self,
            *,
            milestone_id: str,
            message: str,
            discount_percent: int | None,
            code: str | None,
            issued_at: datetime,
            expires_at: datetime | None,
        ) -> None: ...

        def _queue_reward(
            self, *, milestone_id: str, message: str, discount_percent: int, queued_at: datetime
        ) -> None: ...

        def _redeem_reward(self, *, code: str, booking_id: str, redeemed_at: datetime) -> None: ...

        def _expire_reward(self, *, code: str, expired_at: datetime) -> None: ...

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
