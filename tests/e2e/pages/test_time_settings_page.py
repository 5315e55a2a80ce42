"""Settings → Time in Chromium: the business's time zone and quiet hours, shown as they are (UTC,
quiet from 21:00 to 09:00, for a new business); a zone that is no place and a time that is not
one refused beside their fields, what was typed kept; then saved, and quiet hours turned off.

Every change made on the page is checked through the JSON API too.
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.e2e.pages.conftest import Browser, Site
from tests.e2e.pages.test_dashboard import notice, sign_in

pytestmark = pytest.mark.e2e

SETTINGS = "/v1/settings/time"


def value(browser: Browser, css: str) -> str | None:
    return browser.one(css).get_attribute("value")


async def test_the_therapist_sets_the_business_time_zone_and_quiet_hours(
    site: Site, browser: Browser
) -> None:
    anna = await site.create_tenant("Harbour Skin Clinic", "harbour-time-settings")
    sign_in(browser, anna.api_key)

    # Settings → Time, from the navigation: UTC, quiet from 21:00 to 09:00.
    browser.navigating(browser.driver.find_element(By.LINK_TEXT, "Settings → Time").click)
    assert browser.heading() == "Settings → Time"
    assert value(browser, "#f-time_zone") == "UTC"
    assert browser.one("#f-quiet_hours").is_selected()
    assert (value(browser, "#f-quiet_start"), value(browser, "#f-quiet_end")) == ("21:00", "09:00")

    # A zone that is no place and a time written another way: each refused beside its field.
    browser.fill("#f-time_zone", "Mars/Base")
    browser.fill("#f-quiet_start", "10pm")
    browser.follow("[data-testid=time-settings] button[type=submit]")
    assert browser.text("#f-time_zone-error") == (
        "time_zone must be an IANA time zone such as Europe/London (got 'Mars/Base')."
    )
    assert browser.text("#f-quiet_start-error").startswith("quiet_hours.start must be a local")
    assert value(browser, "#f-time_zone") == "Mars/Base"
    assert await site.api(anna, "GET", SETTINGS) == {
        "time_zone": "UTC",
        "quiet_hours": {"start": "21:00", "end": "09:00"},
    }

    browser.fill("#f-time_zone", "Europe/London")
    browser.fill("#f-quiet_start", "22:00")
    browser.fill("#f-quiet_end", "08:30")
    browser.follow("[data-testid=time-settings] button[type=submit]")
    assert notice(browser) == "Time settings saved. They apply from your next day."
    assert value(browser, "#f-time_zone") == "Europe/London"
    assert await site.api(anna, "GET", SETTINGS) == {
        "time_zone": "Europe/London",
        "quiet_hours": {"start": "22:00", "end": "08:30"},
    }
    browser.screenshot("settings-time.png")

    # No quiet hours: messages go as soon as the day's tick decides them.
    browser.click("#f-quiet_hours")
    browser.follow("[data-testid=time-settings] button[type=submit]")
    assert not browser.one("#f-quiet_hours").is_selected()
    assert await site.api(anna, "GET", SETTINGS) == {
        "time_zone": "Europe/London",
        "quiet_hours": None,
    }
