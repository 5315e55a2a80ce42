"""Tiers in Chromium: Settings → Tiers switched on, a threshold saved (and refused, saying what to
fix), a tier added; a completed appointment lifting the client to VIP, shown on their profile
with what lifts them further and what keeps the tier; the dashboard's members by tier; and the
client's portal showing the tier badge and progress.

Every change made on a page is checked through the JSON API too.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from selenium.webdriver.common.by import By
from starcard_events import examples
from starcard_loyalty.domain.tier_settings import months_after

from tests.e2e.pages.conftest import Browser, Site, registered
from tests.e2e.pages.test_dashboard import notice, sign_in

pytestmark = pytest.mark.e2e


async def test_the_therapist_runs_tiers_and_the_client_sees_theirs(
    site: Site, browser: Browser
) -> None:
    anna = await site.create_tenant("Harbour Skin Clinic", "harbour-tiers")
    sign_in(browser, anna.api_key)

    # Settings → Tiers, from the navigation: three tiers, off until turned on.
    browser.navigating(browser.driver.find_element(By.LINK_TEXT, "Settings → Tiers").click)
    assert browser.heading() == "Settings → Tiers"
    assert browser.texts("[data-testid=tiers] tbody th .badge") == ["Regular", "VIP", "Elite"]
    assert not browser.one("#f-enabled").is_selected()
    browser.click("#f-enabled")
    browser.follow("[data-testid=tier-settings] button[type=submit]")
    assert notice(browser).startswith("Tier settings saved.")
    assert (await site.api(anna, "GET", "/v1/loyalty/tiers/settings"))["enabled"] is True

    # VIP's threshold: an amount that is not one is refused next to its field; £800 is saved.
    browser.follow("[data-tier=vip] a[aria-label='Edit the VIP tier']")
    assert browser.heading() == "Edit the VIP tier"
    assert browser.one("#f-entry").get_attribute("value") == "1000.00"
    browser.fill("#f-entry", "eight hundred")
    browser.follow("[data-testid=edit-tier] button[type=submit]")
    assert "Spend to reach it" in browser.text("#f-entry-error")
    assert browser.one("#f-entry").get_attribute("aria-invalid") == "true"
    browser.fill("#f-entry", "800")
    browser.follow("[data-testid=edit-tier] button[type=submit]")
    assert notice(browser).startswith("Tier saved.")
    assert browser.text("[data-tier=vip] [data-testid=tier-entry]") == "£800.00"

    # Two people: while this page is open, someone else changes the settings. Saving the page
    # would undo their change, so it is refused, saying to reload.
    browser.follow("[data-tier=vip] a[aria-label='Edit the VIP tier']")
    await site.api(anna, "PATCH", "/v1/loyalty/tiers/settings", {"warn_days": 21})
    browser.fill("#f-entry", "850")
    browser.follow("[data-testid=edit-tier] button[type=submit]")
    assert "changed by someone else" in browser.text("[role=alert]")
    settings = await site.api(anna, "GET", "/v1/loyalty/tiers/settings")
    assert settings["warn_days"] == 21
    assert settings["tiers"][1]["entry_minor"] == 80_000
    browser.navigating(browser.driver.find_element(By.LINK_TEXT, "Settings → Tiers").click)

    # A tier above Elite, with double points.
    add = "[data-testid=add-tier]"
    browser.fill(f"{add} #f-name", "Platinum")
    browser.fill(f"{add} #f-entry", "5000")
    browser.fill(f"{add} #f-points_multiplier", "2")
    browser.follow(f"{add} button[type=submit]")
    assert notice(browser) == "Tier added."
    settings = await site.api(anna, "GET", "/v1/loyalty/tiers/settings")
    assert [
        (t["tier_id"], t["entry_minor"], t["points_multiplier"]) for t in settings["tiers"]
    ] == [
        ("regular", 0, "1"),
        ("vip", 80_000, "1"),
        ("elite", 250_000, "1"),
        ("platinum", 500_000, "2"),
    ]
    browser.screenshot("settings-tiers.png")

    # Ada's facial (£900.00, paid by card) lifts her to VIP.
    done_at = datetime.now(UTC)
    await site.publish(
        registered(anna, "ada"),
        examples.appointment_completed(
            anna.tenant_id,
            done_at,
            booking_id="ada-tiers-1",
            client_id="ada",
            list_price_minor=90_000,
        ),
    )
    browser.open("/dashboard/clients/ada")

    def lifted() -> str:
        badge = browser.text("[data-testid=tier-badge]")
        assert badge == "VIP", badge
        return badge

    await browser.until(lifted)
    drops_on = months_after(done_at.date(), 12)
    secure_until = drops_on - timedelta(days=1)
    assert browser.text("[data-testid=tier-spend]") == "£900.00"
    assert browser.text("[data-testid=tier-progress]") == "£1,600.00 more to reach Elite."
    assert browser.text("[data-testid=tier-keep]") == (
        f"Secure until {secure_until.day} {secure_until:%B %Y}: drops on {drops_on.day} "
        f"{drops_on:%B %Y} unless £800.00 is spent."
    )
    assert browser.texts("[data-testid=tier-history] tbody td[data-label=Change]") == [
        "Up: Regular → VIP"
    ]

    # The dashboard counts her among VIP's members.
    browser.open("/dashboard")
    assert browser.text("[data-testid=tier-distribution] [data-tier=vip]") == "1"

    # The portal: her badge, what VIP gives, what more reaches Elite, and until when VIP is hers.
    browser.phone()
    browser.open(f"/portal?token={await site.portal_token(anna, 'ada')}")
    assert browser.text("[data-testid=portal-tier-badge]") == "VIP"
    assert browser.texts("[data-testid=portal-tier-benefits] li") == [
        "5% off treatments",
        "5% off products",
        "Priority booking",
    ]
    assert browser.text("[data-testid=portal-tier-progress]") == "£1,600.00 more to reach Elite"
    assert browser.text("[data-testid=portal-tier-secure]") == (
        f"Your VIP status is secure until {secure_until.day} {secure_until:%B %Y}. Spend "
        "£800.00 by then to keep it."
    )
    browser.screenshot("portal-tiers.png")
    site.assert_alive()
