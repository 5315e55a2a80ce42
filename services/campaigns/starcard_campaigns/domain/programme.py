"""A tenant's campaign programme: the settings of its campaigns, and what they share.

"Automated birthday reward delivered in the week before the client's birthday: a treatment
discount ... valid for 30 days"; "anniversary rewards"; "re-engagement campaigns" for clients who
have not booked for 60, 90 or 120 days. Each campaign is opted into on its own and says what its
code takes off, how long the code lasts and the note that comes with it; a birthday or an
anniversary may instead reward with a complimentary add-on or bonus points ("a treatment discount
code, a complimentary add-on, or a points bonus"). The programme says where
clients book (the link every message carries), which share of clients is held out to measure the
campaigns against, and how long after a message a booking counts as its result. A change applies
to offers made after it; an offer already made keeps what it was made with.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, ClassVar, Literal, cast, get_args
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from starcard_events.limits import (
    MAX_ADD_ON_LENGTH,
    MAX_MESSAGE_LENGTH,
    MAX_PERCENT,
    MIN_PERCENT,
    has_control_characters,
)
from starcard_events.notifications import is_booking_url

from starcard_campaigns.domain.errors import InvalidSettings
from starcard_campaigns.domain.ids import programme_id

__all__ = [
    "CAMPAIGNS",
    "MAX_DAYS_BEFORE",
    "MAX_VALID_DAYS",
    "AnniversarySettings",
    "BirthdaySettings",
    "Campaign",
    "CampaignProgramme",
    "CelebrationSettings",
    "OfferSettings",
    "ProgrammeSettings",
    "ReengagementSettings",
    "Reward",
]

Campaign = Literal["birthday", "anniversary", "reengagement"]
CAMPAIGNS: tuple[Campaign, ...] = get_args(Campaign)

Reward = Literal["discount", "add_on", "points"]
"""What an offer gives: a code worth a percentage off; a code worth a complimentary add-on (it
takes nothing off the bill); or bonus points on the client's account, granted by the loyalty
service (no code)."""
REWARDS: tuple[Reward, ...] = get_args(Reward)

MAX_DAYS_BEFORE = 28
"""A celebration's offer goes out at most four weeks ahead: any earlier, it is no longer the
client's birthday (or anniversary) treat."""

MAX_VALID_DAYS = 365
"""A campaign code lasts at most a year: "expiry windows set short enough to drive bookings"."""

MAX_LAPSE_DAYS = 730
"""Re-engagement steps come at most two years after the last visit."""

MAX_STEPS = 5

MAX_HOLDOUT_PERCENT = 50
"""At most half the eligible clients are held out: a campaign is for sending."""

MAX_ATTRIBUTION_DAYS = 90

_BOOKING_URL = re.compile(r"^https://[^\s/?#]+\.[^\s/?#]+(/[^\s]*)?$")
"""An https address with a dotted host (the notice's URL type accepts ``https://localhost``,
which no client can book at)."""
_CATEGORY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.&/-]{0,63}$")


