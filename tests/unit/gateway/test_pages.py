"""The pages' pure parts: the signed dashboard session, amounts typed in a form, the texts a page
shows, and the access log that never shows a portal token."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from starcard_gateway.pages import HideTokens
from starcard_gateway.pages.money_fields import major_units, minor_units
from starcard_gateway.pages.rendering import environment, refusal_text
from starcard_gateway.pages.sessions import SESSION_TTL, DashboardSessions, InvalidSession
from starcard_gateway.portal import InvalidPortalToken, PortalTokens
from starcard_gateway.settings import GatewaySettings
from starcard_loyalty.domain.errors import DuplicateMilestone

SECRET = "unit-portal-secret-of-at-least-32-bytes"  # noqa: S105 - the test's own
NOW = datetime(2026, 3, 3, 9, 30, tzinfo=UTC)
KEY = "0123456789ab"
"""A key id: what a session keeps of the API key it signed in with."""


def sessions(secret: str = SECRET) -> DashboardSessions:
    return DashboardSessions.from_settings(
        GatewaySettings(DATABASE_URL="postgresql://unused/db", STARCARD_PORTAL_SECRET=secret)
    )


def test_a_session_holds_the_key_and_a_fresh_csrf_token() -> None:
    cookie, signed = sessions().sign("anna", KEY, now=datetime.now(UTC))
    verified = sessions().verify(cookie)  # another process with the same secret
    assert verified == signed
    assert (verified.tenant_id, verified.key_id) == ("anna", KEY)
    _, again = sessions().sign("anna", KEY, now=datetime.now(UTC))
    assert again.csrf != signed.csrf
    assert len(signed.csrf) >= 32


def test_a_session_past_its_time_is_expired() -> None:
    cookie, _ = sessions().sign("anna", KEY, now=datetime.now(UTC) - SESSION_TTL - timedelta(1))
    with pytest.raises(InvalidSession) as refused:
        sessions().verify(cookie)
    assert refused.value.reason == "expired"


@pytest.mark.parametrize(
    "forge",
    [
        lambda cookie: cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB"),
        lambda _cookie: sessions("another-secret-of-at-least-32-bytes!!").sign(
            "anna", KEY, now=datetime.now(UTC)
        )[0],
        lambda _cookie: (
            PortalTokens(SECRET.encode())
            .mint("anna", "ada", ttl=timedelta(hours=1), now=datetime.now(UTC))
            .token
        ),
        lambda _cookie: KEY,
    ],
    ids=["tampered", "other-secret", "portal-token", "api-key"],
)
def test_nothing_else_passes_for_a_session(forge: Callable[[str], str]) -> None:
    cookie, _ = sessions().sign("anna", KEY, now=datetime.now(UTC))
    with pytest.raises(InvalidSession) as refused:
        sessions().verify(forge(cookie))
    assert refused.value.reason == "invalid"


def test_a_session_never_passes_for_a_portal_token() -> None:
    cookie, _ = sessions().sign("anna", KEY, now=datetime.now(UTC))
    with pytest.raises(InvalidPortalToken):
        PortalTokens(SECRET.encode()).verify(cookie)


def test_without_a_portal_secret_each_process_signs_with_its_own_key() -> None:
    settings = GatewaySettings(DATABASE_URL="postgresql://unused/db")
    assert settings.portal_secret is None
    cookie, _ = DashboardSessions.from_settings(settings).sign("anna", KEY, now=datetime.now(UTC))
    with pytest.raises(InvalidSession):
        DashboardSessions.from_settings(settings).verify(cookie)


@pytest.mark.parametrize(
    ("typed", "currency", "minor"),
    [
        ("10", "GBP", 1000),
        ("10.5", "GBP", 1050),
        (" 1,250.00 ", "EUR", 125000),
        ("500", "JPY", 500),
        ("0.01", "GBP", 1),
        ("10.005", "GBP", None),
        ("5.5", "JPY", None),
        ("-1", "GBP", None),
        ("ten", "GBP", None),
        ("NaN", "GBP", None),
        ("", "GBP", None),
        ("1e999999", "GBP", None),
        ("1e5000", "GBP", None),
    ],
)
def test_an_amount_is_typed_in_the_currency_s_own_decimals(
    typed: str, currency: str, minor: int | None
) -> None:
    assert minor_units(typed, currency) == minor
    if minor is not None:
        assert minor_units(major_units(minor, currency), currency) == minor


def test_amounts_show_as_typed() -> None:
    assert (major_units(1000, "GBP"), major_units(500, "JPY")) == ("10.00", "500")


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (21, "21st"),
        (22, "22nd"),
        (101, "101st"),
        (111, "111th"),
        (112, "112th"),
    ],
)
def test_ordinals(number: int, text: str) -> None:
    assert environment.filters["ordinal"](number) == text


def test_a_refusal_names_the_other_milestone_by_what_it_is_not_its_id() -> None:
    refused = DuplicateMilestone(
        "Milestone 'c6f6beaa-ee9e-4724-bb67-3e434dbc1d17' already fires at session 10 counting "
        "sessions of 60+ minutes: edit that milestone, or pick another session count."
    )
    assert refusal_text(refused) == (
        "Another milestone already fires at session 10 counting sessions of 60+ minutes: edit "
        "that milestone, or pick another session count."
    )


def test_the_access_log_never_shows_a_portal_token() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/portal?token=eyJhbGciOi.payload.sig&x=1", "1.1", 303),
        None,
    )
    assert HideTokens().filter(record)
    assert record.getMessage() == (
        '127.0.0.1:5000 - "GET /portal?token=[redacted]&x=1 HTTP/1.1" 303'
    )
