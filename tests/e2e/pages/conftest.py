"""The dashboard and the client portal in a real browser, on the whole system.

One stack serves every test of the module: the loyalty and referrals services, the projections
and the gateway run as their own processes (``python -m ...``, the gateway on a free port, as
deployed), on one fresh database and topics of their own; each test opens tenants of its own.
The test is the booking platform (a Kafka producer), the front desk (checkout over HTTP) and the
person at the browser: Debian's Chromium, headless, driven by Selenium through Debian's
chromedriver, so Selenium Manager never downloads a browser or a driver.

Screenshots the tests take are written to ``docs/screenshots/`` for the README.
"""

from __future__ import annotations

import base64
import os
import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.wait import WebDriverWait
from starcard_events import examples
from starcard_events.topics import (
    BOOKING_EVENTS,
    CLOCK,
    LOYALTY_FACTS,
    NOTIFICATIONS,
    REFERRAL_FACTS,
    REFERRAL_VISITS,
    referral_visit_key,
)
from starcard_runtime.settings import RuntimeSettings

from tests.e2e.conftest import PARTITIONS, Platform
from tests.support.databases import throwaway_database
from tests.support.gateway import TenantCaller
from tests.support.processes import LoggedProcess, free_port, process_env, running
from tests.support.stack import create_topics, stack_settings, until

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
INSTALL_CHROMIUM = (
    "the page tests drive Debian's Chromium through Debian's chromedriver: install them with "
    "`apt-get install -y --no-install-recommends chromium chromium-driver`"
)
SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"

ADMIN_KEY = "operator-pages-e2e-key"
PORTAL_SECRET = "pages-e2e-portal-secret-of-at-least-32-bytes"  # noqa: S105 - the tests' own
READY_SECONDS = 30.0
PIPELINE_SECONDS = 30.0
NAVIGATION_SECONDS = 10.0
NOW = datetime.now(UTC).replace(microsecond=0)
"""Codes last 12 months and the checkout judges them by the real clock: feeds are dated just
before the test runs."""

PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}
DESKTOP = {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}

T = TypeVar("T")


# -- the stack -----------------------------------------------------------------------------


@pytest.fixture(scope="package")
def pages_database(database_url: str) -> Iterator[str]:
    """A new, empty database for the module's stack, dropped after it."""
    with throwaway_database(database_url) as url:
        yield url


@dataclass
class Site:
    """The running system as its users reach it: the gateway's address and its HTTP API, the
    booking platform's feed, and the booking page's link visits."""

    base_url: str
    http: httpx.AsyncClient
    settings: RuntimeSettings
    platform: Platform
    processes: list[LoggedProcess]

    async def create_tenant(self, name: str, tenant_id: str) -> TenantCaller:
        """What the operator does: the tenant, its programmes and its first API key."""
        created = await self.http.post(
            "/v1/operator/tenants",
            json={"name": name, "tenant_id": tenant_id},
            headers={"Authorization": f"Bearer {ADMIN_KEY}"},
        )
        assert created.status_code == 201, created.text
        return TenantCaller(tenant_id, created.json()["api_key"])

    async def api(
        self, tenant: TenantCaller, method: str, path: str, body: dict[str, Any] | None = None
    ) -> Any:
        """A JSON API call as the tenant; the answer's body."""
        response = await self.http.request(method, path, json=body, headers=tenant.headers)
        assert response.is_success, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    async def portal_token(self, tenant: TenantCaller, client_id: str) -> str:
        minted = await self.api(tenant, "POST", "/v1/portal/tokens", {"client_id": client_id})
        token: str = minted["token"]
        return token

    async def publish(self, *events: dict[str, Any]) -> None:
        """Booking events (``LinkVisited`` goes to the booking page's topic), keyed as the
        platform keys them."""
        bookings = [event for event in events if event["type"] != "LinkVisited"]
        if bookings:
            await self.platform.publish(*bookings)
        for event in events:
            if event["type"] == "LinkVisited":
                key = referral_visit_key(event["tenant_id"], event["data"]["referral_code"])
                await self.platform.producer.send_and_wait(
                    self.settings.topic(REFERRAL_VISITS), examples.encode(event), key=key
                )

    def assert_alive(self) -> None:
        for process in self.processes:
            process.assert_alive()


