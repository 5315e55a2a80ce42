"""The campaign emails (birthday, anniversary, re-engagement) and their SMS: the offer, the
booking link, and a way to stop the texts."""

from dataclasses import replace

import pytest
from starcard_notifier.domain.notification import Content
from starcard_notifier.rendering import OPT_OUT, render, render_sms

from .factories import EXPIRES, PARTS, content, rendered_part

pytestmark = pytest.mark.unit

CAMPAIGNS = ["birthday_reward", "anniversary_offer", "reengagement_offer"]
BOOKING_URL = "https://serenity.example/book?ref=starcard"

OFFER = content(
    message="A little something from us.",
    discount_percent=15,
    code="BACK-7KQ2M9XD",
    expires_at=EXPIRES,
)
WITH_LINK = replace(OFFER, booking_url=BOOKING_URL)


def test_the_anniversary_subject_wishes_happy_anniversary_with_the_discount() -> None:
    subject = render("anniversary_offer", OFFER).subject

    assert subject == "Happy anniversary from Serenity Massage: 15% off your next visit"


def test_the_reengagement_subject_says_we_miss_you_and_the_last_day_to_book() -> None:
    subject = render("reengagement_offer", OFFER).subject

    assert subject == "We miss you at Serenity Massage: 15% off if you book by 24 November 2027"


@pytest.mark.parametrize("kind", CAMPAIGNS)
@pytest.mark.parametrize("part", PARTS)
def test_a_campaign_email_carries_the_message_the_code_and_the_last_day(
    kind: str, part: str
) -> None:
    body = rendered_part(kind, OFFER, part)

    assert "A little something from us." in body
    assert "BACK-7KQ2M9XD" in body
    assert "valid until 24 November 2027" in body


@pytest.mark.parametrize("kind", CAMPAIGNS)
def test_a_campaign_email_with_a_booking_link_has_a_book_now_link_in_both_parts(
    kind: str,
) -> None:
    rendered = render(kind, WITH_LINK)

    assert f"Book now: {BOOKING_URL}" in rendered.text
    assert 'href="https://serenity.example/book?ref=starcard"' in rendered.html
    assert ">Book now</a>" in rendered.html


@pytest.mark.parametrize("kind", CAMPAIGNS)
def test_a_campaign_email_without_a_booking_link_has_no_book_now(kind: str) -> None:
    rendered = render(kind, OFFER)

    assert "Book now" not in rendered.text
    assert "Book now" not in rendered.html


@pytest.mark.parametrize("kind", ["anniversary_offer", "reengagement_offer"])
def test_an_offer_without_its_discount_or_code_is_refused(kind: str) -> None:
    with pytest.raises(ValueError, match="code"):
        render(kind, replace(OFFER, code=None))
    with pytest.raises(ValueError, match="discount"):
        render(kind, replace(OFFER, discount_percent=None))


def test_a_reengagement_offer_without_a_last_day_is_refused() -> None:
    with pytest.raises(ValueError, match="valid_until"):
        render("reengagement_offer", replace(OFFER, expires_at=None))


def test_the_birthday_sms_is_one_short_line_with_the_code_the_day_and_the_link() -> None:
    text = render_sms("birthday_reward", WITH_LINK)

    assert text == (
        "Serenity Massage: Happy birthday! 15% off with code BACK-7KQ2M9XD until 24 Nov. "
        f"Book: {BOOKING_URL} Reply STOP to opt out"
    )


@pytest.mark.parametrize("kind", CAMPAIGNS)
@pytest.mark.parametrize("offer", [OFFER, WITH_LINK], ids=["no link", "with a link"])
def test_every_campaign_sms_ends_with_the_way_to_stop_them(kind: str, offer: Content) -> None:
    text = render_sms(kind, offer)

    assert text.endswith(OPT_OUT)
    assert OPT_OUT == "Reply STOP to opt out"
    assert "\n" not in text
    assert len(text) <= 2 * 160  # two SMS segments at most


def test_an_sms_is_not_escaped_and_a_name_cannot_break_it_into_lines() -> None:
    sneaky = replace(WITH_LINK, tenant_name="Serenity &\nMassage")

    text = render_sms("anniversary_offer", sneaky)

    assert text.startswith("Serenity & Massage: Happy anniversary!")
