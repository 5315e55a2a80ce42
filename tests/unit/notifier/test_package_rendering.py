"""The package-expiry email: how many sessions of which package expire, and until when to book."""

from datetime import UTC, datetime

import pytest
from starcard_notifier.rendering import render

from .factories import PARTS, content, rendered_part

pytestmark = pytest.mark.unit

EXPIRING = content(
    message=(
        "2 sessions of your Facial x3 package expire on 10 March 2027. "
        "Book before then to use them."
    ),
    expires_at=datetime(2027, 3, 10, tzinfo=UTC),
)


@pytest.mark.parametrize("part", PARTS)
def test_the_reminder_says_which_sessions_expire_and_until_when_to_book(part: str) -> None:
    body = rendered_part("package_expiring", EXPIRING, part)

    assert "Serenity Massage" in body
    assert "2 sessions of your Facial x3 package expire on 10 March 2027" in body
    assert "Book before 10 March 2027" in body


@pytest.mark.parametrize("part", PARTS)
def test_the_reminder_without_a_day_still_says_the_sessions_are_paid_for(part: str) -> None:
    undated = content(message="2 sessions of your Facial x3 package expire soon.")

    body = rendered_part("package_expiring", undated, part)

    assert "2 sessions of your Facial x3 package expire soon." in body
    assert "already paid for" in body
    assert "Book before" not in body


def test_a_package_name_cannot_inject_markup_into_the_html() -> None:
    hostile = content(message="2 sessions of your <b>Facial</b> package expire soon.")

    html = render("package_expiring", hostile).html

    assert "<b>Facial</b>" not in html
    assert "&lt;b&gt;Facial&lt;/b&gt;" in html


def test_the_subject_says_the_package_sessions_at_the_business_expire_soon() -> None:
    subject = render("package_expiring", EXPIRING).subject

    assert subject == "Your package sessions at Serenity Massage expire soon"