@pytest.fixture(scope="package")
async def site(pages_database: str, kafka_bootstrap: str) -> AsyncIterator[Site]:
    """The loyalty and referrals services, the projections and the gateway, as deployed."""
    settings = stack_settings(pages_database, kafka_bootstrap, f"t{uuid.uuid4().hex[:12]}.")
    topics = (BOOKING_EVENTS, REFERRAL_VISITS, CLOCK, LOYALTY_FACTS, REFERRAL_FACTS, NOTIFICATIONS)
    await create_topics(kafka_bootstrap, [settings.topic(topic) for topic in topics], PARTITIONS)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = process_env(
        settings,
        STARCARD_GATEWAY_PORT=str(port),
        STARCARD_ADMIN_KEY=ADMIN_KEY,
        STARCARD_PORTAL_SECRET=PORTAL_SECRET,
        STARCARD_PORTAL_URL=f"{base_url}/portal",
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap, enable_idempotence=True, linger_ms=5
    )
    with ExitStack() as processes:
        started = [
            processes.enter_context(running(module, env))
            for module in (
                "starcard_loyalty",
                "starcard_referrals",
                "starcard_projections",
                "starcard_gateway",
            )
        ]
        await producer.start()
        try:
            async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
                site = Site(
                    base_url,
                    http,
                    settings,
                    Platform(producer, settings.topic(BOOKING_EVENTS)),
                    started,
                )

                async def ready() -> None:
                    site.assert_alive()
                    try:
                        answer = await http.get("/readyz")
                    except httpx.TransportError as exc:
                        raise AssertionError(f"the gateway does not answer: {exc}") from exc
                    assert answer.status_code == 200, answer.text

                await until(ready, within=READY_SECONDS)
                yield site
                site.assert_alive()
        finally:
            await producer.stop()


# -- the browser ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CardView:
    """The portal's loyalty card as the client sees it."""

    state: str
    """``stars`` or ``code`` (the card flipped to show the code)."""
    stamped: int
    empty: int
    last_circle: str
    """What the final circle says: the reward."""
    to_go: str
    code: str | None


class Browser:
    """Chromium on the site: pages opened, read, waited for and photographed."""

    def __init__(self, driver: WebDriver, base_url: str) -> None:
        self.driver = driver
        self.base_url = base_url

    def open(self, path_or_url: str) -> None:
        url = path_or_url if "://" in path_or_url else f"{self.base_url}{path_or_url}"
        self.driver.get(url)

    @property
    def path(self) -> str:
        return urlsplit(self.driver.current_url).path

    @property
    def url(self) -> str:
        return str(self.driver.current_url)

    def phone(self) -> None:
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)

    def desktop(self) -> None:
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", DESKTOP)

    def forget_cookies(self) -> None:
        self.driver.execute_cdp_cmd("Network.clearBrowserCookies", {})

    def all(self, css: str) -> list[WebElement]:
        return list(self.driver.find_elements(By.CSS_SELECTOR, css))

    def one(self, css: str) -> WebElement:
        found = self.all(css)
        assert len(found) == 1, f"{len(found)} elements match {css!r} on {self.url}"
        return found[0]

    def text(self, css: str) -> str:
        """The element's whole text, visually hidden parts included, spaces collapsed."""
        content = self.one(css).get_attribute("textContent") or ""
        return " ".join(content.split())

    def texts(self, css: str) -> list[str]:
        return [" ".join((e.get_attribute("textContent") or "").split()) for e in self.all(css)]

    def heading(self) -> str:
        return self.text("h1")

    def fill(self, css: str, value: str) -> None:
        field = self.one(css)
        field.clear()
        field.send_keys(value)

    def click(self, css: str) -> None:
        """Click something that stays on the page (a radio button, a disclosure)."""
        self.one(css).click()

    def follow(self, css: str) -> None:
        """Click a link or a form's button, and wait for the page it leads to."""
        self.navigating(self.one(css).click)

    def navigating(self, action: Callable[[], object]) -> None:
        """Do ``action`` and wait until the next page has loaded (the old one is gone)."""
        old = self.one("html")
        action()

        def old_page_gone(_driver: object) -> bool:
            try:
                old.is_enabled()
            except WebDriverException:
                # Stale, or (Chromium, mid-navigation) "node does not belong to the document".
                return True
            return False

        wait = WebDriverWait(self.driver, NAVIGATION_SECONDS)
        wait.until(old_page_gone)
        wait.until(lambda driver: driver.execute_script("return document.readyState") == "complete")

    def card(self) -> CardView:
        card = self.one("[data-testid=loyalty-card]")
        codes = self.texts("[data-testid=reward-code]")
        return CardView(
            state=card.get_attribute("data-state") or "",
            stamped=len(self.all(".stamp--filled")),
            empty=len(self.all(".stamp--empty")),
            last_circle=self.text(".stamp--reward .stamp__reward"),
            to_go=self.text("[data-testid=to-go]"),
            code=codes[0] if codes else None,
        )

    async def until(
        self, check: Callable[[], T], *, reload: bool = True, within: float = PIPELINE_SECONDS
    ) -> T:
        """Reload the page until ``check`` passes: the pipeline is asynchronous, and a page is
        server-rendered, so what it shows changes only when it is loaded again."""

        async def reloaded() -> T:
            if reload:
                self.driver.refresh()
            return check()

        return await until(reloaded, within=within)

    def screenshot(self, name: str) -> Path:
        """The whole page (beyond the window), as ``docs/screenshots/<name>``."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shot = self.driver.execute_cdp_cmd(
            "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
        )
        path = SCREENSHOTS / name
        path.write_bytes(base64.b64decode(shot["data"]))
        return path


@pytest.fixture(scope="package")
def chromium() -> Iterator[WebDriver]:
    """Headless Chromium; the tests fail (never skip) when it is not installed."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.is_file()]
    if missing:
        pytest.fail(f"{', '.join(missing)} not found: {INSTALL_CHROMIUM}", pytrace=False)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-extensions",
        "--no-first-run",
        "--hide-scrollbars",
        "--force-prefers-reduced-motion",  # no card flip half-way in a screenshot
        "--lang=en-GB",
        "--window-size=1280,900",
    ):
        options.add_argument(argument)
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")  # Chromium's sandbox refuses to run as root
    try:
        driver = webdriver.Chrome(
            service=Service(executable_path=str(CHROMEDRIVER)), options=options
        )
    except WebDriverException as exc:
        pytest.fail(f"Chromium did not start ({exc.msg}): {INSTALL_CHROMIUM}", pytrace=False)
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browser(chromium: WebDriver, site: Site) -> Browser:
    """The module's Chromium with no cookies, at desktop size."""
    browser = Browser(chromium, site.base_url)
    browser.forget_cookies()
    browser.desktop()
    return browser


