"""Offers: one per campaign, client and occasion, sent with what it was made with or held out."""

from datetime import date, timedelta
from typing import Any

import pytest
from starcard_campaigns.domain.ids import offer_id
from starcard_campaigns.domain.offers import Offer, OfferTerms

from .factories import CLIENT, TENANT, event_names, moment, offer, stored_and_replayed

pytestmark = pytest.mark.unit

DAY = date(2025, 3, 7)


def test_a_sent_offer_keeps_the_code_note_link_and_quiet_hours_it_was_made_with() -> None:
    sent = offer("birthday", day=DAY, occasion="2025")

    assert sent.id == offer_id(TENANT, "birthday", CLIENT, "2025")
    assert (sent.tenant_id, sent.campaign, sent.client_id, sent.occasion) == (
        TENANT,
        "birthday",
        CLIENT,
        "2025",
    )
    assert (sent.day, sent.decided_at) == (DAY, moment(DAY, 6))
    assert sent.held_out is False
    assert sent.terms is not None
    assert (sent.terms.code, sent.terms.discount_percent) == ("BDAY-7K3MPQ9X", 10)
    assert sent.terms.expires_at == moment(DAY, 6) + timedelta(days=30)
    assert sent.terms.booking_url == "https://book.example.com/serenity"
    assert sent.terms.send_after == moment(DAY, 8)
    assert event_names(sent) == ["Decided"]


def test_a_held_out_offer_gives_and_says_nothing() -> None:
    held = offer("reengagement", day=DAY, occasion="b1#2", held_out=True)

    assert held.held_out is True
    assert held.terms is None
    assert held.id == offer_id(TENANT, "reengagement", CLIENT, "b1#2")


def test_an_occasion_has_one_offer_whoever_decides_it() -> None:
    """The id is the uniqueness rule: the same campaign, client and occasion is the same offer,
    sent or held out, whatever day the tick that decided it fell on."""
    assert offer(day=DAY).id == offer(day=DAY + timedelta(days=1), held_out=True).id
    others = {
        offer("birthday", day=DAY, occasion="2026").id,
        offer("anniversary", day=DAY, occasion="2025").id,
        offer("birthday", day=DAY, client_id="client-2").id,
        offer_id("studio-2", "birthday", CLIENT, "2025"),
    }
    assert offer(day=DAY).id not in others
    assert len(others) == 4


@pytest.mark.parametrize("held_out", [False, True], ids=["sent", "held out"])
def test_an_offer_survives_storing_and_replaying(held_out: bool) -> None:
    decided = offer("anniversary", day=DAY, held_out=held_out)

    replayed = stored_and_replayed(decided)

    assert replayed == decided
    assert (replayed.day, replayed.decided_at, replayed.terms) == (
        decided.day,
        decided.decided_at,
        decided.terms,
    )


ADD_ON = OfferTerms(
    code="BDAY-7K3MPQ9X",
    discount_percent=None,
    message="Happy birthday!",
    expires_at=moment(DAY, 6) + timedelta(days=30),
    valid_until=DAY + timedelta(days=29),
    booking_url=None,
    send_after=None,
    reward="add_on",
    add_on="Scalp massage, 15 min",
)
POINTS = OfferTerms(
    code=None,
    discount_percent=None,
    message="Happy birthday!",
    expires_at=None,
    valid_until=None,
    booking_url=None,
    send_after=moment(DAY, 8),
    reward="points",
)


@pytest.mark.parametrize("terms", [ADD_ON, POINTS], ids=["add-on", "points"])
def test_an_add_on_or_points_offer_survives_storing_and_replaying(terms: OfferTerms) -> None:
    decided = offer("birthday", day=DAY, terms=terms)

    replayed = stored_and_replayed(decided)

    assert replayed.terms == terms
    assert replayed.held_out is False


def test_offer_terms_stored_before_rewards_had_kinds_replay_as_a_discount_code() -> None:
    stored: dict[str, Any] = {
        "code": "BDAY-7K3MPQ9X",
        "discount_percent": 10,
        "message": "Happy birthday!",
        "expires_at": moment(DAY, 6) + timedelta(days=30),
        "valid_until": "2025-04-05",
        "booking_url": None,
        "send_after": None,
    }
    decided = Offer(
        tenant_id=TENANT,
        campaign="birthday",
        client_id=CLIENT,
        occasion="2025",
        day=DAY.isoformat(),
        decided_at=moment(DAY, 6),
        terms=stored,
    )

    replayed = stored_and_replayed(decided)

    assert replayed.terms is not None
    assert (replayed.terms.reward, replayed.terms.add_on) == ("discount", None)
    assert (replayed.terms.code, replayed.terms.discount_percent) == ("BDAY-7K3MPQ9X", 10)
    assert replayed.terms.valid_until == date(2025, 4, 5)
