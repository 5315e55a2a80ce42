"""The referral emails: the welcome to the referred client, the credit to the referrer, and the
alert to the business, in the text part and the HTML part."""

from dataclasses import replace

import pytest
from starcard_notifier.domain.notification import Content, Notification
from starcard_notifier.messages import compose
from starcard_notifier.rendering import discount, render

from .factories import EXPIRES, PARTS, at, content, referral_alert_request, rendered_part

pytestmark = pytest.mark.unit

WELCOME = content(
    client_id="client-2",
    message="Your friend thought you would like it here.",
    discount_amount_minor=1000,
    currency="GBP",
    code="REF-7KQ2M9XD",
    expires_at=EXPIRES,
)

CREDIT = content(
    message="Your friend came for their first session.",
    discount_amount_minor=1250,
    currency="USD",
)

ALERT = content(
    message="Client client-1 referred client client-2, who completed their first session.",
    discount_amount_minor=1000,
    currency="EUR",
)


@pytest.mark.parametrize("part", PARTS)
def test_the_welcome_gives_the_discount_the_code_its_expiry_and_says_use_it_once(
    part: str,
) -> None:
    body = rendered_part("referral_welcome", WELCOME, part)

    assert "Welcome to Serenity Massage: here is £10.00 off your first session" in body
    assert "Your friend thought you would like it here." in body
    assert "REF-7KQ2M9XD" in body
    assert "valid until 24 November 2027" in body
    assert "Use it once" in body


def test_the_welcome_subject_names_the_tenant_and_the_discount() -> None:
    subject = render("referral_welcome", WELCOME).subject

    assert subject == "Welcome to Serenity Massage: £10.00 off your first session"


@pytest.mark.parametrize("part", PARTS)
def test_a_welcome_may_take_a_percentage_off(part: str) -> None:
    percent = replace(WELCOME, discount_percent=10, discount_amount_minor=None, currency=None)

    body = rendered_part("referral_welcome", percent, part)

    assert "here is 10% off your first session" in body


@pytest.mark.parametrize("part", PARTS)
def test_the_credit_says_how_much_where_and_when_it_applies_and_thanks(part: str) -> None:
    body = rendered_part("referral_credit", CREDIT, part)

    assert "$12.50 credit" in body
    assert "added to your account at Serenity Massage" in body
    assert "It will be applied at your next booking." in body
    assert "Thank you for referring a friend." in body
    assert "Your friend came for their first session." in body


def test_the_credit_subject_names_the_amount_and_the_tenant() -> None:
    assert render("referral_credit", CREDIT).subject == "$12.50 credit from Serenity Massage"


@pytest.mark.parametrize("part", PARTS)
def test_the_alert_tells_the_business_the_referral_and_the_suggested_reward(part: str) -> None:
    body = rendered_part("referral_alert", ALERT, part)

    assert "A referral earned a reward" in body
    assert "Client client-1 referred client client-2" in body
    assert "client-1" in body
    assert "Suggested reward" in body
    assert "€10.00" in body


def test_the_alert_subject_names_the_referring_client_by_id() -> None:
    assert render("referral_alert", ALERT).subject == "Referral reward due: client-1"


@pytest.mark.parametrize("part", PARTS)
def test_an_alert_without_a_suggested_reward_leaves_it_out(part: str) -> None:
    bare = replace(ALERT, discount_amount_minor=None, currency=None)

    body = rendered_part("referral_alert", bare, part)

    assert "A referral earned a reward" in body
    assert "Suggested reward" not in body


@pytest.mark.parametrize(
    ("kind", "content"),
    [("referral_welcome", WELCOME), ("referral_credit", CREDIT), ("referral_alert", ALERT)],
)
def test_the_tenants_name_and_message_are_escaped_in_the_html_part(
    kind: str, content: Content
) -> None:
    sneaky = replace(
        content,
        tenant_name="Serenity <b>Massage</b>",
        message="Hi <script>alert(1)</script>",
        client_id="client-<i>1</i>",
    )

    rendered = render(kind, sneaky)

    assert "<b>" not in rendered.html
    assert "<script>" not in rendered.html
    assert "<i>" not in rendered.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered.html
    assert "Hi <script>alert(1)</script>" in rendered.text  # plain text is not HTML


@pytest.mark.parametrize(
    ("kind", "content"),
    [("referral_welcome", WELCOME), ("referral_credit", CREDIT), ("referral_alert", ALERT)],
)
def test_a_name_with_a_line_break_cannot_break_the_subject_header(
    kind: str, content: Content
) -> None:
    broken = replace(content, tenant_name="Serenity\r\nBcc: x", client_id="client-1\r\nBcc: y")

    subject = render(kind, broken).subject

    assert "\r" not in subject
    assert "\n" not in subject


@pytest.mark.parametrize(
    ("kind", "content", "missing"),
    [
        ("referral_welcome", replace(WELCOME, discount_amount_minor=None), "discount"),
        ("referral_welcome", replace(WELCOME, code=None), "code"),
        ("referral_credit", replace(CREDIT, currency=None), "discount"),
    ],
)
def test_a_referral_email_without_what_it_is_about_is_refused(
    kind: str, content: Content, missing: str
) -> None:
    with pytest.raises(ValueError, match=missing):
        render(kind, content)


def test_a_kind_without_templates_is_refused() -> None:
    with pytest.raises(ValueError, match="no templates"):
        render("birthday", WELCOME)


def test_a_percentage_is_the_discount_when_a_request_carries_both() -> None:
    assert discount(replace(WELCOME, discount_percent=15)) == "15%"


def test_the_alert_email_is_composed_from_the_notification() -> None:
    alert = Notification.request(referral_alert_request())

    message = compose(alert, to="owner@serenity.example", mail_from="Starcard <r@s>", at=at(5))

    assert message["Subject"] == "Referral reward due: client-1"
    assert message["To"] == "owner@serenity.example"
