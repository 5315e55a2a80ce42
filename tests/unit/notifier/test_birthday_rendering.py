"""The birthday email: the client's birthday code, in the text part and the HTML part."""

from dataclasses import replace

import pytest
from starcard_notifier.domain.notification import Content
from starcard_notifier.rendering import render

from .factories import EXPIRES, PARTS, content, rendered_part

pytestmark = pytest.mark.unit

BIRTHDAY = content(
    message="Happy birthday! Here is a treat from us for your birthday week.",
    discount_percent=15,
    code="BDAY-7KQ2M9XD",
    expires_at=EXPIRES,
)


@pytest.mark.parametrize("part", PARTS)
def test_the_email_carries_the_message_the_code_the_discount_and_the_last_day(part: str) -> None:
    body = rendered_part("birthday_reward", BIRTHDAY, part)

    assert "Happy birthday from Serenity Massage: here is 15% off your next visit" in body
    assert "Happy birthday! Here is a treat from us for your birthday week." in body
    assert "BDAY-7KQ2M9XD" in body
    assert "valid until 24 November 2027" in body
    assert "Use it once" in body


def test_the_subject_wishes_happy_birthday_in_the_tenants_name_with_the_discount() -> None:
    subject = render("birthday_reward", BIRTHDAY).subject

    assert subject == "Happy birthday from Serenity Massage: 15% off your next visit"


def test_the_code_is_shown_big_and_in_a_monospace_font() -> None:
    html = render("birthday_reward", BIRTHDAY).html
    code_line = next(line for line in html.splitlines() if "BDAY-7KQ2M9XD" in line)

    assert "monospace" in code_line
    assert "font-size:32px" in code_line


def test_the_tenants_name_and_message_are_escaped_in_the_html_part() -> None:
    sneaky = replace(
        BIRTHDAY,
        tenant_name="Serenity <b>Massage</b>",
        message="Happy birthday! <script>alert(1)</script>",
    )

    rendered = render("birthday_reward", sneaky)

    assert "<b>" not in rendered.html
    assert "<script>" not in rendered.html
    assert "&lt;b&gt;Massage&lt;/b&gt;" in rendered.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered.html
    assert "Happy birthday! <script>alert(1)</script>" in rendered.text  # plain text is not HTML


def test_a_name_with_a_line_break_cannot_break_the_subject_header() -> None:
    broken = replace(BIRTHDAY, tenant_name="Serenity\r\nBcc: x")

    subject = render("birthday_reward", broken).subject

    assert subject == "Happy birthday from Serenity Bcc: x: 15% off your next visit"


@pytest.mark.parametrize(
    ("incomplete", "missing"),
    [
        (replace(BIRTHDAY, discount_percent=None), "discount"),
        (replace(BIRTHDAY, code=None), "code"),
    ],
)
def test_a_birthday_email_without_its_discount_or_code_is_refused(
    incomplete: Content, missing: str
) -> None:
    with pytest.raises(ValueError, match=missing):
        render("birthday_reward", incomplete)
