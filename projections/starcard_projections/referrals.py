"""Referral read models: a client's referrals board, their credit banner and the tenant's numbers.

Only creation events name their aggregate's tenant and client, so each kind of aggregate that has
later events keeps a row keyed by its aggregate id (links, referees, credit accounts, welcome
codes), and the statements for those later events find the owner by joining to that row. A batch
runs its statements kind by kind in the order of ``STATEMENTS``: every creation first, then what
joins to it, and a credit's issue before its use. Within a kind, rows keep event order.

A referral is the referred client's ``Referee`` row once a booking through a link booked it; its
stage is told from its timestamps (booked, then completed), which are only ever set, so it only
moves forward. A visit through a link is a row of its own until someone books with that visitor
id through the same referrer's link: the two are matched when read, so they make one referral
whichever arrived first. Visits by the link's own client are not kept, and a refused booking is a
row of ``read.referral_refusals``, shown only when asked for.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row, tuple_row

from starcard_projections.statements import Row, StatementProjection

NAME = "referrals"

DDL = """
CREATE TABLE IF NOT EXISTS read.referral_links (
    aggregate_id uuid PRIMARY KEY,
    tenant_id text NOT NULL,
    client_id text NOT NULL,
    code text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS referral_links_by_client
    ON read.referral_links (tenant_id, client_id, created_at);
CREATE TABLE IF NOT EXISTS read.referral_visits (
    tenant_id text NOT NULL,
    referrer_client_id text NOT NULL,
    visitor_id text NOT NULL,
    visited_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, referrer_client_id, visitor_id)
);
CREATE TABLE IF NOT EXISTS read.referral_referees (
    aggregate_id uuid PRIMARY KEY,
    tenant_id text NOT NULL,
    client_id text NOT NULL,
    referrer_client_id text,
    visitor_id text,
    booked_at timestamptz,
    completed_at timestamptz,
    reward_delivery text CHECK (reward_delivery IN ('credit', 'alert'))
);
CREATE INDEX IF NOT EXISTS referral_referees_by_referrer
    ON read.referral_referees (tenant_id, referrer_client_id, visitor_id)
    WHERE referrer_client_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS read.referral_refusals (
    tenant_id text NOT NULL,
    referee_client_id text NOT NULL,
    booking_id text NOT NULL,
    referrer_client_id text NOT NULL,
    reason text NOT NULL
        CHECK (reason IN ('self_referral', 'existing_client', 'already_referred')),
    refused_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, referee_client_id, booking_id)
);
CREATE INDEX IF NOT EXISTS referral_refusals_by_referrer
    ON read.referral_refusals (tenant_id, referrer_client_id);
ALTER TABLE read.referral_refusals ADD COLUMN IF NOT EXISTS visitor_id text;
CREATE TABLE IF NOT EXISTS read.referral_credit_accounts (
    aggregate_id uuid PRIMARY KEY,
    tenant_id text NOT NULL,
    client_id text NOT NULL
);
CREATE TABLE IF NOT EXISTS read.referral_credits (
    account_id uuid NOT NULL,
    credit_id text NOT NULL,
    tenant_id text NOT NULL,
    client_id text NOT NULL,
    version integer NOT NULL,
    amount_minor bigint,
    currency text,
    percent integer,
    used_minor bigint NOT NULL DEFAULT 0,
    used boolean NOT NULL DEFAULT false,
    PRIMARY KEY (account_id, credit_id),
    CHECK ((percent IS NULL) = (amount_minor IS NOT NULL AND currency IS NOT NULL))
);
CREATE INDEX IF NOT EXISTS referral_credits_by_client
    ON read.referral_credits (tenant_id, client_id, version);
CREATE TABLE IF NOT EXISTS read.referral_credit_uses (
    tenant_id text NOT NULL,
    client_id text NOT NULL,
    booking_id text NOT NULL,
    amount_minor bigint NOT NULL,
    currency text NOT NULL,
    PRIMARY KEY (tenant_id, client_id, booking_id)
);
CREATE TABLE IF NOT EXISTS read.referral_welcome_codes (
    aggregate_id uuid PRIMARY KEY,
    tenant_id text NOT NULL,
    client_id text NOT NULL,
    issued_at timestamptz NOT NULL,
    redeemed_at timestamptz
);
CREATE INDEX IF NOT EXISTS referral_welcome_codes_by_tenant
    ON read.referral_welcome_codes (tenant_id);
