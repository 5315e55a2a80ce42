"""The therapist's dashboard in Chromium: signing in with the API key, Settings → Loyalty (the
counting toggle, milestones added, edited, switched off and on, deleted; who is earning stars),
a client's profile, Settings → Referrals and the overview's referral summary.

Every change made on a page is checked through the JSON API too: the pages and the API are one
programme.
"""

from __future__ import annotations

import base64

import pytest
from selenium.webdriver.common.by import By

from tests.e2e.pages.conftest import (
    REFERRAL_CODE,
    Browser,
    Site,
    refer_three_friends,
    registered,
    session,
)
from tests.support.gateway import TenantCaller

pytestmark = pytest.mark.e2e


def add_milestone(
    browser: Browser, session_count: int, message: str, discount: str = "", minimum: str = "0"
) -> None:
    form = "[data-testid=add-milestone]"
    browser.fill(f"{form} #f-session_count", str(session_count))
    browser.fill(f"{form} #f-discount_percent", discount)
    browser.fill(f"{form} #f-min_minutes", minimum)
    browser.fill(f"{form} #f-message", message)
    browser.follow(f"{form} button[type=submit]")


def milestone_rows(browser: Browser) -> list[str]:
    return browser.texts("#milestones tbody tr th")


def notice(browser: Browser) -> str:
    return browser.text(".notice--done")


def sign_in(browser: Browser, api_key: str) -> None:
    browser.open("/dashboard")
    assert browser.path == "/dashboard/login"
    browser.fill("#f-api_key", api_key)
    browser.follow("form button[type=submit]")


