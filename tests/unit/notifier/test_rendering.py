"""The reward email: what the client reads, in the text part and the HTML part."""

from dataclasses import replace
from datetime import date
from email.message import EmailMessage

import pytest
from starcard_notifier.messages import compose
from starcard_notifier.rendering import last_day, render

from .factories import EXPIRES, NOTIFICATION_ID, PARTS, at, content, notification, rendered_part

pytestmark = pytest.mark.unit

REWARD = content(
    message="Thank you for your 5th visit!",
    discount_percent=10,
    code="LOYAL-7KQ2M9XD",
    expires_at=EXPIRES,
)


@pytest.mark.parametrize("part", PARTS)
def test_the_email_carries_the_tenant_message_code_discount_and_expiry(part: str) -> None:
    body = rendered_part("reward_issued", REWARD, part)

    assert "Serenity Massage" in body
    assert "Thank you for your 5th visit!" in body
    assert "LOYAL-7KQ2M9XD" in body
    assert "10% off your next booking" in body
    assert "valid until 24 November 2027" in body


def test_the_subject_thanks_the_client_in_the_tenants_name() -> None:
    assert render("reward_issued", REWARD).subject == "A thank-you from Serenity Massage"


def test_a_name_with_a_line_break_cannot_break_the_subject_header() -> None:
    broken = content(tenant_name="Serenity\r\nBcc: x", message="Hi")

    rendered = render("reward_issued", broken)

    assert rendered.subject == "A thank-you from Serenity Bcc: x"


def test_the_code_is_shown_big_and_in_a_monospace_font() -> None:
    html = render("reward_issued", REWARD).html
    code_line = next(line for line in html.splitlines() if "LOYAL-7KQ2M9XD" in line)

    assert "monospace" in code_line
    assert "font-size:32px" in code_line


@pytest.mark.parametrize("part", PARTS)
def test_a_reward_without_a_code_says_so(part: str) -> None:
    thanks = content(message="Thank you!")

    body = rendered_part("reward_issued", thanks, part)

    assert "There is no code to use this time" in body
    assert "off your next booking" not in body
    assert "valid until" not in body


def test_a_message_with_markup_is_escaped_in_the_html_part() -> None:
    sneaky = content(
        tenant_name="Serenity <b>Massage</b>",
        message="Thanks! <script>alert(1)</script>",
        discount_percent=10,
        code="LOYAL-7KQ2M9XD",
    )

    rendered = render("reward_issued", sneaky)

    assert "<script>" not in rendered.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered.html
    assert "&lt;b&gt;Massage&lt;/b&gt;" in rendered.html
    assert "Thanks! <script>alert(1)</script>" in rendered.text  # plain text is not HTML


def test_the_last_day_is_the_one_the_sender_named_else_the_date_of_the_expiry() -> None:
    given = content(message="Hi", expires_at=EXPIRES)

    assert last_day(given) == EXPIRES.date()
    assert last_day(replace(given, valid_until=date(2027, 11, 23))) == date(2027, 11, 23)
    assert last_day(replace(given, expires_at=None)) is None


def test_the_email_is_text_and_html_alternatives_with_a_deterministic_message_id() -> None:
    message = compose(
        notification(),
        to="ada@example.com",
        mail_from="Starcard <rewards@starcard.local>",
        at=at(5),
    )

    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    assert message["Message-ID"] == f"<{NOTIFICATION_ID}@starcard.local>"
    assert message["To"] == "ada@example.com"
    assert message["From"] == "Starcard <rewards@starcard.local>"
    assert message["Subject"] == "A thank-you from Serenity Massage"
    plain = message.get_body(preferencelist=("plain",))
    assert isinstance(plain, EmailMessage)
    assert "LOYAL-7KQ2M9XD" in plain.get_content()
