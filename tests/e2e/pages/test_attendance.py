"""A studio's attendance milestones on the dashboard, in Chromium: what counts, the automations,
the class check-in screen's count ("including this one"), a client's count, tags and original
milestone, as bookings and check-ins come in through Kafka.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from starcard_events import examples

from tests.e2e.pages.conftest import NOW, Browser, Site, registered
from tests.e2e.pages.test_dashboard import notice, sign_in
from tests.support.gateway import TenantCaller

pytestmark = pytest.mark.e2e


def booked(tenant: TenantCaller, client: str, booking: str, day: int) -> dict[str, Any]:
    return examples.booking_created(
        tenant.tenant_id,
        NOW - timedelta(days=10 - day),
        booking_id=booking,
        client_id=client,
        service_kind="group_class",
        service_name="Vinyasa flow",
    )


def checked_in(tenant: TenantCaller, client: str, booking: str, day: int) -> dict[str, Any]:
    """A ``ClientCheckedIn``: the client showed up to the class they booked."""
    return {
        "event_id": str(uuid.uuid4()),
        "type": "ClientCheckedIn",
        "schema_version": examples.SCHEMA_VERSION,
        "occurred_at": (NOW - timedelta(days=10 - day, minutes=-5)).isoformat(),
        "tenant_id": tenant.tenant_id,
        "data": {"booking_id": booking, "client_id": client, "class_id": f"class-{booking}"},
    }


def add_automation(
    browser: Browser, count: int, message: str = "", reward: str = "", tag: str = ""
) -> None:
    form = "[data-testid=add-automation]"
    browser.fill(f"{form} #f-count", str(count))
    browser.fill(f"{form} #f-discount_percent", reward)
    browser.fill(f"{form} #f-tag", tag)
    browser.fill(f"{form} #f-message", message)
    browser.follow(f"{form} button[type=submit]")


async def test_a_studio_counts_classes_and_celebrates_at_check_in(
    site: Site, browser: Browser
) -> None:
    lotus = await site.create_tenant("Lotus Yoga", "lotus-attendance")
    sign_in(browser, lotus.api_key)
    browser.follow("nav a[href='/dashboard/settings/attendance']")
    assert browser.heading() == "Settings → Attendance"

    # What counts: only checked-in clients, group classes and appointments.
    form = "[data-testid=attendance-counting]"
    for kind in ("group_class", "appointment", "video"):
        if browser.one(f"#f-kind_{kind}").is_selected():
            browser.click(f"#f-kind_{kind}")
    browser.follow(f"{form} button[type=submit]")
    assert "at least one kind" in browser.text("[role=alert]")
    browser.click("#f-source-check_ins")
    browser.click("#f-kind_group_class")
    browser.click("#f-kind_appointment")
    browser.follow(f"{form} button[type=submit]")
    assert notice(browser).startswith("What counts is saved.")
    assert browser.one("#f-source-check_ins").is_selected()
    assert not browser.one("#f-kind_video").is_selected()
    assert await site.api(lotus, "GET", "/v1/loyalty/settings/attendance") == {
        "source": "check_ins",
        "kinds": ["group_class", "appointment"],
    }

    # Automations: a tag at the 3rd class; a reward needs its email.
    add_automation(
        browser, 3, "Three classes: thank you for practising with us!", tag="three-classes"
    )
    assert notice(browser) == "Automation added. It is active."
    add_automation(browser, 10, reward="15")
    assert "write the message too" in browser.text("[role=alert]")
    browser.fill("[data-testid=add-automation] #f-message", "Ten classes! 15% off your next.")
    browser.follow("[data-testid=add-automation] button[type=submit]")
    assert browser.texts("[data-testid=automations] tbody th") == ["3rd class", "10th class"]
    tenth = "button[aria-label='Active: 10th class']"
    browser.follow(tenth)
    assert browser.one(tenth).get_attribute("aria-checked") == "false"
    browser.follow(tenth)
    assert browser.one(tenth).get_attribute("aria-checked") == "true"

    # Ada booked three classes and came to two of them.
    await site.publish(
        registered(lotus, "ada"),
        *(booked(lotus, "ada", f"gc-{n}", n) for n in (1, 2, 3)),
        checked_in(lotus, "ada", "gc-1", 1),
        checked_in(lotus, "ada", "gc-2", 2),
    )

    # At the third class's check-in, her count already includes it: the 3rd-class milestone.
    browser.follow("nav a[href='/dashboard/check-in']")
    browser.fill("#f-client_id", "ada")
    browser.fill("#f-booking_id", "gc-3")
    browser.follow("[data-testid=check-in-lookup] button[type=submit]")

    def counted() -> str:
        assert browser.text("[data-testid=count]") == "3"
        assert browser.one("[data-testid=including]").text == "including this one"
        return browser.text("[data-testid=next-milestone]")

    upcoming = await browser.until(counted)
    assert upcoming == "Milestone! This is their 3rd class: the 3rd-class automation fires."
    tooltip = browser.one("#tip-this-class")
    assert not tooltip.is_displayed()
    ActionChains(browser.driver).move_to_element(browser.one("[data-testid=including]")).perform()
    await browser.until(lambda: tooltip.is_displayed() or None, reload=False, within=3)
    assert tooltip.text == "Includes this class"
    assert (
        browser.one("[data-testid=including]").get_attribute("aria-describedby") == "tip-this-class"
    )

    # She checks in: the automation fires and tags her; her profile shows it.
    await site.publish(checked_in(lotus, "ada", "gc-3", 3))
    browser.open("/dashboard/clients/ada")

    def tagged() -> list[str]:
        assert browser.text("[data-testid=attendance-total]") == "3 classes"
        tags = browser.texts("#main .tag")
        assert tags == ["three-classes"], tags
        return tags

    await browser.until(tagged)
    assert "3rd class" in browser.text("#attendance-title + p + p")

    # She practised 49 classes before the studio used Starcard: 52 in all.
    browser.fill("#f-original", "49")
    browser.follow("[data-testid=original-count] button[type=submit]")
    assert notice(browser) == "Original milestone saved."

    def with_history() -> str:
        assert browser.text("[data-testid=attendance-total]") == "52 classes"
        return browser.text("[data-testid=attendance-total]")

    await browser.until(with_history)

    # The tag is a segment.
    browser.navigating(browser.driver.find_element(By.LINK_TEXT, "three-classes").click)
    assert browser.heading() == "Segment three-classes"
    assert browser.texts(".segment-list a") == ["ada"]
    site.assert_alive()
