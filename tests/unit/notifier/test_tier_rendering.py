"""The tier emails: a change of tier, and the warning before a drop with what would keep it."""

from datetime import UTC, datetime

import pytest
from starcard_notifier.rendering import render

from .factories import PARTS, content, rendered_part

pytestmark = pytest.mark.unit

ENDING = content(
    message="Your VIP status ends on 2 March 2027 unless you spend £600.00 by then.",
    expires_at=datetime(2027, 3, 2, tzinfo=UTC),
)


@pytest.mark.parametrize("part", PARTS)
def test_the_warning_says_when_the_status_ends_and_what_keeps_it(part: str) -> None:
    body = rendered_part("tier_ending", ENDING, part)
    assert "Serenity Massage" in body
    assert "ends on 2 March 2027 unless you spend £600.00" in body


@pytest.mark.parametrize("part", PARTS)
def test_a_change_of_tier_says_the_new_tier(part: str) -> None:
    changed = content(message="Welcome to VIP: your spend with us reached £1,050.00.")
    assert "Welcome to VIP" in rendered_part("tier_changed", changed, part)


def test_the_subjects_name_the_business() -> None:
    assert render("tier_ending", ENDING).subject == "Your membership status at Serenity Massage"
    assert render("tier_changed", ENDING).subject == "Your membership at Serenity Massage"
