"""The client portal in Chromium: the loyalty card fills with stars as the feed comes in through
Kafka, flips to the code when a milestone is reached and back when the code is used; Refer a
friend shows the link, the friends' stages and the credit; Your offers shows the campaign codes
the client was sent, newest first, with a link to book.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from selenium.webdriver.common.by import By
from starcard_events import examples
from starcard_events.day_format import format_day

from tests.e2e.pages.conftest import (
    REFERRAL_CODE,
    Browser,
    CardView,
    Site,
    refer_three_friends,
    registered,
    session,
)
from tests.e2e.pages.test_campaigns import publish
from tests.support.campaigns import consuming_campaigns
from tests.support.stack import processed, publish_tick

pytestmark = pytest.mark.e2e

THIRD = {"session_count": 3, "message": "Thank you for your 3rd visit!", "discount_percent": 10}
SIXTH_HOUR = {
    "session_count": 6,
    "message": "Six full hours with us: enjoy 25% off your next one.",
    "discount_percent": 25,
    "min_minutes": 60,
}
LOYALTY_CODE = r"LOYAL-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}"
BOOK = "https://book.example.com/bloom"


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


async def test_the_portal_shows_the_offers_sent_newest_first_with_a_link_to_book(
    site: Site, browser: Browser
) -> None:
    """The campaigns service runs in the test, on the site's topics; the portal reads the wall
    clock, so the ticks are of yesterday and today."""
    today = datetime.now(UTC).date()
    yesterday = today - timedelta(days=1)
    if (yesterday.month, yesterday.day) == (2, 29):  # no anniversary of a day a year before
        yesterday -= timedelta(days=1)
    bloom = await site.create_tenant("Bloom Skin Studio", "bloom-portal-offers")
    for path, body in (
        ("settings", {"holdout_percent": 0}),
        ("birthday/settings", {"enabled": True, "discount_percent": 20, "valid_days": 30}),
        ("anniversary/settings", {"enabled": True, "discount_percent": 10, "valid_days": 30}),
    ):
        await site.api(bloom, "PATCH", f"/v1/campaigns/{path}", body)

    def midnight(day: date) -> datetime:
        return datetime.combine(day, datetime.min.time(), tzinfo=UTC)

    first_visit = midnight(yesterday.replace(year=yesterday.year - 1)) + timedelta(hours=10)
    async with consuming_campaigns(site.settings) as service:

        async def tick(day: date) -> None:
            await processed(
                service,
                await publish_tick(site.platform.producer, site.settings, bloom.tenant_id, day),
            )

        # Yesterday, the anniversary of Ada's first visit: the studio had no booking link yet.
        first = examples.appointment_completed(
            bloom.tenant_id, first_visit, booking_id="ada-first", client_id="ada"
        )
        await processed(service, await publish(site, first))
        await tick(yesterday)
        # Today, with the booking link set since, her birthday offer (her birthday is in 3 days).
        await site.api(bloom, "PATCH", "/v1/campaigns/settings", {"booking_url": BOOK})
        birthday = today + timedelta(days=3)
        ada = examples.client_registered(
            bloom.tenant_id,
            first_visit,
            client_id="ada",
            birthday={"month": birthday.month, "day": birthday.day},
        )
        await processed(service, await publish(site, ada))
        await tick(today)
        made = {offer.campaign: offer.terms for offer in service.offers(bloom.tenant_id, "ada")}
    codes = {campaign: terms.code for campaign, terms in made.items() if terms is not None}
    assert sorted(codes) == ["anniversary", "birthday"]

    browser.phone()
    browser.open(f"/portal?token={await site.portal_token(bloom, 'ada')}")
    assert browser.text("#offers-title") == "Your offers"
    offers = browser.all("[data-testid=portal-offer]")
    assert [each.get_attribute("data-campaign") for each in offers] == ["birthday", "anniversary"]
    assert browser.texts("[data-testid=portal-offer-name]") == ["Birthday", "Anniversary"]
    assert browser.texts("[data-testid=portal-offer-code]") == [
        codes["birthday"],
        codes["anniversary"],
    ]
    # 30 days from the day of issue, that day included.
    assert browser.texts("[data-testid=portal-offer-valid]") == [
        f"valid until {format_day(today + timedelta(days=29))}",
        f"valid until {format_day(yesterday + timedelta(days=29))}",
    ]
    assert "20% off your next visit" in offers[0].text
    # Only the birthday offer was sent with the booking link: one "Book now", to it.
    [book] = browser.all("[data-testid=portal-offer-book]")
    assert book.get_attribute("href") == BOOK
    assert book.accessible_name == "Book now: Birthday offer"
    assert offers[0].find_elements(By.CSS_SELECTOR, "[data-testid=portal-offer-book]") == [book]
    browser.screenshot("portal-offers.png")
    site.assert_alive()


def _contains(text: str, part: str) -> str:
    assert part in text.lower(), text
    return text


def _matches(pattern: str, text: str) -> bool:
    import re  # noqa: PLC0415

    return re.fullmatch(pattern, text) is not None
