"""The points-expiry email: how many points expire, on which day, and how to use them."""

from datetime import UTC, datetime
from typing import get_args

import pytest
from starcard_events.notifications import NoticeKind
from starcard_notifier.rendering import SUBJECTS, render

from .factories import EXPIRES, PARTS, content, rendered_part

pytestmark = pytest.mark.unit

EXPIRING = content(
    message="120 of your points expire on 1 March 2027. Book before then to use them.",
    expires_at=datetime(2027, 3, 1, tzinfo=UTC),
)


@pytest.mark.parametrize("part", PARTS)
def test_the_notice_says_how_many_points_expire_and_until_when_to_use_them(part: str) -> None:
    body = rendered_part("points_expiring", EXPIRING, part)

    assert "Serenity Massage" in body
    assert "120 of your points expire on 1 March 2027" in body
    assert "Use them before 1 March 2027" in body


def test_the_subject_says_the_points_at_the_business_expire_soon() -> None:
    subject = render("points_expiring", EXPIRING).subject

    assert subject == "Your points at Serenity Massage expire soon"
    assert SUBJECTS["points_expiring"] == "Your points at {tenant_name} expire soon"


def test_every_kind_of_notice_has_a_subject_and_both_templates() -> None:
    assert set(SUBJECTS) == set(get_args(NoticeKind))
    for kind in SUBJECTS:
        rendered = render(
            kind,
            content(
                message="Hello", discount_percent=10, code="LOYAL-7KQ2M9XD", expires_at=EXPIRES
            ),
        )
        assert rendered.subject
        assert rendered.text.strip()
        assert rendered.html.strip()