async def test_the_therapist_runs_loyalty_and_referrals_from_the_dashboard(
    site: Site, browser: Browser
) -> None:
    anna = await site.create_tenant("Harbour Massage", "harbour-dashboard")

    # Signing in: a wrong key is refused on the page; the right one opens the dashboard.
    sign_in(browser, "sc_000000000000_not-a-key")
    assert "not valid" in browser.text("[role=alert]")
    assert browser.one("#f-api_key").get_attribute("aria-invalid") == "true"
    browser.fill("#f-api_key", anna.api_key)
    browser.follow("form button[type=submit]")
    assert (browser.path, browser.heading()) == ("/dashboard", "Dashboard")
    cookie = browser.driver.get_cookie("starcard_dashboard")
    assert cookie is not None
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (
        True,
        "Strict",
        "/dashboard",
    )
    assert anna.api_key not in browser.driver.page_source
    # The cookie is signed, not encrypted: it names the key, it never carries its secret.
    secret = anna.api_key.rsplit("_", 1)[1]
    assert secret not in base64.urlsafe_b64decode(cookie["value"].split(".")[1] + "==").decode()

    # Settings → Loyalty: the counting toggle at the top.
    browser.navigating(browser.driver.find_element(By.LINK_TEXT, "Settings → Loyalty").click)
    assert browser.heading() == "Settings → Loyalty"
    switch = "[data-testid=counting-switch]"
    assert browser.one(switch).get_attribute("aria-checked") == "false"
    assert browser.one(switch).accessible_name == "Count membership and package sessions"
    browser.follow(switch)
    assert browser.one(switch).get_attribute("aria-checked") == "true"
    assert notice(browser) == "Membership and package sessions now count toward stars."
    assert (await site.api(anna, "GET", "/v1/loyalty/settings"))["count_discounted_sessions"]

    # Milestones: added, one with a minimum length (the amber pill), a clash refused.
    add_milestone(browser, 5, "Thank you for your 5th visit!", discount="10")
    assert notice(browser) == "Milestone added. It is active."
    add_milestone(browser, 10, "Ten hours of care: 25% off.", discount="25", minimum="60")
    add_milestone(browser, 2, "Lovely to see you again.")
    assert milestone_rows(browser) == ["2nd session", "5th session", "10th session 60+ min"]
    assert browser.texts("#milestones .pill--amber") == ["60+ min"]
    add_milestone(browser, 10, "Again?", discount="20", minimum="60")
    assert "already fires at session 10" in browser.text("[role=alert]")
    assert browser.one("#f-message").get_attribute("value") == "Again?"  # kept to fix

    # Edited, switched off and on again, and deleted.
    browser.follow("a[aria-label='Edit the 5th session milestone']")
    assert browser.heading() == "Edit the 5th-session milestone"
    browser.fill("#f-message", "Five visits: thank you!")
    browser.follow("main form button[type=submit]")
    assert notice(browser) == "Milestone saved."
    assert "Five visits: thank you!" in browser.texts("#milestones td.table__message")
    tenth = "button[aria-label='Active: 10th session (60+ min)']"
    browser.follow(tenth)
    assert browser.one(tenth).get_attribute("aria-checked") == "false"
    browser.follow(tenth)
    assert browser.one(tenth).get_attribute("aria-checked") == "true"
    browser.click("summary[aria-label='Delete the 2nd session milestone']")
    browser.follow("tr:first-child .confirm__body button[type=submit]")
    assert notice(browser) == "Milestone deleted."
    assert milestone_rows(browser) == ["5th session", "10th session 60+ min"]
    listed = (await site.api(anna, "GET", "/v1/loyalty/milestones"))["data"]
    assert [(m["session_count"], m["message"], m["min_minutes"], m["active"]) for m in listed] == [
        (5, "Five visits: thank you!", 0, True),
        (10, "Ten hours of care: 25% off.", 60, True),
    ]

    # The feed comes in: every client with their stars, most loyal first, a reward flagged.
    await site.publish(
        registered(anna, "ada"),
        *(session(anna, "ada", n) for n in range(6)),
        registered(anna, "ben"),
        session(anna, "ben", 0),
        session(anna, "ben", 1, payment_method="package"),
        registered(anna, "cy"),
        session(anna, "cy", 0, minutes=30),
    )

    def everyone_listed() -> list[tuple[str, str, bool]]:
        rows = [
            (
                row.get_attribute("data-client") or "",
                row.find_element(By.CSS_SELECTOR, "[data-stars]").text,
                "is-flagged" in (row.get_attribute("class") or ""),
            )
            for row in browser.all("[data-testid=loyal-clients] tbody tr")
        ]
        assert rows == [("ada", "6", True), ("ben", "2", False), ("cy", "1", False)], rows
        return rows

    await browser.until(everyone_listed)
    browser.screenshot("settings-loyalty.png")

    # Ada's profile: her sessions and the stars pill; her referrals with their badges.
    await refer_three_friends(site, anna, await referral_code(site, anna, "ada"))
    browser.follow("[data-testid=loyal-clients] a[href='/dashboard/clients/ada']")
    assert browser.heading() == "ada"
    assert browser.text("[data-testid=session-count]") == "6 sessions"
    assert browser.text("[data-testid=stars-pill]") == "6 stars"

    def referrals_shown() -> list[str]:
        stages = browser.texts("[data-testid=client-referrals] .badge")
        assert sorted(stages) == ["Booked", "Completed", "Invited"], stages
        return stages

    await browser.until(referrals_shown)

    # Settings → Referrals: a refused combination says what to fix; fixed, it is saved.
    browser.navigating(browser.driver.find_element(By.LINK_TEXT, "Settings → Referrals").click)
    browser.click("#f-reward-percent")
    browser.fill("#f-percent", "15")
    browser.click("#f-trigger-booking")
    browser.click("#f-reward_referred")
    browser.click("#f-delivery-alert")
    browser.follow("[data-testid=referral-settings] button[type=submit]")
    assert "needs alert_email" in browser.text("[role=alert]")
    assert browser.one("#f-reward-percent").is_selected()  # what was chosen is kept
    browser.fill("#f-alert_email", "anna@harbour.example")
    browser.follow("[data-testid=referral-settings] button[type=submit]")
    assert notice(browser) == "Referral settings saved."
    assert await site.api(anna, "GET", "/v1/referrals/settings") == {
        "reward": {"amount": None, "percent": 15},
        "trigger": "first_booking",
        "reward_referred": True,
        "delivery": "alert",
        "alert_email": "anna@harbour.example",
        "booking_page_url": None,
    }

    # The overview: referral activity across every client.
    browser.navigating(browser.driver.find_element(By.LINK_TEXT, "Overview").click)

    def summarised() -> dict[str, str]:
        stats = {
            stat.get_attribute("data-stat") or "": stat.text
            for stat in browser.all("[data-testid=referral-summary] dd[data-stat]")
        }
        assert stats == {"invited": "1", "booked": "1", "completed": "1", "referrers": "1"}, stats
        return stats

    await browser.until(summarised)
    browser.screenshot("dashboard.png")

    # Signing out ends the session: the dashboard asks for the key again.
    browser.follow(".topbar__signout button")
    assert browser.path == "/dashboard/login"
    browser.open("/dashboard/settings/loyalty")
    assert browser.path == "/dashboard/login"
    site.assert_alive()


async def referral_code(site: Site, tenant: TenantCaller, client: str) -> str:
    """The client's referral code: made the first time their portal asks for their link."""
    token = await site.portal_token(tenant, client)
    shown = await site.http.get(
        "/v1/portal/referrals", headers={"Authorization": f"Bearer {token}"}
    )
    assert shown.status_code == 200, shown.text
    code: str = shown.json()["link"]["code"]
    assert REFERRAL_CODE.fullmatch(f"?ref={code}")
    return code