@dataclass(frozen=True)
class OfferSettings:
    """What every campaign's offer is: opted into or not, the code's discount and life, the note.

    The per-campaign settings below add what times them (and a celebration's, what it gives)."""

    enabled: bool = False
    discount_percent: int = 10
    valid_days: int = 30
    message: str = ""

    campaign: ClassVar[Campaign]

    def check(self) -> OfferSettings:
        """The settings, or `InvalidSettings` naming every problem, one line each."""
        problems = []
        if not isinstance(self.enabled, bool):
            problems.append(f"enabled must be true or false (got {self.enabled!r}).")
        problems += _whole_number_problems(
            self,
            ("discount_percent", MIN_PERCENT, MAX_PERCENT, "the percentage the code takes off"),
            ("valid_days", 1, MAX_VALID_DAYS, "how many days the code works after it is sent"),
        )
        problems += _message_problems(self.message)
        problems += self.reward_problems()
        problems += self.timing_problems()
        if problems:
            raise InvalidSettings(problems)
        return self

    def gives(self) -> tuple[Reward, str | None]:
        """What the offer gives: its reward, and the add-on's name when that is the reward (a
        discount code here)."""
        return "discount", None

    def reward_problems(self) -> list[str]:
        """What is wrong with the settings of what the offer gives besides a discount (none
        here: a discount code)."""
        return []

    def timing_problems(self) -> list[str]:
        """What is wrong with the settings that time the campaign (none here)."""
        return []

    def last_valid_day(self, issued_on: date) -> date:
        """The last day a code issued on `issued_on` works: the day of issue is its first of
        `valid_days` (30 days from 14 March: through 12 April)."""
        return issued_on + timedelta(days=self.valid_days - 1)

    def code_expiry(self, issued_on: date, zone: tzinfo) -> datetime:
        """When a code issued on `issued_on` stops working: at midnight in the tenant's time zone
        after its last valid day."""
        after = self.last_valid_day(issued_on) + timedelta(days=1)
        return datetime.combine(after, time(0), tzinfo=zone).astimezone(UTC)

    def to_record(self) -> dict[str, Any]:
        """What the settings event stores: plain JSON values."""
        return asdict(self)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> OfferSettings:
        return cls(**record)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(each.name for each in fields(cls))


@dataclass(frozen=True)
class CelebrationSettings(OfferSettings):
    """A birthday's or an anniversary's offer: a treat for the occasion, which may be a discount
    code, a code for a complimentary `add_on` (its name, e.g. "Scalp massage, 15 min"), or bonus
    points (the loyalty programme's bonus for other programmes). The add-on's name is kept
    whatever the reward, so switching back to it finds it."""

    reward: Reward = "discount"
    add_on: str | None = None

    def gives(self) -> tuple[Reward, str | None]:
        return self.reward, self.add_on if self.reward == "add_on" else None

    def reward_problems(self) -> list[str]:
        problems = []
        if self.reward not in REWARDS:
            problems.append(
                f"reward must be one of {', '.join(REWARDS)} (got {self.reward!r}): a code for "
                "a percentage off, a code for a complimentary add-on, or bonus points."
            )
        if self.add_on is not None:
            problems += _add_on_problems(self.add_on)
        elif self.reward == "add_on":
            problems.append(
                "add_on must name the complimentary add-on when reward is add_on, e.g. "
                "'Scalp massage, 15 min'."
            )
        return problems


@dataclass(frozen=True)
class BirthdaySettings(CelebrationSettings):
    """The birthday reward: sent `days_before` the birthday (7: the week before)."""

    message: str = "Happy birthday! Here is a treat from us for your birthday week."
    days_before: int = 7

    campaign: ClassVar[Campaign] = "birthday"

    def timing_problems(self) -> list[str]:
        return _whole_number_problems(
            self, ("days_before", 0, MAX_DAYS_BEFORE, "how many days before the birthday it goes")
        )


@dataclass(frozen=True)
class AnniversarySettings(CelebrationSettings):
    """The anniversary of the client's first visit: sent `days_before` it (0: on the day)."""

    message: str = "It is a year since your first visit: thank you! Here is something for you."
    days_before: int = 0

    campaign: ClassVar[Campaign] = "anniversary"

    def timing_problems(self) -> list[str]:
        return _whole_number_problems(
            self,
            ("days_before", 0, MAX_DAYS_BEFORE, "how many days before the anniversary it goes"),
        )