"""

TABLES = (
    "read.referral_links",
    "read.referral_visits",
    "read.referral_referees",
    "read.referral_refusals",
    "read.referral_credit_accounts",
    "read.referral_credits",
    "read.referral_credit_uses",
    "read.referral_welcome_codes",
)

# -- creations: they name the owner ---------------------------------------------------------

ADD_LINK = """
INSERT INTO read.referral_links (aggregate_id, tenant_id, client_id, code, created_at)
VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING
"""

ADD_REFEREE = """
INSERT INTO read.referral_referees (aggregate_id, tenant_id, client_id)
VALUES (%s, %s, %s) ON CONFLICT DO NOTHING
"""

OPEN_ACCOUNT = """
INSERT INTO read.referral_credit_accounts (aggregate_id, tenant_id, client_id)
VALUES (%s, %s, %s) ON CONFLICT DO NOTHING
"""

ISSUE_WELCOME = """
INSERT INTO read.referral_welcome_codes (aggregate_id, tenant_id, client_id, issued_at)
VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING
"""

# -- later events: the owner comes from the creation's row ---------------------------------

ADD_VISIT = """
INSERT INTO read.referral_visits (tenant_id, referrer_client_id, visitor_id, visited_at)
SELECT tenant_id, client_id, %(visitor)s, %(at)s FROM read.referral_links
WHERE aggregate_id = %(agg)s
ON CONFLICT DO NOTHING
"""

BOOK = """
UPDATE read.referral_referees
SET referrer_client_id = %(referrer)s, visitor_id = %(visitor)s, booked_at = %(at)s
WHERE aggregate_id = %(agg)s
"""

COMPLETE = "UPDATE read.referral_referees SET completed_at = %(at)s WHERE aggregate_id = %(agg)s"

REFUSE = """
INSERT INTO read.referral_refusals
    (tenant_id, referee_client_id, booking_id, referrer_client_id, reason, refused_at, visitor_id)
SELECT tenant_id, client_id, %(booking)s, %(referrer)s, %(reason)s, %(at)s, %(visitor)s
FROM read.referral_referees WHERE aggregate_id = %(agg)s
ON CONFLICT DO NOTHING
"""

REWARD = """
UPDATE read.referral_referees SET reward_delivery = %(delivery)s WHERE aggregate_id = %(agg)s
"""

ISSUE_CREDIT = """
INSERT INTO read.referral_credits
    (account_id, credit_id, tenant_id, client_id, version, amount_minor, currency, percent)
SELECT aggregate_id, %(credit)s, tenant_id, client_id, %(version)s,
       %(amount)s, %(currency)s, %(percent)s
FROM read.referral_credit_accounts WHERE aggregate_id = %(agg)s
ON CONFLICT DO NOTHING
"""

REDEEM_WELCOME = """
UPDATE read.referral_welcome_codes SET redeemed_at = %(at)s WHERE aggregate_id = %(agg)s
"""

# As ``CreditAccount``: a percentage credit is used whole by the one use that lists it, a fixed
# credit once its parts add up to its amount. SET reads the row as it was before the update.
USE_CREDIT = """
UPDATE read.referral_credits
SET used_minor = used_minor + %(minor)s,
    used = percent IS NOT NULL OR used_minor + %(minor)s >= amount_minor
