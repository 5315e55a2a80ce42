"""Birthday rewards: one per client and year, granted once whoever asks.

"Automated birthday reward delivered in the week before the client's birthday." The reward's id
follows from the client and the year of the celebration it is for, so however often the clock
ticks in the birthday week, or a tick is re-sent, or a restarted service ticks again, the client's
birthday of that year is rewarded once: the tick creates the reward only when it is absent.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from starcard_campaigns.domain.ids import birthday_reward_id

__all__ = ["BirthdayReward"]


class BirthdayReward(Aggregate):
    """A client's birthday reward of one year: the code and the note that were sent.

    Granted with `BirthdayReward(tenant_id=..., client_id=..., year=..., celebrated_on=...,
    code=..., discount_percent=..., message=..., issued_at=..., expires_at=...)`; its id is
    `birthday_reward_id(tenant_id, client_id, year)`. `celebrated_on` is the ISO day of the
    celebration (``date.isoformat()``: the event store's JSON holds dates as text); the aggregate
    reads it back as a `date`. It keeps what it was granted with: a later change of the settings
    or of the birthday changes nothing here.
    """

    @staticmethod
    def create_id(tenant_id: str, client_id: str, year: int) -> UUID:
        return birthday_reward_id(tenant_id, client_id, year)

    @event("Granted")
    def __init__(
        self,
        *,
        tenant_id: str,
        client_id: str,
        year: int,
        celebrated_on: str,
        code: str,
        discount_percent: int,
        message: str,
        issued_at: datetime,
        expires_at: datetime,
    ) -> None:
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.year = year
        self.celebrated_on = date.fromisoformat(celebrated_on)
        self.code = code
        self.discount_percent = discount_percent
        self.message = message
        self.issued_at = issued_at
        self.expires_at = expires_at
