"""Packages in Chromium: the dashboard's Packages page (what the business still owes in sessions
and money, by package, and the visit no package could pay for, linking to its client), the
client's packages on their profile, and the client's portal showing their package.

What the pages show is checked against the JSON API too.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from selenium.webdriver.common.by import By
from starcard_events import examples

from tests.e2e.pages.conftest import NOW, Browser, Site, registered
from tests.e2e.pages.test_dashboard import sign_in
from tests.support.packages import package_visit

pytestmark = pytest.mark.e2e


async def test_the_therapist_sees_what_packages_owe_and_the_client_sees_hers(
    site: Site, browser: Browser
) -> None:
    anna = await site.create_tenant("Harbour Skin Clinic", "harbour-packages")
    bought_at = NOW - timedelta(days=10)
    course = examples.package_terms(
        "Facial course", sessions=5, categories=["facials"], validity_days=120
    )
    trio = examples.package_terms("Massage trio", sessions=3, categories=["massage"])
    await site.publish(
        registered(anna, "ada"),
        examples.package_purchased(
            anna.tenant_id,
            bought_at,
            purchase_id="ada-course",
            client_id="ada",
            terms=course,
            price_minor=40_000,
        ),
        package_visit(
            anna.tenant_id, NOW - timedelta(days=5), client_id="ada", booking_id="ada-facial-1"
        ),
        package_visit(
            anna.tenant_id,
            NOW - timedelta(days=3),
            client_id="ada",
            booking_id="ada-peel-1",
            service_name="Chemical peel",
            category="peels",
        ),
        examples.package_purchased(
            anna.tenant_id,
            NOW - timedelta(days=8),
            purchase_id="bo-trio",
            client_id="bo",
            terms=trio,
            price_minor=25_000,
        ),
    )
    sign_in(browser, anna.api_key)

    # Packages, from the navigation: Ada's course has 4 of 5 sessions left (£320.00 of its
    # £400.00 not delivered yet), Bo's trio all 3 (£250.00).
    browser.navigating(browser.driver.find_element(By.LINK_TEXT, "Packages").click)
    assert browser.heading() == "Packages"

    def owed() -> list[str]:
        rows = browser.texts("[data-testid=liability] tbody th")
        assert rows == ["Facial course (ad hoc)", "Massage trio (ad hoc)"], rows
        assert browser.texts("[data-testid=attention] tbody th") == ["ada"]
        return rows

    await browser.until(owed)
    assert browser.texts("[data-testid=liability-sessions]") == ["4", "3"]
    assert browser.texts("[data-testid=liability-owed]") == ["£320.00", "£250.00"]
    assert browser.text("[data-testid=liability-totals] [data-currency=GBP]") == "£570.00"
    assert browser.text("[data-testid=liability-totals] [data-sessions=GBP]") == "7"
    assert browser.texts("[data-testid=attention] tbody td") == [
        "Chemical peel",
        "ada-peel-1",
        f"{(NOW - timedelta(days=3)).day} {NOW - timedelta(days=3):%B %Y}",
    ]
    liability = await site.api(anna, "GET", "/v1/packages/liability")
    assert liability["totals"] == [
        {"packages": 2, "sessions_left": 7, "deferred": {"amount_minor": 57_000, "currency": "GBP"}}
    ]
    browser.screenshot("dashboard-packages.png")

    # The visit needing attention links to Ada's profile, which shows her course and the visit.
    browser.follow("[data-testid=attention] tbody th a")
    assert browser.heading() == "ada"
    course_row = "[data-testid=client-packages] [data-purchase=ada-course]"
    assert browser.text(f"{course_row} [data-testid=package-status]") == "Active"
    assert browser.text(f"{course_row} [data-testid=package-used]") == "1 of 5"
    assert browser.text(f"{course_row} [data-testid=package-left]") == "4"
    assert browser.text(f"{course_row} [data-testid=package-owed]") == "£320.00"
    assert "Chemical peel" in browser.text("[data-testid=client-attention]")
    # Bo has no visit yet, only his trio: his profile is there all the same.
    browser.open("/dashboard/clients/bo")
    assert browser.texts("[data-testid=client-packages] [data-testid=package-left]") == ["3"]

    # Her portal, on a phone: the course, its sessions left and the day they expire.
    expires = bought_at.date() + timedelta(days=120)
    browser.phone()
    browser.open(f"/portal?token={await site.portal_token(anna, 'ada')}")
    assert browser.texts("[data-testid=portal-package-name]") == ["Facial course"]
    assert browser.texts("[data-testid=portal-package-text]") == [
        f"4 of 5 sessions left · use them before {expires.day} {expires:%B %Y}"
    ]
    browser.screenshot("portal-packages.png")
    site.assert_alive()
