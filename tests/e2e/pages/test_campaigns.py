"""Campaigns in Chromium: the booking link and the hold-out group set, the birthday campaign
switched on, re-engagement steps refused (saying what to fix) then saved; then, with the campaigns
service running on the site's topics, a birthday tick's offers and the bookings after them shown
as results, sent against held out, by month and by week, and downloaded as CSV.

Every change made on the page is checked through the JSON API too. The hold-out hash is stable:
for tenant ``harbour-campaigns`` and the 2026 birthdays, fay and gus are held out of four offers
sent to ada, bea, cal and dee. Time is the events' own: every date is fixed.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiokafka.structs import RecordMetadata
from selenium.webdriver.common.by import By
from starcard_events import examples
from starcard_events.topics import booking_key

from tests.e2e.pages.conftest import Browser, Site
from tests.e2e.pages.test_dashboard import notice, sign_in
from tests.support.campaigns import consuming_campaigns
from tests.support.gateway import TenantCaller
from tests.support.stack import processed, publish_tick

pytestmark = pytest.mark.e2e

TICK = date(2026, 3, 2)
SENT = ("ada", "bea", "cal", "dee")
HELD_OUT = ("fay", "gus")


def at(days: int) -> datetime:
    """10:00 UTC, `days` after the tick's day."""
    return datetime(TICK.year, TICK.month, TICK.day, 10, tzinfo=UTC) + timedelta(days=days)


def came_back(tenant: TenantCaller, client_id: str, paid: int) -> list[dict[str, Any]]:
    """The client books two days after the offer and comes in two days later."""
    booking = {"booking_id": f"{client_id}-back", "client_id": client_id, "starts_at": at(4)}
    return [
        examples.booking_created(tenant.tenant_id, at(2), **booking),
        examples.appointment_completed(tenant.tenant_id, at(4), **booking, list_price_minor=paid),
    ]


async def offers_and_bookings(site: Site, tenant: TenantCaller) -> None:
    """The campaigns service, in this test, on the site's database and topics: every client's
    birthday three days after the tick, the tick, then ada, bea and cal (sent) and fay (held
    out, walking in) come back."""
    async with consuming_campaigns(site.settings) as service:
        birthday = {"month": TICK.month, "day": TICK.day + 3}
        registered = [
            examples.client_registered(
                tenant.tenant_id, at(-30), client_id=client, birthday=birthday
            )
            for client in (*SENT, *HELD_OUT)
        ]
        await processed(service, *[await publish(site, event) for event in registered])
        tick = await publish_tick(site.platform.producer, site.settings, tenant.tenant_id, TICK)
        await processed(service, tick)
        back = [
            *came_back(tenant, "ada", 8000),
            *came_back(tenant, "bea", 5000),
            *came_back(tenant, "cal", 6000),
            examples.appointment_completed(
                tenant.tenant_id,
                at(5),
                booking_id="fay-walk-in",
                client_id="fay",
                list_price_minor=4500,
            ),
        ]
        await processed(service, *[await publish(site, event) for event in back])


async def publish(site: Site, event: dict[str, Any]) -> RecordMetadata:
    """A booking event, keyed as the platform keys it; where it landed."""
    return await site.platform.producer.send_and_wait(
        site.platform.topic,
        examples.encode(event),
        key=booking_key(event["tenant_id"], event["data"]["client_id"]),
    )


def results_row(browser: Browser) -> dict[str, str]:
    row = "[data-testid=campaign-results] tbody tr[data-campaign=birthday]"
    return {
        name: browser.text(f"{row} [data-testid={name}]")
        for name in (
            "sent-delivered",
            "sent-rebooked",
            "held-out-rebooked",
            "uplift",
            "sent-revenue",
            "sent-revenue-per-rebooked",
        )
    }


