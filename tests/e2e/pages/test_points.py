"""Points in Chromium: Settings → Points saved (and refused, saying what to fix), a service bonus
added, a completed appointment earning points shown on the client's profile, an adjustment by
hand with its note, and the client's portal showing the balance and when points expire.

Every change made on a page is checked through the JSON API too.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from selenium.webdriver.common.by import By
from starcard_events import examples

from tests.e2e.pages.conftest import Browser, Site, registered
from tests.e2e.pages.test_dashboard import notice, sign_in

pytestmark = pytest.mark.e2e


async def test_the_therapist_runs_points_and_the_client_sees_them(
    site: Site, browser: Browser
) -> None:
    anna = await site.create_tenant("Harbour Aesthetics", "harbour-points")
    sign_in(browser, anna.api_key)

    # Settings → Points, from the navigation: off until turned on.
    browser.navigating(browser.driver.find_element(By.LINK_TEXT, "Settings → Points").click)
    assert browser.heading() == "Settings → Points"
    assert not browser.one("#f-enabled").is_selected()
    assert browser.one("#f-treatment_rate").get_attribute("value") == "1"

    # A rate with three decimals is refused next to its field; what was typed stays.
    form = "[data-testid=points-settings]"
    browser.click("#f-enabled")
    browser.fill("#f-treatment_rate", "1.555")
    browser.follow(f"{form} button[type=submit]")
    assert "Treatment rate" in browser.text("#f-treatment_rate-error")
    assert browser.one("#f-treatment_rate").get_attribute("aria-invalid") == "true"
    assert browser.one("#f-enabled").is_selected()

    # Fixed, with a category's own rate, expiry after a year, and redemption rules: saved.
    browser.fill("#f-treatment_rate", "1.5")
    browser.fill("#f-category_rates", "Injectables = 2")
    browser.click("#f-expiry-after_days")
    browser.fill("#f-expiry_days", "365")
    browser.fill("#f-min_redeem_points", "500")
    browser.fill("#f-max_bill_percent", "50")
    browser.follow(f"{form} button[type=submit]")
    assert notice(browser).startswith("Points settings saved.")
    saved = await site.api(anna, "GET", "/v1/loyalty/points/settings")
    assert {
        name: saved[name]
        for name in (
            "enabled",
            "treatment_rate",
            "category_rates",
            "expiry",
            "expiry_days",
            "min_redeem_points",
            "max_bill_percent",
        )
    } == {
        "enabled": True,
        "treatment_rate": "1.5",
        "category_rates": {"injectables": "2"},
        "expiry": "after_days",
        "expiry_days": 365,
        "min_redeem_points": 500,
        "max_bill_percent": 50,
    }

    # A service bonus: double points on the massage.
    bonus = "[data-testid=add-bonus]"
    browser.fill(f"{bonus} #f-bonus_id", "massage-double")
    browser.click("#f-applies-category")
    browser.fill(f"{bonus} #f-target", "massage")
    browser.fill(f"{bonus} #f-multiplier", "2")
    browser.follow(f"{bonus} button[type=submit]")
    assert notice(browser) == "Bonus added."
    assert browser.texts("[data-testid=service-bonuses] tbody th") == ["massage-double"]
    browser.screenshot("settings-points.png")

    # Ada's massage (£60.00, paid by card) earns 90 points and 90 more for the bonus.
    done_at = datetime.now(UTC)
    await site.publish(
        registered(anna, "ada"),
        examples.appointment_completed(
            anna.tenant_id, done_at, booking_id="ada-points-1", client_id="ada"
        ),
    )
    browser.open("/dashboard/clients/ada")

    def earned() -> str:
        balance = browser.text("[data-testid=points-balance]")
        assert balance == "180", balance
        return balance

    await browser.until(earned)
    expires_on = (done_at + timedelta(days=365)).date()
    expiry = f"180 points expire on {expires_on.day} {expires_on:%B %Y}."
    assert browser.text("[data-testid=points-expiry]") == expiry
    assert len(browser.all("[data-testid=points-history] tbody tr")) == 2

    # An adjustment needs its note; with one, it is made and kept with the movement.
    adjust = "[data-testid=adjust-points]"
    browser.fill(f"{adjust} #f-points", "20")
    browser.driver.execute_script(
        "document.querySelector('#f-note').removeAttribute('required')"
    )  # what the browser would stop, the server refuses too
    browser.follow(f"{adjust} button[type=submit]")
    assert "Note" in browser.text("#f-note-error")
    browser.fill(f"{adjust} #f-note", "Goodwill: we started late")
    browser.follow(f"{adjust} button[type=submit]")
    assert notice(browser).startswith("Points adjusted.")

    def adjusted() -> str:
        balance = browser.text("[data-testid=points-balance]")
        assert balance == "200", balance
        return balance

    await browser.until(adjusted)
    assert "Goodwill: we started late" in browser.text("[data-testid=points-history]")

    # The portal: the balance, when points expire, and the history (without the note).
    browser.phone()
    browser.open(f"/portal?token={await site.portal_token(anna, 'ada')}")
    assert browser.text("[data-testid=portal-points-balance]") == "200"
    assert browser.text("[data-testid=portal-points-expiry]").startswith(
        f"200 points expire on {expires_on.day} {expires_on:%B %Y}."
    )
    history = browser.text("[data-testid=portal-points-history]")
    assert "Adjusted by the business" in history
    assert "Goodwill" not in history
    browser.screenshot("portal-points.png")
    site.assert_alive()
