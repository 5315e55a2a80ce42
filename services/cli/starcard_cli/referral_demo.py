"""The demo's referrals: a few clients share their links, and friends visit, book and come in.

Runs after the booking feed (``starcard demo``). The studio's programme is set to what the
MassageHub seed's example says ("use my link and you'll get £10 off your first session"): £10 to
the referrer once the friend's first paid visit is done, and £10 off for the friend, by email.
Each referrer's link is made as their portal would make it; the feed then holds, per referrer:
visitors who only looked, friends who booked, friends who came in, and one refusal of each kind
(a client following their own link, an existing client booking through a friend's link). Event
ids derive from the seed and the links, so a second run publishes the same records again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

from starcard_events import examples
from starcard_events.topics import (
    BOOKING_EVENTS,
    REFERRAL_VISITS,
    booking_key,
    referral_visit_key,
)
from starcard_referrals.api import Delivery, ReferralsService, RewardValue, Trigger

EVENT_ID_NAMESPACE = UUID("a3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d")
"""Event ids are uuid5 of this and what the event is about: a re-sent event keeps its id."""
REFERRERS = ("client01", "client02", "client03", "client04", "client05")
EXISTING_CLIENT = "client10"
BOOKING_PAGE = "https://serenity-massage.example/book"
DEMO_SETTINGS: dict[str, Any] = {
    "reward": RewardValue.of_amount(1000, "GBP"),
    "trigger": Trigger.FIRST_COMPLETED,
    "reward_referred": True,
    "delivery": Delivery.CREDIT,
    "booking_page_url": BOOKING_PAGE,
}


@dataclass(frozen=True)
class Record:
    """One record to publish: its topic (before any prefix), key and event."""

    topic: str
    key: bytes
    event: dict[str, Any]


@dataclass(frozen=True)
class ReferralFeed:
    records: list[Record]
    links: dict[str, str]
    invited: int
    booked: int
    completed: int
    refused: int


def prepare_referrals(referrals: ReferralsService, tenant_id: str, at: datetime) -> dict[str, str]:
    """Set the demo programme and make each referrer's link; returns client -> link code."""
    referrals.change_settings(tenant_id, **DEMO_SETTINGS)
    return {client: referrals.link_for(tenant_id, client, at).code for client in REFERRERS}


class _Builder:
    def __init__(self, tenant_id: str, seed: int, starts: datetime) -> None:
        self.tenant_id = tenant_id
        self.seed = seed
        self.starts = starts
        self.records: list[Record] = []

    def add(self, topic: str, key: bytes, event: dict[str, Any], about: str) -> None:
        event["event_id"] = str(uuid5(EVENT_ID_NAMESPACE, f"{self.tenant_id}:{self.seed}:{about}"))
        self.records.append(Record(topic, key, event))

    def visit(self, code: str, visitor: str, day: int) -> None:
        event = examples.link_visited(
            self.tenant_id, self.at(day, 9), referral_code=code, visitor_id=visitor
        )
        self.add(
            REFERRAL_VISITS,
            referral_visit_key(self.tenant_id, code),
            event,
            f"visit:{visitor}:{code}",
        )

    def friend_books(self, code: str, friend: str, visitor: str, day: int, *, comes: bool) -> None:
        key = booking_key(self.tenant_id, friend)
        registered = examples.client_registered(
            self.tenant_id, self.at(day, 10), client_id=friend, email=f"{friend}@example.test"
        )
        self.add(BOOKING_EVENTS, key, registered, f"registered:{friend}")
        details: dict[str, Any] = {
            "booking_id": f"s{self.seed}-{friend}-first",
            "client_id": friend,
            "starts_at": self.at(day + 5, 14),
            "referral_code": code,
            "referral_visitor_id": visitor,
        }
        booked = examples.booking_created(self.tenant_id, self.at(day, 11), **details)
        self.add(BOOKING_EVENTS, key, booked, f"booked:{friend}")
        if comes:
            done = examples.appointment_completed(self.tenant_id, self.at(day + 5, 15), **details)
            self.add(BOOKING_EVENTS, key, done, f"completed:{friend}")

    def at(self, day: int, hour: int) -> datetime:
        return self.starts + timedelta(days=day, hours=hour)


def build_referral_feed(
    tenant_id: str, links: dict[str, str], *, seed: int, starts: datetime
) -> ReferralFeed:
    """Per referrer n (0 to 4): n+1 visitors; the first friend of an even n comes in, of an odd
    n only books. Referrer 3's link is used by an existing client, and referrer 4 follows and
    books through their own link: two bookings that make no referral."""
    feed = _Builder(tenant_id, seed, starts)
    booked = completed = 0
    for n, referrer in enumerate(REFERRERS):
        code = links[referrer]
        for k in range(n + 1):
            visitor = f"visitor-{n}-{k}"
            feed.visit(code, visitor, day=3 * n + k)
            books = k == 0
            if books:
                comes = n % 2 == 0 and k == 0
                feed.friend_books(code, f"friend-{n}-{k}", visitor, day=3 * n + k + 1, comes=comes)
                booked += 1
                completed += comes
    own = REFERRERS[4]
    feed.visit(links[own], own, day=20)
    self_booked = examples.booking_created(
        tenant_id,
        feed.at(20, 10),
        booking_id=f"s{seed}-{own}-own-link",
        client_id=own,
        starts_at=feed.at(23, 10),
        referral_code=links[own],
    )
    feed.add(BOOKING_EVENTS, booking_key(tenant_id, own), self_booked, "own-link")
    # The existing client has months of history in the booking feed; a booking of theirs made
    # (and cancelled) here too keeps this feed's refusal true when it is published alone.
    key = booking_key(tenant_id, EXISTING_CLIENT)
    earlier_id = f"s{seed}-{EXISTING_CLIENT}-earlier"
    earlier = examples.booking_created(
        tenant_id,
        feed.at(0, 9),
        booking_id=earlier_id,
        client_id=EXISTING_CLIENT,
        starts_at=feed.at(2, 10),
    )
    feed.add(BOOKING_EVENTS, key, earlier, "earlier")
    cancelled = examples.booking_cancelled(
        tenant_id, feed.at(1, 9), booking_id=earlier_id, client_id=EXISTING_CLIENT
    )
    feed.add(BOOKING_EVENTS, key, cancelled, "earlier-cancelled")
    existing = examples.booking_created(
        tenant_id,
        feed.at(21, 10),
        booking_id=f"s{seed}-{EXISTING_CLIENT}-via-link",
        client_id=EXISTING_CLIENT,
        starts_at=feed.at(24, 10),
        referral_code=links[REFERRERS[3]],
    )
    feed.add(BOOKING_EVENTS, key, existing, "existing")
    visitors = sum(n + 1 for n in range(len(REFERRERS)))
    return ReferralFeed(
        records=feed.records,
        links=links,
        invited=visitors - booked,
        booked=booked - completed,
        completed=completed,
        refused=2,
    )
