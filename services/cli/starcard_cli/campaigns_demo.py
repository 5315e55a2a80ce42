"""The demo's campaigns: the studio switches birthday rewards on, and a few clients of the feed
have a birthday (one of them, with a mobile number and consent, gets the code by SMS too).

The clients' birthdays ride on their ``ClientRegistered`` records, fixed by client number rather
than drawn, so the feed's random stream (and with it every other figure of the demo) stays as it
was. Two fall in the week after one of the demo's clock ticks (see ``demo.TICK_DAYS``) and are
rewarded by it; one falls a day past the second tick's week, and one on 29 February: neither is
due on a tick the demo publishes, whatever today is. Neither of the two rewarded is in the 10%
hold-out group of 2026 (the hash decides, see ``starcard_campaigns.domain.holdout``).
"""

from __future__ import annotations

import calendar

from starcard_campaigns.api import BirthdaySettings, CampaignsService, MonthDay

DEMO_BIRTHDAYS = {
    8: MonthDay(11, 6),  # four days after the 2 November tick: rewarded by it
    16: MonthDay(11, 19),  # seven days after the 12 November tick: rewarded by it
    25: MonthDay(11, 20),  # eight days after it: not yet
    33: MonthDay(2, 29),  # a leap-day birthday, months away
}
"""Birthdays by client number (``client08`` is 8), before the demo's defaults of 7 days."""

DEMO_PHONES = {8: "+447700900008"}
"""Clients with a mobile number who agreed to SMS offers (an Ofcom drama number: never real)."""

DEMO_BOOKING_URL = "https://book.example.com/serenity"
"""Where the demo studio's clients book (every campaign message carries it)."""


def birthday_of(number: int) -> dict[str, int] | None:
    """The birthday of client number `number` as the booking contract carries it, if any."""
    birthday = DEMO_BIRTHDAYS.get(number)
    return None if birthday is None else {"month": birthday.month, "day": birthday.day}


def phone_of(number: int) -> str | None:
    """The mobile number of client number `number`, if they gave one and agreed to SMS."""
    return DEMO_PHONES.get(number)


def add_demo_birthdays(campaigns: CampaignsService, tenant_id: str, name: str) -> bool:
    """Open the tenant's campaigns programme, set its booking link and switch birthday rewards
    on, unless its birthday settings differ from the defaults already (a re-run keeps what the
    clinic chose); True if switched on."""
    campaigns.open_programme(tenant_id, name)
    if campaigns.programme(tenant_id).birthday != BirthdaySettings():
        return False
    campaigns.change_shared_settings(tenant_id, booking_url=DEMO_BOOKING_URL)
    campaigns.change_campaign_settings(tenant_id, "birthday", enabled=True)
    return True


def birthday_lines(settings: BirthdaySettings) -> list[str]:
    """The birthday settings, as the demo prints them."""
    return [
        f"{settings.discount_percent}% off, sent {settings.days_before} days before the"
        f" birthday, valid {settings.valid_days} days, once a year",
        f"“{settings.message}”",
    ]


def birthday_feed_line(clients: list[str], settings: BirthdaySettings) -> str:
    """Which clients of the feed have a birthday, and what the ticks make of them."""
    known = sorted(
        (number, birthday) for number, birthday in DEMO_BIRTHDAYS.items() if number <= len(clients)
    )
    if not known:
        return "no client of the feed has a birthday on record"
    named = ", ".join(
        f"{clients[number - 1]} on {birthday.day} {calendar.month_name[birthday.month]}"
        for number, birthday in known
    )
    if not settings.enabled:
        return f"{len(known)} clients registered with a birthday ({named}); rewards are off"
    texted = ", ".join(clients[number - 1] for number in DEMO_PHONES if number <= len(clients))
    return (
        f"{len(known)} clients registered with a birthday ({named}); once processed, each tick"
        f" emails a BDAY- code to those whose birthday is at most {settings.days_before} days"
        f" after its day (and texts it to {texted}, who agreed to SMS)"
    )