WHERE account_id = %(agg)s AND credit_id = %(credit)s
"""

RECORD_USE = """
INSERT INTO read.referral_credit_uses (tenant_id, client_id, booking_id, amount_minor, currency)
SELECT tenant_id, client_id, %(booking)s, %(amount)s, %(currency)s
FROM read.referral_credit_accounts WHERE aggregate_id = %(agg)s
ON CONFLICT DO NOTHING
"""

STATEMENTS = (
    ADD_LINK,
    ADD_REFEREE,
    OPEN_ACCOUNT,
    ISSUE_WELCOME,
    ADD_VISIT,
    BOOK,
    COMPLETE,
    REFUSE,
    REWARD,
    ISSUE_CREDIT,
    REDEEM_WELCOME,
    USE_CREDIT,
    RECORD_USE,
)
"""The order a batch runs its statements in (see the module's docstring)."""


def _statements(event: Any) -> Iterator[tuple[str, Row]]:
    """The statements one event makes, with their parameters; none for events not projected."""
    agg = event.originator_id
    match kind := type(event).__qualname__:
        case "ReferralLink.Created":
            yield ADD_LINK, (agg, event.tenant_id, event.client_id, event.code, event.created_at)
        case "ReferralLink.Visited" if event.outcome == "invited":
            yield ADD_VISIT, {"agg": agg, "visitor": event.visitor_id, "at": event.visited_at}
        case "WelcomeCode.Issued":
            yield ISSUE_WELCOME, (agg, event.tenant_id, event.client_id, event.issued_at)
        case "SingleUseCode.Redeemed":  # a welcome code's: the only codes of this store
            yield REDEEM_WELCOME, {"agg": agg, "at": event.redeemed_at}
        case _ if kind.startswith("Referee."):
            yield from _referee_statements(kind, event)
        case _ if kind.startswith("CreditAccount."):
            yield from _credit_statements(kind, event)


def _referee_statements(kind: str, event: Any) -> Iterator[tuple[str, Row]]:
    agg = event.originator_id
    match kind:
        case "Referee.FirstSeen":
            yield ADD_REFEREE, (agg, event.tenant_id, event.client_id)
        case "Referee.Booked":
            yield (
                BOOK,
                {
                    "agg": agg,
                    "referrer": event.referrer_client_id,
                    "visitor": event.visitor_id,
                    "at": event.booked_at,
                },
            )
        case "Referee.Completed":
            yield COMPLETE, {"agg": agg, "at": event.completed_at}
        case "Referee.Refused":
            yield (
                REFUSE,
                {
                    "agg": agg,
                    "booking": event.booking_id,
                    "referrer": event.referrer_client_id,
                    "reason": event.reason,
                    "at": event.refused_at,
                    "visitor": getattr(event, "visitor_id", None),
                },
            )
        case "Referee.ReferrerRewarded":
            yield REWARD, {"agg": agg, "delivery": event.delivery}


def _credit_statements(kind: str, event: Any) -> Iterator[tuple[str, Row]]:
    agg = event.originator_id
    match kind:
        case "CreditAccount.Opened":
            yield OPEN_ACCOUNT, (agg, event.tenant_id, event.client_id)
        case "CreditAccount.Issued":
            yield (
                ISSUE_CREDIT,
                {
                    "agg": agg,
                    "credit": event.credit_id,
                    "version": event.originator_version,
                    "amount": event.value["amount_minor"],
                    "currency": event.value["currency"],
                    "percent": event.value["percent"],
                },
            )
        case "CreditAccount.Applied":
            for credit_id, minor in event.parts:
                yield USE_CREDIT, {"agg": agg, "credit": credit_id, "minor": minor}
            yield (
                RECORD_USE,
                {
                    "agg": agg,
                    "booking": event.booking_id,
                    "amount": event.amount_minor,
                    "currency": event.currency,
                },
            )


class ReferralsProjection(StatementProjection):
    """Keeps the ``read.referral_*`` tables from the referrals service's events."""

    name = NAME
    ddl = DDL
    tables = TABLES
    statements = STATEMENTS

    def rows(self, event: Any) -> Iterator[tuple[str, Row]]:
        return _statements(event)


# -- queries -------------------------------------------------------------------------------

STAGE_COLOURS = {"invited": "red", "booked": "amber", "completed": "green", "refused": "grey"}

# A visit is only an invitation while nobody has booked with that visitor id through the same
# referrer's link, and no booking of theirs through it was refused (``v`` is the visit).
NOT_BOOKED = """NOT EXISTS (
    SELECT 1 FROM read.referral_referees b
    WHERE b.tenant_id = v.tenant_id AND b.referrer_client_id = v.referrer_client_id
      AND b.visitor_id = v.visitor_id
) AND NOT EXISTS (
    SELECT 1 FROM read.referral_refusals f
    WHERE f.tenant_id = v.tenant_id AND f.referrer_client_id = v.referrer_client_id
      AND f.visitor_id = v.visitor_id
)"""

CLIENT_REFERRALS = f"""
SELECT * FROM (
    SELECT r.client_id AS referred_client_id, r.visitor_id,
           CASE WHEN r.completed_at IS NULL THEN 'booked' ELSE 'completed' END AS stage,
           v.visited_at AS invited_at, r.booked_at, r.completed_at,
           NULL::text AS refusal_reason
    FROM read.referral_referees r
    LEFT JOIN read.referral_visits v ON v.tenant_id = r.tenant_id
        AND v.referrer_client_id = r.referrer_client_id AND v.visitor_id = r.visitor_id
    WHERE r.tenant_id = %(tenant)s AND r.referrer_client_id = %(client)s
    UNION ALL
    SELECT NULL, v.visitor_id, 'invited', v.visited_at, NULL, NULL, NULL
    FROM read.referral_visits v
    WHERE v.tenant_id = %(tenant)s AND v.referrer_client_id = %(client)s AND {NOT_BOOKED}
    UNION ALL
    SELECT f.referee_client_id, f.visitor_id, 'refused', NULL, f.refused_at, NULL, f.reason
    FROM read.referral_refusals f
    WHERE %(refused)s AND f.tenant_id = %(tenant)s AND f.referrer_client_id = %(client)s
) referrals
ORDER BY greatest(invited_at, booked_at, completed_at) DESC, referred_client_id, visitor_id
"""


@dataclass(frozen=True)
class ReferralRow:
    """A row of the client's referrals board."""

    referred_client_id: str | None
    """None while only invited."""
    visitor_id: str | None
    """The visitor while only invited, or the one the referral's booking named."""
    stage: str
    """ "invited" | "booked" | "completed" | "refused"."""
    colour: str
    """ "red" | "amber" | "green", and "grey" for refused."""
    invited_at: datetime | None
    booked_at: datetime | None
    """For a refused row: when the refused booking was made."""
    completed_at: datetime | None
    refusal_reason: str | None


def client_referrals(
    conn: psycopg.Connection[Any], tenant_id: str, client_id: str, *, include_refused: bool = False
) -> list[ReferralRow]:
    """Everyone the client referred, most recent first (by the latest of the row's times).

    A visit and the booking that named its visitor are one row, whichever came first; visits by
    the client themself never appear, and refused bookings only with ``include_refused``.
    """
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            CLIENT_REFERRALS,
            {"tenant": tenant_id, "client": client_id, "refused": include_refused},
        ).fetchall()
    return [ReferralRow(colour=STAGE_COLOURS[row["stage"]], **row) for row in rows]