async def test_the_therapist_runs_campaigns_and_sees_them_against_the_hold_out_group(
    site: Site, browser: Browser
) -> None:
    harbour = await site.create_tenant("Harbour Glow Clinic", "harbour-campaigns")
    sign_in(browser, harbour.api_key)

    # Campaigns, from the navigation: no results yet, every campaign off.
    browser.navigating(browser.driver.find_element(By.LINK_TEXT, "Campaigns").click)
    assert browser.heading() == "Campaigns"
    assert browser.path == "/dashboard/campaigns"
    assert browser.one("[data-testid=no-results]").is_displayed()
    for campaign in ("birthday", "anniversary", "reengagement"):
        assert not browser.one(f"#f-{campaign}-enabled").is_selected()

    # What every campaign shares: an http link is refused, saying what it must be.
    shared = "[data-testid=shared-settings]"
    browser.fill("#f-shared-booking_url", "http://book.example.com/harbour")
    browser.fill("#f-shared-holdout_percent", "50")
    browser.follow(f"{shared} button[type=submit]")
    assert "booking_url must be the https address" in browser.text(f"{shared} [role=alert]")
    assert browser.one("#f-shared-holdout_percent").get_attribute("value") == "50"
    browser.fill("#f-shared-booking_url", "https://book.example.com/harbour")
    browser.follow(f"{shared} button[type=submit]")
    assert notice(browser).startswith("Campaign settings saved.")
    assert await site.api(harbour, "GET", "/v1/campaigns/settings") == {
        "booking_url": "https://book.example.com/harbour",
        "holdout_percent": 50,
        "attribution_days": 14,
    }

    # The birthday campaign, on, at 20% off.
    birthday = "[data-testid=birthday-settings]"
    browser.click("#f-birthday-enabled")
    browser.fill("#f-birthday-discount_percent", "20")
    browser.follow(f"{birthday} button[type=submit]")
    assert notice(browser).startswith("Birthday campaign saved.")
    settings = await site.api(harbour, "GET", "/v1/campaigns/birthday/settings")
    assert (settings["enabled"], settings["discount_percent"]) == (True, 20)

    # The anniversary gives a complimentary add-on: refused without its name, then saved.
    anniversary = "[data-testid=anniversary-settings]"
    browser.click("#f-anniversary-reward-add_on")
    browser.follow(f"{anniversary} button[type=submit]")
    assert "add_on" in browser.one(anniversary).text or "add-on" in browser.one(anniversary).text
    browser.click("#f-anniversary-reward-add_on")
    browser.fill("#f-anniversary-add_on", "Scalp massage, 15 min")
    browser.follow(f"{anniversary} button[type=submit]")
    assert notice(browser).startswith("Anniversary campaign saved.")
    settings = await site.api(harbour, "GET", "/v1/campaigns/anniversary/settings")
    assert (settings["reward"], settings["add_on"]) == ("add_on", "Scalp massage, 15 min")

    # Re-engagement: a category line that is not one is marked at its field; falling steps are
    # refused by the campaigns themselves; then saved, on.
    reengagement = "[data-testid=reengagement-settings]"
    browser.click("#f-reengagement-enabled")
    browser.fill("#f-reengagement-category_steps", "Injectables 100")
    browser.follow(f"{reengagement} button[type=submit]")
    assert "category = days" in browser.text("#f-reengagement-category_steps-error")
    assert browser.one("#f-reengagement-enabled").is_selected()  # as typed, not as stored
    browser.fill("#f-reengagement-steps_days", "90, 60")
    browser.fill("#f-reengagement-category_steps", "Injectables = 100, 130")
    browser.follow(f"{reengagement} button[type=submit]")
    assert "steps_days must be" in browser.text(f"{reengagement} [role=alert]")
    browser.fill("#f-reengagement-steps_days", "45, 75")
    browser.follow(f"{reengagement} button[type=submit]")
    assert notice(browser).startswith("Re-engagement campaign saved.")
    settings = await site.api(harbour, "GET", "/v1/campaigns/reengagement/settings")
    assert settings["enabled"] is True
    assert settings["steps_days"] == [45, 75]
    assert settings["category_steps"] == {"Injectables": [100, 130]}
    assert browser.one("#f-reengagement-category_steps").get_attribute("value") == (
        "Injectables = 100, 130"
    )

    # The birthday tick's offers, and who came back: 3 of the 4 sent, 1 of the 2 held out.
    await offers_and_bookings(site, harbour)
    browser.open("/dashboard/campaigns")
    assert browser.text("[data-testid=campaign-results] tbody th") == "Birthday"
    assert browser.text("[data-testid=campaign-results] [data-testid=cohort]") == "March 2026"
    assert results_row(browser) == {
        "sent-delivered": "0 of 4",
        "sent-rebooked": "3 of 4 (75%)",
        "held-out-rebooked": "1 of 2 (50%)",
        "uplift": "+25.0 points",
        "sent-revenue": "£190.00",
        "sent-revenue-per-rebooked": "£63.33",
    }
    browser.screenshot("dashboard-campaigns.png")

    # By week: the cohort is the week from Monday 2 March.
    browser.one("#f-period option[value=week]").click()
    browser.follow("#results button[type=submit]")
    assert browser.text("[data-testid=campaign-results] [data-testid=cohort]") == "2 March 2026"

    # The CSV download, with the page's own session.
    cookies = {each["name"]: each["value"] for each in browser.driver.get_cookies()}
    href = browser.one("[data-testid=results-csv]").get_attribute("href") or ""
    async with httpx.AsyncClient(cookies=cookies) as http:
        download = await http.get(href)
    assert download.status_code == 200, download.text
    header, row = csv.reader(io.StringIO(download.text))
    assert dict(zip(header, row, strict=True)) == {
        "campaign": "birthday",
        "cohort": "2026-03-02",
        "sent_offers": "4",
        "sent_delivered": "0",  # no notifier runs here to tell
        "sent_sms_delivered": "0",
        "sent_opened": "",
        "sent_rebooked": "3",
        "sent_rebooking_rate": "0.75",
        "sent_revenue": "£190.00",
        "sent_revenue_per_rebooked": "£63.33",
        "held_out_offers": "2",
        "held_out_delivered": "0",
        "held_out_sms_delivered": "0",
        "held_out_opened": "",
        "held_out_rebooked": "1",
        "held_out_rebooking_rate": "0.5",
        "held_out_revenue": "£45.00",
        "held_out_revenue_per_rebooked": "£45.00",
        "uplift_points": "25.0",
    }
