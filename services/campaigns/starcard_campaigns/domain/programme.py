"""A tenant's campaign programme: the settings of its campaigns (the birthday reward, so far).

"Automated birthday reward delivered in the week before the client's birthday: a treatment
discount ... valid for 30 days." The tenant opts in, chooses how many days before the birthday the
reward is sent, what it takes off, how long it lasts and the note that comes with it. A change
applies to rewards granted after it; a reward already granted keeps what it was granted with.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from starcard_events.limits import (
    MAX_MESSAGE_LENGTH,
    MAX_PERCENT,
    MIN_PERCENT,
    has_control_characters,
)

from starcard_campaigns.domain.errors import InvalidSettings
from starcard_campaigns.domain.ids import programme_id

__all__ = [
    "DEFAULT_BIRTHDAY_MESSAGE",
    "MAX_DAYS_BEFORE",
    "MAX_VALID_DAYS",
    "BirthdaySettings",
    "CampaignProgramme",
]

MAX_DAYS_BEFORE = 28
"""A birthday reward goes out at most four weeks ahead: any earlier, it is no longer the
client's birthday treat."""

MAX_VALID_DAYS = 365
"""A birthday code lasts at most a year: "expiry windows set short enough to drive bookings"."""

DEFAULT_BIRTHDAY_MESSAGE = "Happy birthday! Here is a treat from us for your birthday week."


@dataclass(frozen=True)
class BirthdaySettings:
    """The birthday campaign of one tenant; off until the tenant opts in."""

    enabled: bool = False
    days_before: int = 7
    discount_percent: int = 10
    valid_days: int = 30
    message: str = DEFAULT_BIRTHDAY_MESSAGE

    def check(self) -> BirthdaySettings:
        """The settings, or `InvalidSettings` naming every problem, one line each."""
        problems = []
        if not isinstance(self.enabled, bool):
            problems.append(f"enabled must be true or false (got {self.enabled!r}).")
        for name, low, high, why in (
            ("days_before", 0, MAX_DAYS_BEFORE, "how many days before the birthday it is sent"),
            ("discount_percent", MIN_PERCENT, MAX_PERCENT, "the percentage the code takes off"),
            ("valid_days", 1, MAX_VALID_DAYS, "how many days the code works after it is sent"),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                problems.append(
                    f"{name} must be a whole number from {low} to {high} (got {value!r}): {why}."
                )
        problems += _message_problems(self.message)
        if problems:
            raise InvalidSettings(problems)
        return self

    def reward_expiry(self, issued_at: datetime) -> datetime:
        """When a birthday code issued at `issued_at` stops working: `valid_days` later."""
        return issued_at + timedelta(days=self.valid_days)

    def to_record(self) -> dict[str, Any]:
        """What the settings event stores: plain JSON values."""
        return asdict(self)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> BirthdaySettings:
        return cls(**record)


def _message_problems(message: object) -> list[str]:
    if not isinstance(message, str):
        return [f"message must be text (got {message!r})."]
    problems = []
    if not message.strip():
        problems.append("message must not be blank: write the note the client receives.")
    if len(message) > MAX_MESSAGE_LENGTH:
        problems.append(
            f"message must be at most {MAX_MESSAGE_LENGTH} characters (got {len(message)}): "
            "shorten it."
        )
    if has_control_characters(message):
        problems.append("message must not contain control characters: write plain text.")
    return problems


BIRTHDAY_SETTING_NAMES = tuple(field.name for field in fields(BirthdaySettings))


class CampaignProgramme(Aggregate):
    """A tenant's campaign settings.

    Opened with `CampaignProgramme(tenant_id=..., name=...)`; its id is `programme_id(tenant_id)`.
    `name` is the business's name, which the campaigns' messages are signed with.
    """

    @staticmethod
    def create_id(tenant_id: str) -> UUID:
        """The programme's id follows from its tenant, so any process finds it without a lookup."""
        return programme_id(tenant_id)

    @event("Opened")
    def __init__(self, *, tenant_id: str, name: str) -> None:
        self.tenant_id = tenant_id
        self.name = name
        self.birthday = BirthdaySettings()

    def change_birthday(self, **changes: Any) -> BirthdaySettings:
        """Settings → Campaigns → Birthday: change some settings, keep the others.

        Settings equal to the current ones record nothing; any problem (an unknown setting
        included) refuses the whole change with `InvalidSettings`.
        """
        unknown = sorted(set(changes) - set(BIRTHDAY_SETTING_NAMES))
        if unknown:
            raise InvalidSettings(
                [
                    f"Unknown birthday setting {name!r}: the settings are "
                    f"{', '.join(BIRTHDAY_SETTING_NAMES)}."
                    for name in unknown
                ]
            )
        changed = replace(self.birthday, **changes).check()
        if changed != self.birthday:
            self._change_birthday(settings=changed.to_record())
        return self.birthday

    @event("BirthdaySettingsChanged")
    def _change_birthday(self, *, settings: dict[str, Any]) -> None:
        self.birthday = BirthdaySettings.from_record(settings)