@dataclass(frozen=True)
class CreditBanner:
    """The client's unused referral credit, for the portal's banner."""

    amounts: dict[str, int]
    """Currency -> unused minor units on fixed credits."""
    percents: list[int]
    """Unused percentage credits, oldest first."""


def credit_banner(
    conn: psycopg.Connection[Any], tenant_id: str, client_id: str
) -> CreditBanner | None:
    """The client's unused credit, or None when there is none."""
    with conn.cursor(row_factory=tuple_row) as cur:
        rows = cur.execute(
            "SELECT percent, currency, amount_minor - used_minor FROM read.referral_credits"
            " WHERE tenant_id = %s AND client_id = %s AND NOT used ORDER BY version",
            (tenant_id, client_id),
        ).fetchall()
    amounts: dict[str, int] = {}
    percents: list[int] = []
    for percent, currency, left in rows:
        if percent is not None:
            percents.append(percent)
        else:
            amounts[currency] = amounts.get(currency, 0) + left
    return CreditBanner(amounts, percents) if rows else None


@dataclass(frozen=True)
class ReferralSummary:
    """The tenant's referral programme in numbers."""

    invited: int
    """Visitors not (yet) booked."""
    booked: int
    completed: int
    refused: int
    referrers: int
    """Clients with at least one referral, invitation or refused booking through their link
    (their own visits and bookings through it aside)."""
    credits_issued: int
    credit_amounts_issued: dict[str, int]
    """Currency -> minor units issued as fixed credits."""
    credit_amounts_used: dict[str, int]
    """Currency -> minor units credit took off bookings (percentage credits' share included)."""
    rewards_alerted: int
    """Rewards given by an alert to the business rather than as a credit."""
    welcome_codes_issued: int
    welcome_codes_redeemed: int
    booking_rate: float | None
    """(booked + completed) / (invited + booked + completed); None when nobody was referred."""
    completion_rate: float | None
    """completed / (invited + booked + completed)."""


