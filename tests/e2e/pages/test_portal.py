"""The client portal in Chromium: the loyalty card fills with stars as the feed comes in through
Kafka, flips to the code when a milestone is reached and back when the code is used; Refer a
friend shows the link, the friends' stages and the credit.
"""

from __future__ import annotations

import pytest

from tests.e2e.pages.conftest import (
    REFERRAL_CODE,
    Browser,
    CardView,
    Site,
    refer_three_friends,
    registered,
    session,
)

pytestmark = pytest.mark.e2e

THIRD = {"session_count": 3, "message": "Thank you for your 3rd visit!", "discount_percent": 10}
SIXTH_HOUR = {
    "session_count": 6,
    "message": "Six full hours with us: enjoy 25% off your next one.",
    "discount_percent": 25,
    "min_minutes": 60,
}
LOYALTY_CODE = r"LOYAL-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}"


async def test_the_card_fills_with_stars_flips_to_the_code_and_back_when_it_is_used(
    site: Site, browser: Browser
) -> None:
    anna = await site.create_tenant("Serenity Massage", "serenity-portal")
    for milestone in (THIRD, SIXTH_HOUR):
        await site.api(anna, "POST", "/v1/loyalty/milestones", milestone)
    await site.api(
        anna,
        "PATCH",
        "/v1/referrals/settings",
        {
            "reward": {"amount": {"amount_minor": 1000, "currency": "GBP"}},
            "booking_page_url": "https://serenity.example/book",
        },
    )
    await site.publish(registered(anna, "ada"), session(anna, "ada", 0), session(anna, "ada", 1))

    # Ada opens the link the business sent her: the token goes into a cookie, out of the URL.
    browser.phone()
    token = await site.portal_token(anna, "ada")
    browser.open(f"/portal?token={token}")
    assert browser.path == "/portal"
    assert "token" not in browser.url
    cookie = browser.driver.get_cookie("starcard_portal")
    assert cookie is not None
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (True, "Lax", "/portal")
    assert browser.heading() == "Serenity Massage"
    gateway = site.processes[-1]
    assert "starcard_gateway" in gateway.module
    assert "/portal?token=[redacted]" in gateway.log(), "the access log shows no link"
    assert token not in gateway.log()

    def two_stars() -> CardView:
        card = browser.card()
        assert (card.state, card.stamped, card.empty) == ("stars", 2, 1), card
        return card

    card = await browser.until(two_stars)
    assert card.last_circle == "10% off"
    assert card.to_go == "1 more session to go"
    assert browser.text("[data-testid=total-stars]") == "2 stars"

    # Refer a friend: her link, on the studio's booking page, and a button to copy it.
    link = browser.one("#referral-link").get_attribute("value") or ""
    assert link.startswith("https://serenity.example/book?ref=")
    found = REFERRAL_CODE.search(link)
    assert found is not None
    copy = browser.one("[data-copy=referral-link]")
    assert copy.is_displayed()
    assert copy.accessible_name == "Copy your referral link"
    copy.click()
    await browser.until(
        lambda: _contains(browser.text("[data-copy-status=referral-link]"), "copied"),
        reload=False,
        within=5,
    )
    assert browser.texts("[data-testid=referral-list]") == []

    # Three friends follow the link; her third session reaches the milestone.
    await refer_three_friends(site, anna, found.group(1))
    await site.publish(session(anna, "ada", 2))

    def flipped_with_friends() -> str:
        card = browser.card()
        assert card.state == "code", card
        assert card.code is not None
        badges = browser.texts("[data-testid=referral-list] .badge")
        assert sorted(badges) == ["Booked", "Completed", "Invited"], badges
        assert browser.all("[data-testid=credit-banner]"), "no credit banner yet"
        return card.code

    code = await browser.until(flipped_with_friends)
    assert _matches(LOYALTY_CODE, code)
    assert browser.text("[data-testid=reward-face]").startswith("Reward unlocked 10% off")
    assert "Thank you for your 3rd visit!" in browser.text("[data-testid=reward-face]")
    assert browser.one(".card__front").get_attribute("aria-hidden") == "true"
    assert browser.text("[data-testid=credit-banner]") == (
        "You have £10.00 credit — it will be applied at your next booking"
    )
    colours = {
        badge.text.strip(): badge.get_attribute("class")
        for badge in browser.all("[data-testid=referral-list] .badge")
    }
    assert colours == {
        "Invited": "badge badge--red",
        "Booked": "badge badge--amber",
        "Completed": "badge badge--green",
    }
    browser.screenshot("portal-card-code.png")

    # At the till, the code is used: the card flips back to the stamps, toward the next reward.
    redeemed = await site.api(
        anna,
        "POST",
        "/v1/checkout/redeem",
        {
            "client_id": "ada",
            "code": code,
            "booking_id": "ada-till-1",
            "amount": {"amount_minor": 6000, "currency": "GBP"},
        },
    )
    assert redeemed["discount"] == {"amount_minor": 600, "currency": "GBP"}

    def flipped_back() -> CardView:
        card = browser.card()
        assert card.state == "stars", card
        return card

    card = await browser.until(flipped_back)
    assert (card.stamped, card.empty, card.code) == (3, 3, None)
    assert card.last_circle == "25% off"
    assert card.to_go == "3 more 60+ min sessions to go"
    assert browser.all("[data-testid=reward-face]") == []
    browser.screenshot("portal-card.png")
    site.assert_alive()


def _contains(text: str, part: str) -> str:
    assert part in text.lower(), text
    return text


def _matches(pattern: str, text: str) -> bool:
    import re  # noqa: PLC0415

    return re.fullmatch(pattern, text) is not None
