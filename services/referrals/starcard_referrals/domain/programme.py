"""A tenant's referral programme: what a referral earns, when, for whom, and how it is given.

From Settings → Referrals: the reward type (fixed amount or percentage), the trigger (the referred
client's first booking, or their first paid appointment completed), whether the referred client
also gets a single-use code, and the delivery (an automatic credit to the referrer, or a manual
alert emailed to the business). The settings in force when a referral meets the trigger decide
its reward; changing them never changes a reward already given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from starcard_events.limits import MAX_EMAIL_LENGTH, MAX_URL_LENGTH, has_control_characters

from starcard_referrals.domain.errors import InvalidSettings
from starcard_referrals.domain.ids import programme_id
from starcard_referrals.domain.values import RewardValue

URL = re.compile(r"^https?://[^\s?#]+(\?[^\s#]*)?$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


class Trigger(StrEnum):
    FIRST_BOOKING = "first_booking"
    FIRST_COMPLETED = "first_completed"


class Delivery(StrEnum):
    CREDIT = "credit"
    ALERT = "alert"


@dataclass(frozen=True)
class ReferralSettings:
    """The programme's settings; `check` says what to fix when they do not hold together."""

    reward: RewardValue
    trigger: Trigger = Trigger.FIRST_COMPLETED
    reward_referred: bool = False
    delivery: Delivery = Delivery.CREDIT
    alert_email: str | None = None
    booking_page_url: str | None = None

    def check(self) -> ReferralSettings:
        if self.delivery is Delivery.ALERT and not self.alert_email:
            raise InvalidSettings("Delivery by alert needs alert_email: where to send the alert.")
        if self.alert_email is not None and len(self.alert_email) > MAX_EMAIL_LENGTH:
            msg = f"alert_email must be at most {MAX_EMAIL_LENGTH} characters."
            raise InvalidSettings(msg)
        if self.booking_page_url is not None and len(self.booking_page_url) > MAX_URL_LENGTH:
            msg = f"booking_page_url must be at most {MAX_URL_LENGTH} characters."
            raise InvalidSettings(msg)
        for name in ("alert_email", "booking_page_url"):
            value = getattr(self, name)
            if value is not None and has_control_characters(value):
                raise InvalidSettings(f"{name} must not contain control characters.")
        if self.alert_email is not None and not EMAIL.fullmatch(self.alert_email):
            raise InvalidSettings(f"alert_email {self.alert_email!r} is not an email address.")
        if self.booking_page_url is not None and not URL.fullmatch(self.booking_page_url):
            msg = "booking_page_url must be an http(s) URL without a fragment, e.g. https://..."
            raise InvalidSettings(msg)
        return self

    def link_url(self, code: str) -> str | None:
        """The client's link: the tenant's booking page with the code as ``ref``."""
        if self.booking_page_url is None:
            return None
        joiner = "&" if "?" in self.booking_page_url else "?"
        return f"{self.booking_page_url}{joiner}ref={code}"

    def as_event(self) -> dict[str, Any]:
        return {
            "reward": self.reward.as_event(),
            "trigger": self.trigger.value,
            "reward_referred": self.reward_referred,
            "delivery": self.delivery.value,
            "alert_email": self.alert_email,
            "booking_page_url": self.booking_page_url,
        }

    @classmethod
    def from_event(cls, data: dict[str, Any]) -> ReferralSettings:
        return cls(
            reward=RewardValue.from_event(data["reward"]),
            trigger=Trigger(data["trigger"]),
            reward_referred=data["reward_referred"],
            delivery=Delivery(data["delivery"]),
            alert_email=data["alert_email"],
            booking_page_url=data["booking_page_url"],
        )


DEFAULT_SETTINGS = ReferralSettings(reward=RewardValue.of_percent(10))
"""A new programme: 10% credit to the referrer once the friend's first paid visit is done."""


class ReferralProgramme(Aggregate):
    """One per tenant; created with the tenant (`ReferralProgramme(tenant_id=..., name=...)`)."""

    @staticmethod
    def create_id(tenant_id: str) -> UUID:
        return programme_id(tenant_id)

    @event("Opened")
    def __init__(self, *, tenant_id: str, name: str) -> None:
        self.tenant_id = tenant_id
        self.name = name
        self.settings = DEFAULT_SETTINGS

    def change(self, **changes: Any) -> ReferralSettings:
        """Change some settings (the rest stay); refused whole if the result does not hold."""
        settings = replace(self.settings, **changes).check()
        if settings != self.settings:
            self._change(settings=settings.as_event())
        return self.settings

    @event("SettingsChanged")
    def _change(self, *, settings: dict[str, Any]) -> None:
        self.settings = ReferralSettings.from_event(settings)