# -- the feed ------------------------------------------------------------------------------


def registered(tenant: TenantCaller, client: str) -> dict[str, Any]:
    return examples.client_registered(
        tenant.tenant_id, NOW - timedelta(days=40), client_id=client, email=f"{client}@example.test"
    )


def session(tenant: TenantCaller, client: str, n: int, **details: Any) -> dict[str, Any]:
    """The client's ``n``th completed appointment (from 0), one a day, 60 minutes unless told."""
    return examples.appointment_completed(
        tenant.tenant_id,
        NOW - timedelta(days=30 - n),
        booking_id=f"{client}-{n}",
        client_id=client,
        **details,
    )


REFERRAL_CODE = re.compile(r"[?&]ref=([A-Za-z0-9_-]+)")


async def refer_three_friends(site: Site, tenant: TenantCaller, code: str) -> None:
    """Through the referrer's link: one visitor only looks (invited), Max books (booked), Zoe
    books and comes in (completed)."""
    at = NOW - timedelta(days=5)

    def followed(visitor: str, days: int) -> dict[str, Any]:
        return examples.link_visited(
            tenant.tenant_id, at + timedelta(days=days), referral_code=code, visitor_id=visitor
        )

    def through_link(client: str, visitor: str) -> dict[str, Any]:
        return {
            "booking_id": f"{client}-first",
            "client_id": client,
            "referral_code": code,
            "referral_visitor_id": visitor,
        }

    zoe, max_ = through_link("zoe", "cookie-zoe"), through_link("max", "cookie-max")
    await site.publish(
        followed("cookie-look", 0),
        followed("cookie-zoe", 1),
        followed("cookie-max", 2),
    )
    await site.publish(
        registered(tenant, "zoe"),
        registered(tenant, "max"),
        examples.booking_created(tenant.tenant_id, at + timedelta(days=1, hours=1), **zoe),
        examples.booking_created(tenant.tenant_id, at + timedelta(days=2, hours=1), **max_),
        examples.appointment_completed(tenant.tenant_id, at + timedelta(days=3), **zoe),
    )
