"""What goes wrong, as people meet it: a portal link that is bad or expired, no session or a
forged one, a revoked key, a form posted from elsewhere, another tenant's client. Each is a page
saying what happened and what to do, never JSON or a stack trace; and no page reaches another
tenant's data.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
import psycopg
import pytest
from starcard_gateway.portal import PortalTokens

from tests.e2e.pages.conftest import (
    ADMIN_KEY,
    PORTAL_SECRET,
    Browser,
    Site,
    registered,
    session,
)
from tests.support.gateway import TenantCaller
from tests.support.stack import until

pytestmark = pytest.mark.e2e

FIFTH = {"session_count": 5, "message": "Five visits: thank you!", "discount_percent": 10}


def assert_page(answer: httpx.Response, status: int, title: str) -> None:
    """An HTML page with this status and this heading, showing no internals."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    assert re.search(r"<h1[^>]*>\s*" + re.escape(title) + r"\s*</h1>", answer.text), answer.text
    assert "Traceback" not in answer.text
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["x-frame-options"] == "DENY"


def field(page: httpx.Response, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', page.text)
    assert found is not None, page.text
    return found.group(1)


@asynccontextmanager
async def signed_in(site: Site, api_key: str) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client (its own cookie jar) signed in to the dashboard with the key."""
    async with httpx.AsyncClient(base_url=site.base_url) as client:
        form = await client.get("/dashboard/login")
        answer = await client.post(
            "/dashboard/login", data={"nonce": field(form, "nonce"), "api_key": api_key}
        )
        assert (answer.status_code, answer.headers["location"]) == (303, "/dashboard"), answer.text
        yield client


async def csrf_token(client: httpx.AsyncClient) -> str:
    return field(await client.get("/dashboard/settings/loyalty"), "csrf_token")


async def test_a_bad_or_expired_portal_link_says_what_to_do(site: Site, browser: Browser) -> None:
    willow = await site.create_tenant("Willow Spa", "willow-links")
    await site.api(willow, "POST", "/v1/loyalty/milestones", FIFTH)
    tokens = PortalTokens(PORTAL_SECRET.encode())
    expired = tokens.mint(
        willow.tenant_id,
        "ada",
        ttl=timedelta(minutes=5),
        now=datetime.now(UTC) - timedelta(hours=1),
    ).token

    for path, title in [
        ("/portal", "Open your loyalty card from your link"),
        ("/portal?token=not-a-token", "This link does not work"),
        (f"/portal?token={willow.api_key}", "This link does not work"),
        (f"/portal?token={expired}", "This link has expired"),
    ]:
        assert_page(await site.http.get(path), 401, title)

    browser.phone()
    browser.open(f"/portal?token={expired}")
    assert browser.heading() == "This link has expired"
    assert "ask the business for a new one" in browser.text("main").lower()

    # The link STARCARD_PORTAL_URL makes carries the token in its fragment: the page opens it.
    minted = await site.api(willow, "POST", "/v1/portal/tokens", {"client_id": "ada"})
    assert minted["portal_url"] == f"{site.base_url}/portal#token={minted['token']}"
    browser.open(minted["portal_url"])

    def opened() -> str:
        assert (browser.path, browser.heading()) == ("/portal", "Willow Spa")
        return browser.heading()

    await browser.until(opened, reload=False, within=10)
    assert browser.card().to_go == "5 more sessions to go"

    # A cookie whose token has since expired: the page says so and the cookie goes.
    browser.driver.add_cookie({"name": "starcard_portal", "value": expired, "path": "/portal"})
    browser.open("/portal")
    assert browser.heading() == "This link has expired"
    assert browser.driver.get_cookie("starcard_portal") is None


async def test_the_dashboard_keeps_each_tenant_to_its_own_and_refuses_forged_requests(
    site: Site,
) -> None:
    anna = await site.create_tenant("Anna Massage", "anna-guarded")
    brook = await site.create_tenant("Brook Spa", "brook-guarded")
    milestone = await site.api(anna, "POST", "/v1/loyalty/milestones", FIFTH)
    await site.publish(registered(anna, "ada"), session(anna, "ada", 0))

    # No session, or one that is not ours: to the login page, saying why.
    anonymous = site.http
    for path in ("/dashboard", "/dashboard/settings/loyalty", "/dashboard/clients/ada"):
        answer = await anonymous.get(path)
        assert (answer.status_code, answer.headers["location"]) == (303, "/dashboard/login")
    portal_token = await site.portal_token(anna, "ada")
    for forged in ("garbage", portal_token, anna.api_key):
        answer = await anonymous.get(
            "/dashboard", headers={"cookie": f"starcard_dashboard={forged}"}
        )
        assert answer.headers["location"] == "/dashboard/login?reason=invalid", forged
    login = await anonymous.get("/dashboard/login?reason=invalid")
    assert_page(login, 200, "Sign in to your dashboard")
    assert "could not be read" in login.text

    # Signing in: only a live API key, and only through the page's own form.
    async with httpx.AsyncClient(base_url=site.base_url) as client:
        form = await client.get("/dashboard/login")
        nonce = field(form, "nonce")
        refused = await client.post(
            "/dashboard/login", data={"nonce": nonce, "api_key": portal_token}
        )
        assert_page(refused, 401, "Sign in to your dashboard")
        assert "not valid" in refused.text
        assert portal_token not in refused.text
        no_nonce = await client.post("/dashboard/login", data={"api_key": anna.api_key})
        assert_page(no_nonce, 400, "Sign in to your dashboard")
        assert "starcard_dashboard" not in client.cookies

    async with signed_in(site, anna.api_key) as as_anna, signed_in(site, brook.api_key) as as_brook:

        async def ada_on_annas_dashboard() -> None:
            assert (await as_anna.get("/dashboard/clients/ada")).status_code == 200

        await until(ada_on_annas_dashboard)

        # Brook's dashboard never shows Anna's client or milestone, nor changes them.
        assert_page(await as_brook.get("/dashboard/clients/ada"), 404, "No such client")
        brooks = await as_brook.get("/dashboard/settings/loyalty")
        assert "ada" not in re.findall(r'data-client="([^"]+)"', brooks.text)
        assert milestone["milestone_id"] not in brooks.text
        brook_token = await csrf_token(as_brook)
        edit = f"/dashboard/settings/loyalty/milestones/{milestone['milestone_id']}"
        for path in (edit, f"{edit}/active", f"{edit}/delete"):
            answer = await as_brook.post(
                path,
                data={"csrf_token": brook_token, "session_count": "1", "message": "Mine now"},
            )
            assert_page(answer, 404, "No such milestone")
        assert (await site.api(anna, "GET", "/v1/loyalty/milestones"))["data"] == [milestone]

        # Forms need the session's own token, and to come from the dashboard's own pages.
        anna_token = await csrf_token(as_anna)
        counting = "/dashboard/settings/loyalty/counting"
        stale, foreign = "This form has expired", "Form refused"
        for data, headers, title in [
            ({"enabled": "true"}, {}, stale),
            ({"enabled": "true", "csrf_token": brook_token}, {}, stale),
            (
                {"enabled": "true", "csrf_token": anna_token},
                {"sec-fetch-site": "cross-site"},
                foreign,
            ),
            (
                {"enabled": "true", "csrf_token": anna_token},
                {"origin": "https://evil.example"},
                foreign,
            ),
        ]:
            answer = await as_anna.post(counting, data=data, headers=headers)
            assert_page(answer, 403, title)
        settings = await site.api(anna, "GET", "/v1/loyalty/settings")
        assert settings["count_discounted_sessions"] is False
        done = await as_anna.post(counting, data={"enabled": "true", "csrf_token": anna_token})
        assert done.headers["location"] == "/dashboard/settings/loyalty?done=counting-on"

    # A revoked key ends the sessions signed in with it, at their next request.
    issued = await site.http.post(
        f"/v1/operator/tenants/{anna.tenant_id}/keys",
        headers={"Authorization": f"Bearer {ADMIN_KEY}"},
    )
    assert issued.status_code == 201, issued.text
    second = TenantCaller(anna.tenant_id, issued.json()["api_key"])
    async with signed_in(site, second.api_key) as client:
        assert (await client.get("/dashboard")).status_code == 200
        key_id = second.api_key.split("_")[1]
        with psycopg.connect(site.settings.database_url, autocommit=True) as conn:
            conn.execute(
                "UPDATE gateway.api_keys SET revoked_at = now() WHERE key_id = %s", (key_id,)
            )
        answer = await client.get("/dashboard")
        assert answer.headers["location"] == "/dashboard/login?reason=revoked"
        assert "starcard_dashboard" not in client.cookies


async def test_a_link_to_another_account_replaces_the_portal_only_when_the_client_says_so(
    site: Site,
) -> None:
    willow = await site.create_tenant("Willow Spa", "willow-switch")
    tokens = PortalTokens(PORTAL_SECRET.encode())
    now = datetime.now(UTC)
    ada = tokens.mint(willow.tenant_id, "ada", ttl=timedelta(days=1), now=now).token
    mallory = tokens.mint(willow.tenant_id, "mallory", ttl=timedelta(days=1), now=now).token
    async with httpx.AsyncClient(base_url=site.base_url) as client:
        opened = await client.get("/portal", params={"token": ada})
        assert opened.status_code == 303
        assert client.cookies["starcard_portal"] == ada

        asked = await client.get("/portal", params={"token": mallory})
        assert_page(asked, 200, "Open another account?")
        assert client.cookies["starcard_portal"] == ada  # nothing changed by following it
        again = await client.get("/portal", params={"token": ada})
        assert again.status_code == 303  # the same account's link just opens it

        switched = await client.post(
            "/portal", data={"token": field(asked, "token")}, headers={"Origin": site.base_url}
        )
        assert switched.status_code == 303
        assert client.cookies["starcard_portal"] == mallory