@dataclass(frozen=True)
class ReengagementSettings(OfferSettings):
    """Messages to a client who has not been back: one at each of `steps_days` after the last
    visit, or at the steps of the last visit's treatment category when `category_steps` names it
    ("injectables clients rebook on another cycle than facial clients")."""

    discount_percent: int = 15
    valid_days: int = 14
    message: str = "We have missed you! Here is an offer to welcome you back."
    steps_days: tuple[int, ...] = (60, 90, 120)
    category_steps: dict[str, tuple[int, ...]] = field(default_factory=dict)

    campaign: ClassVar[Campaign] = "reengagement"

    def __post_init__(self) -> None:
        """JSON gives lists; the settings hold tuples, so equal settings compare equal."""
        if isinstance(self.steps_days, list):
            object.__setattr__(self, "steps_days", tuple(self.steps_days))
        if isinstance(self.category_steps, dict):
            object.__setattr__(
                self,
                "category_steps",
                {
                    name: tuple(steps) if isinstance(steps, list) else steps
                    for name, steps in self.category_steps.items()
                },
            )

    def steps_for(self, category: str | None) -> tuple[int, ...]:
        """The days after a visit of `category` at which the messages go."""
        if category is not None and category in self.category_steps:
            return self.category_steps[category]
        return self.steps_days

    @property
    def all_steps(self) -> list[int]:
        """Every step of every category: the span of days the tick looks at."""
        steps = list(self.steps_days)
        for each in self.category_steps.values():
            steps += each
        return steps

    def timing_problems(self) -> list[str]:
        problems = _steps_problems("steps_days", self.steps_days)
        if not isinstance(self.category_steps, dict):
            return [*problems, "category_steps must map a category to its days."]
        for category, steps in self.category_steps.items():
            if not isinstance(category, str) or not _CATEGORY.fullmatch(category):
                problems.append(
                    f"category_steps has a category {category!r} that is not one: a category is "
                    "1 to 64 letters, digits, spaces or _ . & / -."
                )
            problems += _steps_problems(f"category_steps[{category!r}]", steps)
        return problems

    def to_record(self) -> dict[str, Any]:
        record = asdict(self)
        record["steps_days"] = list(self.steps_days)
        record["category_steps"] = {k: list(v) for k, v in self.category_steps.items()}
        return record


@dataclass(frozen=True)
class ProgrammeSettings:
    """What the campaigns share: the booking link, the hold-out share, the attribution window."""

    booking_url: str | None = None
    holdout_percent: int = 10
    attribution_days: int = 14

    def check(self) -> ProgrammeSettings:
        problems = _whole_number_problems(
            self,
            (
                "holdout_percent",
                0,
                MAX_HOLDOUT_PERCENT,
                "the share of eligible clients who get nothing, to measure the campaigns against",
            ),
            (
                "attribution_days",
                1,
                MAX_ATTRIBUTION_DAYS,
                "how many days after a message a booking counts as its result",
            ),
        )
        if self.booking_url is not None and (
            not isinstance(self.booking_url, str)
            or not _BOOKING_URL.fullmatch(self.booking_url)
            or not is_booking_url(self.booking_url)
        ):
            problems.append(
                "booking_url must be the https address of the page where clients book, e.g. "
                f"https://book.example.com/serenity (got {self.booking_url!r})."
            )
        if problems:
            raise InvalidSettings(problems)
        return self

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(each.name for each in fields(cls))


