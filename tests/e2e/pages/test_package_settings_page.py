"""Settings → Packages in Chromium: a package added on the page (a price that is not one refused
next to its field first) and listed with its price per session and its saving against single
sessions; one edited, one taken off sale; the refund policy and reminder saved, and refused when
someone changed the settings since the page was opened.

Every change made on the page is checked through the JSON API too.
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.e2e.pages.conftest import Browser, Site
from tests.e2e.pages.test_dashboard import notice, sign_in

pytestmark = pytest.mark.e2e

SETTINGS = "/v1/settings/packages"


async def test_the_therapist_sets_up_the_packages_the_clinic_sells(
    site: Site, browser: Browser
) -> None:
    anna = await site.create_tenant("Harbour Skin Clinic", "harbour-package-settings")
    sign_in(browser, anna.api_key)

    # Settings → Packages, from the navigation: nothing is sold yet.
    browser.navigating(browser.driver.find_element(By.LINK_TEXT, "Settings → Packages").click)
    assert browser.heading() == "Settings → Packages"
    assert browser.text("[data-testid=no-packages]").startswith("No packages yet")

    # Three facials for £270.00, where one costs £100.00, valid 180 days; a price that is not
    # an amount is refused next to its field, and what was typed stays.
    add = "[data-testid=add-package]"
    browser.fill(f"{add} #f-name", "Three facials")
    browser.fill(f"{add} #f-categories", "facials")
    browser.fill(f"{add} #f-sessions", "3")
    browser.fill(f"{add} #f-price", "two hundred")
    browser.fill(f"{add} #f-single_session_price", "100")
    browser.fill(f"{add} #f-validity_days", "180")
    browser.follow(f"{add} button[type=submit]")
    assert "Package price: an amount in GBP" in browser.text(f"{add} #f-price-error")
    assert browser.one(f"{add} #f-name").get_attribute("value") == "Three facials"
    browser.fill(f"{add} #f-price", "270")
    browser.follow(f"{add} button[type=submit]")
    assert notice(browser) == "Package added. It is on sale."

    row = "[data-package=three-facials]"
    assert browser.text(f"{row} [data-testid=package-covers]") == "facials"
    assert browser.text(f"{row} [data-testid=package-sessions]") == "3"
    assert browser.text(f"{row} [data-testid=package-price]") == "£270.00"
    assert browser.text(f"{row} [data-testid=package-per-session]") == "£90.00"
    assert browser.text(f"{row} [data-testid=package-saving]") == (
        "£30.00 on 3 single sessions at £100.00"
    )
    assert browser.text(f"{row} [data-testid=package-validity]") == "180 days from purchase"
    (facials,) = (await site.api(anna, "GET", SETTINGS))["catalogue"]
    assert (facials["package_id"], facials["price_minor"], facials["saving_minor"]) == (
        "three-facials",
        27_000,
        3_000,
    )

    # Ten massages, valid a year from the first one, with no single price to compare.
    browser.fill(f"{add} #f-name", "Ten massages")
    browser.fill(f"{add} #f-service_ids", "deep-tissue-60, swedish-60")
    browser.fill(f"{add} #f-sessions", "10")
    browser.fill(f"{add} #f-price", "600")
    browser.fill(f"{add} #f-validity_days", "365")
    browser.click(f"{add} #f-valid_from-first_use")
    browser.fill(f"{add} #f-bonus_points", "500")
    browser.follow(f"{add} button[type=submit]")
    massages = "[data-package=ten-massages]"
    assert browser.text(f"{massages} [data-testid=package-saving]") == "\N{EN DASH}"
    assert browser.text(f"{massages} [data-testid=package-validity]") == (
        "365 days from the first session"
    )
    browser.screenshot("settings-packages.png")

    # The facials' price edited on their own page: dearer than three singles is refused,
    # saying why; £255.00 is saved.
    browser.follow(f"{row} a[aria-label='Edit the Three facials package']")
    assert browser.heading() == "Edit the Three facials package"
    assert browser.one("#f-price").get_attribute("value") == "270.00"
    browser.fill("#f-price", "350")
    browser.follow("[data-testid=edit-package] button[type=submit]")
    assert "its price is more than 3 single sessions" in browser.text("[role=alert]")
    browser.fill("#f-price", "255")
    browser.follow("[data-testid=edit-package] button[type=submit]")
    assert notice(browser).startswith("Package saved.")
    assert browser.text(f"{row} [data-testid=package-saving]").startswith("£45.00")

    # The massages taken off sale: still listed, no longer sold.
    browser.follow(f"{massages} button[role=switch]")
    assert notice(browser).startswith("Package no longer sold")
    assert browser.one(f"{massages} button[role=switch]").get_attribute("aria-checked") == "false"
    catalogue = (await site.api(anna, "GET", SETTINGS))["catalogue"]
    assert [(each["package_id"], each["active"]) for each in catalogue] == [
        ("three-facials", True),
        ("ten-massages", False),
    ]

    # Refunds less the sessions used, a week's reminder; then, while the page is open,
    # someone else changes the settings: saving it would undo their change, so it is refused.
    browser.click("#f-refund_policy-less_sessions_used")
    browser.fill("#f-reminder_days", "7")
    browser.follow("[data-testid=package-settings] button[type=submit]")
    assert notice(browser).startswith("Package settings saved.")
    settings = await site.api(anna, "GET", SETTINGS)
    assert (settings["refund_policy"], settings["reminder_days"]) == ("less_sessions_used", 7)
    await site.api(anna, "DELETE", f"{SETTINGS}/catalogue/ten-massages")
    browser.fill("#f-reminder_days", "")
    browser.follow("[data-testid=package-settings] button[type=submit]")
    assert "changed by someone else" in browser.text("[role=alert]")
    assert (await site.api(anna, "GET", SETTINGS))["reminder_days"] == 7
    site.assert_alive()