SUMMARY_COUNTS = f"""
SELECT
    (SELECT count(*) FROM read.referral_visits v
     WHERE v.tenant_id = %(tenant)s AND {NOT_BOOKED}) AS invited,
    r.booked, r.completed,
    (SELECT count(*) FROM read.referral_refusals WHERE tenant_id = %(tenant)s) AS refused,
    (SELECT count(*) FROM (
        SELECT referrer_client_id FROM read.referral_visits WHERE tenant_id = %(tenant)s
        UNION
        SELECT referrer_client_id FROM read.referral_referees
        WHERE tenant_id = %(tenant)s AND referrer_client_id IS NOT NULL
        UNION
        SELECT referrer_client_id FROM read.referral_refusals
        WHERE tenant_id = %(tenant)s AND reason <> 'self_referral'
    ) referrers) AS referrers,
    (SELECT count(*) FROM read.referral_credits WHERE tenant_id = %(tenant)s) AS credits_issued,
    r.rewards_alerted,
    w.welcome_codes_issued, w.welcome_codes_redeemed
FROM (
    SELECT count(*) FILTER (WHERE completed_at IS NULL) AS booked,
           count(completed_at) AS completed,
           count(*) FILTER (WHERE reward_delivery = 'alert') AS rewards_alerted
    FROM read.referral_referees
    WHERE tenant_id = %(tenant)s AND referrer_client_id IS NOT NULL
) r, (
    SELECT count(*) AS welcome_codes_issued, count(redeemed_at) AS welcome_codes_redeemed
    FROM read.referral_welcome_codes WHERE tenant_id = %(tenant)s
) w
"""

SUMMARY_AMOUNTS = """
SELECT 'issued', currency, sum(amount_minor)::bigint FROM read.referral_credits
WHERE tenant_id = %(tenant)s AND percent IS NULL GROUP BY currency
UNION ALL
SELECT 'used', currency, sum(amount_minor)::bigint FROM read.referral_credit_uses
WHERE tenant_id = %(tenant)s GROUP BY currency
"""


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def referral_summary(conn: psycopg.Connection[Any], tenant_id: str) -> ReferralSummary:
    """The tenant's referral numbers: referrals by stage, credits, alerts and welcome codes."""
    params = {"tenant": tenant_id}
    with conn.cursor(row_factory=dict_row) as cur:
        [counts] = cur.execute(SUMMARY_COUNTS, params).fetchall()
    amounts: dict[str, dict[str, int]] = {"issued": {}, "used": {}}
    with conn.cursor(row_factory=tuple_row) as cur:
        for kind, currency, minor in cur.execute(SUMMARY_AMOUNTS, params).fetchall():
            amounts[kind][currency] = minor
    referred = counts["invited"] + counts["booked"] + counts["completed"]
    return ReferralSummary(
        **counts,
        credit_amounts_issued=amounts["issued"],
        credit_amounts_used=amounts["used"],
        booking_rate=_rate(counts["booked"] + counts["completed"], referred),
        completion_rate=_rate(counts["completed"], referred),
    )


def client_link_code(conn: psycopg.Connection[Any], tenant_id: str, client_id: str) -> str | None:
    """The code of the client's referral link, once it has been made."""
    with conn.cursor(row_factory=tuple_row) as cur:
        row = cur.execute(
            "SELECT code FROM read.referral_links WHERE tenant_id = %s AND client_id = %s"
            " ORDER BY created_at LIMIT 1",
            (tenant_id, client_id),
        ).fetchone()
    return None if row is None else str(row[0])