SETTINGS_TYPES: dict[Campaign, type[OfferSettings]] = {
    "birthday": BirthdaySettings,
    "anniversary": AnniversarySettings,
    "reengagement": ReengagementSettings,
}


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
        self.shared = ProgrammeSettings()
        self.offers: dict[Campaign, OfferSettings] = {
            campaign: kind() for campaign, kind in SETTINGS_TYPES.items()
        }

    # Each campaign's settings are of its type (`SETTINGS_TYPES`), whatever `offers` says.

    @property
    def birthday(self) -> BirthdaySettings:
        return cast("BirthdaySettings", self.offers["birthday"])

    @property
    def anniversary(self) -> AnniversarySettings:
        return cast("AnniversarySettings", self.offers["anniversary"])

    @property
    def reengagement(self) -> ReengagementSettings:
        return cast("ReengagementSettings", self.offers["reengagement"])

    def change_campaign(self, campaign: Campaign, **changes: Any) -> OfferSettings:
        """Settings → Campaigns → one campaign: change some settings, keep the others.

        Settings equal to the current ones record nothing; any problem (an unknown setting
        included) refuses the whole change with `InvalidSettings`. Re-engagement messages carry
        the booking link, so they cannot be switched on before there is one.
        """
        current = self.offers[campaign]
        _refuse_unknown(f"{campaign} setting", changes, type(current).names())
        changed = replace(current, **changes).check()
        if campaign == "reengagement" and changed.enabled and self.shared.booking_url is None:
            raise InvalidSettings(
                [
                    "Re-engagement messages carry the link to book: set booking_url "
                    "(PATCH /v1/campaigns/settings) before switching them on."
                ]
            )
        if changed != current:
            self._change_campaign(campaign=campaign, settings=changed.to_record())
        return self.offers[campaign]

    def change_shared(self, **changes: Any) -> ProgrammeSettings:
        """Settings → Campaigns: the booking link, the hold-out share, the attribution window."""
        _refuse_unknown("campaigns setting", changes, ProgrammeSettings.names())
        changed = replace(self.shared, **changes).check()
        if changed.booking_url is None and self.reengagement.enabled:
            raise InvalidSettings(
                [
                    "booking_url cannot be removed while re-engagement messages (which carry it) "
                    "are on: switch them off first."
                ]
            )
        if changed != self.shared:
            self._change_shared(settings=changed.to_record())
        return self.shared

    @event("CampaignSettingsChanged")
    def _change_campaign(self, *, campaign: Campaign, settings: dict[str, Any]) -> None:
        self.offers[campaign] = SETTINGS_TYPES[campaign].from_record(settings)

    @event("BirthdaySettingsChanged")
    def _change_birthday(self, *, settings: dict[str, Any]) -> None:
        """Recorded by the first release (the birthday campaign alone): stores it wrote replay."""
        self.offers["birthday"] = BirthdaySettings.from_record(settings)

    @event("SharedSettingsChanged")
    def _change_shared(self, *, settings: dict[str, Any]) -> None:
        self.shared = ProgrammeSettings(**settings)


def _refuse_unknown(what: str, changes: dict[str, Any], names: tuple[str, ...]) -> None:
    unknown = sorted(set(changes) - set(names))
    if unknown:
        raise InvalidSettings(
            [f"Unknown {what} {name!r}: the settings are {', '.join(names)}." for name in unknown]
        )


def _whole_number_problems(settings: object, *rules: tuple[str, int, int, str]) -> list[str]:
    problems = []
    for name, low, high, why in rules:
        value = getattr(settings, name)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            problems.append(
                f"{name} must be a whole number from {low} to {high} (got {value!r}): {why}."
            )
    return problems


def _steps_problems(name: str, steps: object) -> list[str]:
    if (
        not isinstance(steps, tuple | list)
        or not 1 <= len(steps) <= MAX_STEPS
        or any(isinstance(s, bool) or not isinstance(s, int) for s in steps)
        or any(not 1 <= s <= MAX_LAPSE_DAYS for s in steps)
        or list(steps) != sorted(set(steps))
    ):
        return [
            f"{name} must be 1 to {MAX_STEPS} whole numbers of days from 1 to {MAX_LAPSE_DAYS}, "
            f"rising, e.g. [60, 90, 120] (got {steps!r}): the days after the last visit each "
            "message goes."
        ]
    return []


def _add_on_problems(add_on: object) -> list[str]:
    return _text_problems(
        "add_on", add_on, MAX_ADD_ON_LENGTH, "name the complimentary add-on", one_line=True
    )


def _message_problems(message: object) -> list[str]:
    return _text_problems(
        "message", message, MAX_MESSAGE_LENGTH, "write the note the client receives"
    )


def _text_problems(
    name: str, text: object, longest: int, what: str, *, one_line: bool = False
) -> list[str]:
    """What is wrong with a text setting: not text, blank, too long, control characters (or,
    `one_line`, a line break or a tab)."""
    if not isinstance(text, str):
        return [f"{name} must be text (got {text!r})."]
    problems = []
    if not text.strip():
        problems.append(f"{name} must not be blank: {what}.")
    if len(text) > longest:
        problems.append(
            f"{name} must be at most {longest} characters (got {len(text)}): shorten it."
        )
    if has_control_characters(text):
        problems.append(f"{name} must not contain control characters: write plain text.")
    elif one_line and any(each in text for each in "\t\n\r"):
        problems.append(f"{name} must be one line: no line breaks or tabs.")
    return problems
