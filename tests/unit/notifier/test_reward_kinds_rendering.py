"""A birthday's or an anniversary's reward of another kind than a discount: a code worth a
complimentary add-on, or bonus points (no code), by email and by SMS."""

from dataclasses import replace

import pytest
from starcard_notifier.domain.notification import Content
from starcard_notifier.rendering import OPT_OUT, render, render_sms

from .factories import EXPIRES, PARTS, content, rendered_part

pytestmark = pytest.mark.unit

CELEBRATIONS = ["birthday_reward", "anniversary_offer"]
BOOKING_URL = "https://serenity.example/book"

ADD_ON = content(
    message="A little something from us.",
    code="BDAY-7KQ2M9XD",
    add_on="Scalp massage, 15 min",
    expires_at=EXPIRES,
    booking_url=BOOKING_URL,
)
POINTS = content(message="A little something from us.", booking_url=BOOKING_URL)
"""Bonus points: no code, no discount; the number is the points programme's."""


@pytest.mark.parametrize(
    ("kind", "subject"),
    [
        (
            "birthday_reward",
            "Happy birthday from Serenity Massage: a complimentary Scalp massage, 15 min",
        ),
        (
            "anniversary_offer",
            "Happy anniversary from Serenity Massage: a complimentary Scalp massage, 15 min",
        ),
    ],
)
def test_an_add_on_subject_names_the_complimentary_add_on(kind: str, subject: str) -> None:
    assert render(kind, ADD_ON).subject == subject


@pytest.mark.parametrize("kind", CELEBRATIONS)
@pytest.mark.parametrize("part", PARTS)
def test_an_add_on_email_says_the_add_on_comes_free_with_the_code(kind: str, part: str) -> None:
    body = rendered_part(kind, ADD_ON, part)

    assert "a complimentary Scalp massage, 15 min with your next visit" in body
    assert "BDAY-7KQ2M9XD" in body
    assert "valid until 24 November 2027" in body
    assert "% off" not in body
    assert "None" not in body


@pytest.mark.parametrize(
    ("kind", "greeting"), [("birthday_reward", "birthday"), ("anniversary_offer", "anniversary")]
)
@pytest.mark.parametrize("part", PARTS)
def test_a_points_email_says_the_bonus_points_are_coming_without_a_code(
    kind: str, greeting: str, part: str
) -> None:
    body = rendered_part(kind, POINTS, part)

    assert f"{greeting} bonus points for your account" in body
    assert "They reach your account in a moment" in body
    assert "A little something from us." in body
    assert "Your code" not in body
    assert "Use it once" not in body
    assert "None" not in body
    assert BOOKING_URL in body


@pytest.mark.parametrize(
    ("kind", "subject"),
    [
        ("birthday_reward", "Happy birthday from Serenity Massage: bonus points for you"),
        ("anniversary_offer", "Happy anniversary from Serenity Massage: bonus points for you"),
    ],
)
def test_a_points_subject_promises_no_number(kind: str, subject: str) -> None:
    assert render(kind, POINTS).subject == subject


def test_the_add_on_is_escaped_in_the_html_part() -> None:
    sneaky = replace(ADD_ON, add_on="<b>Scalp</b> massage")

    html = render("birthday_reward", sneaky).html

    assert "<b>" not in html
    assert "&lt;b&gt;Scalp&lt;/b&gt; massage" in html


def test_an_add_on_sms_names_the_add_on_and_the_code() -> None:
    assert render_sms("birthday_reward", ADD_ON) == (
        "Serenity Massage: Happy birthday! A complimentary Scalp massage, 15 min with your next "
        f"visit, code BDAY-7KQ2M9XD until 24 Nov. Book: {BOOKING_URL} {OPT_OUT}"
    )


@pytest.mark.parametrize(
    ("kind", "greeting", "occasion"),
    [
        ("birthday_reward", "Happy birthday!", "birthday"),
        ("anniversary_offer", "Happy anniversary!", "anniversary"),
    ],
)
def test_a_points_sms_says_the_points_are_on_their_way(
    kind: str, greeting: str, occasion: str
) -> None:
    assert render_sms(kind, POINTS) == (
        f"Serenity Massage: {greeting} {occasion.capitalize()} bonus points are on their way to "
        "your account. "
        f"Book: {BOOKING_URL} {OPT_OUT}"
    )


@pytest.mark.parametrize("kind", CELEBRATIONS)
def test_an_add_on_email_without_its_code_is_refused(kind: str) -> None:
    with pytest.raises(ValueError, match="code"):
        render(kind, replace(ADD_ON, code=None))


def test_a_re_engagement_offer_is_always_a_discount() -> None:
    """No points variant: without its code and discount it is refused, as before."""
    incomplete: Content = replace(POINTS, expires_at=EXPIRES)

    with pytest.raises(ValueError, match="discount and code"):
        render("reengagement_offer", incomplete)
