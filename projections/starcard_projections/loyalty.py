"""Loyalty read models: the most-loyal-clients list, the stars pill and the client's loyalty card.

Visits are kept one row per booking, as the loyalty service recorded them; a client's stars are
re-derived from those rows under the tenant's current counting setting, the same rule as
``ClientLoyalty.stars``: a visit (back-to-back parts share a ``visit_key``) is a star when one of
its parts was booked at full price and the client has no label discount, or when the tenant
counts discounted sessions too. Changing that setting
re-derives every client of the tenant in one statement.

Rewards are kept one row per milestone reached (``read.loyalty_rewards``), following the
``ClientLoyalty`` reward events: queued, then outstanding (a code) or sent (a message only), then
redeemed or expired. The client's outstanding code is copied onto its ``loyalty_clients`` row, so
the most-loyal list flags it without a join. A studio's attendance automation rewards through the
same queue (``milestone_id`` ``attendance-<automation id>``): its row is a reward like any other,
and its code the client's outstanding code, while the card's next reward is only ever a loyalty
milestone (``starcard_projections.attendance`` keeps the automations themselves).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple
from uuid import UUID

import psycopg
from psycopg.rows import class_row, dict_row

NAME = "loyalty"

DDL = """
CREATE TABLE IF NOT EXISTS read.loyalty_programmes (
    tenant_id text PRIMARY KEY,
    programme_id uuid NOT NULL UNIQUE,
    name text NOT NULL,
    count_discounted_sessions boolean NOT NULL DEFAULT false
);
CREATE TABLE IF NOT EXISTS read.loyalty_milestones (
    tenant_id text NOT NULL,
    milestone_id text NOT NULL,
    session_count integer NOT NULL,
    message text NOT NULL,
    discount_percent integer,
    min_minutes integer NOT NULL,
    active boolean NOT NULL,
    PRIMARY KEY (tenant_id, milestone_id)
);
CREATE TABLE IF NOT EXISTS read.loyalty_clients (
    tenant_id text NOT NULL,
    client_id text NOT NULL,
    aggregate_id uuid NOT NULL UNIQUE,
    stars integer NOT NULL DEFAULT 0,
    sessions integer NOT NULL DEFAULT 0,
    milestones_reached integer NOT NULL DEFAULT 0,
    last_visit_at timestamptz,
    label_discount boolean NOT NULL DEFAULT false,
    outstanding_code text,
    outstanding_expires_at timestamptz,
    PRIMARY KEY (tenant_id, client_id)
);
ALTER TABLE read.loyalty_clients
    ADD COLUMN IF NOT EXISTS outstanding_code text,
    ADD COLUMN IF NOT EXISTS outstanding_expires_at timestamptz;
CREATE INDEX IF NOT EXISTS loyalty_clients_most_loyal
    ON read.loyalty_clients (tenant_id, stars DESC, sessions DESC, client_id);
CREATE TABLE IF NOT EXISTS read.loyalty_visits (
    tenant_id text NOT NULL,
    client_id text NOT NULL,
    booking_id text NOT NULL,
    visit_key text,
    minutes integer,
    full_price boolean,
    occurred_at timestamptz,
    cancelled boolean NOT NULL DEFAULT false,
    PRIMARY KEY (tenant_id, client_id, booking_id)
);
CREATE TABLE IF NOT EXISTS read.loyalty_reached (
    tenant_id text NOT NULL,
    client_id text NOT NULL,
    milestone_id text NOT NULL,
    session_count integer NOT NULL,
    reached_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, client_id, milestone_id)
);
CREATE TABLE IF NOT EXISTS read.loyalty_rewards (
    tenant_id text NOT NULL,
    client_id text NOT NULL,
    milestone_id text NOT NULL,
    message text NOT NULL,
    discount_percent integer,
    code text,
    status text NOT NULL
        CHECK (status IN ('queued', 'outstanding', 'sent', 'redeemed', 'expired')),
    queued_at timestamptz,
    issued_at timestamptz,
    expires_at timestamptz,
    redeemed_at timestamptz,
    booking_id text,
    PRIMARY KEY (tenant_id, client_id, milestone_id)
);
"""

TABLES = (
    "read.loyalty_programmes",
    "read.loyalty_milestones",
    "read.loyalty_clients",
    "read.loyalty_visits",
    "read.loyalty_reached",
    "read.loyalty_rewards",
)

UPSERT_VISIT = """
INSERT INTO read.loyalty_visits
    (tenant_id, client_id, booking_id, visit_key, minutes, full_price, occurred_at)
VALUES (%s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (tenant_id, client_id, booking_id) DO UPDATE SET
    visit_key = excluded.visit_key, minutes = excluded.minutes,
    full_price = excluded.full_price, occurred_at = excluded.occurred_at
"""

CANCEL_VISIT = """
INSERT INTO read.loyalty_visits (tenant_id, client_id, booking_id, cancelled)
VALUES (%s, %s, %s, true)
ON CONFLICT (tenant_id, client_id, booking_id) DO UPDATE SET cancelled = true
"""

# Index-driven per client (LATERAL on the primary keys), so the plan does not depend on table
# statistics, which lag far behind while a projection fills its tables from empty.
RECOMPUTE = """
UPDATE read.loyalty_clients c SET
    stars = s.stars, sessions = s.sessions, last_visit_at = s.last_at,
    milestones_reached = s.reached
FROM (
    SELECT c2.tenant_id, c2.client_id, t.stars, t.sessions, t.last_at, r.reached
    FROM {clients}
    JOIN read.loyalty_programmes p ON p.tenant_id = c2.tenant_id
    CROSS JOIN LATERAL (
        SELECT count(*) FILTER (
                   WHERE (v.full_price AND NOT c2.label_discount) OR p.count_discounted_sessions
               ) AS stars,
               count(*) AS sessions, max(v.last_at) AS last_at
        FROM (
            SELECT bool_or(full_price) AS full_price, max(occurred_at) AS last_at
            FROM read.loyalty_visits
            WHERE tenant_id = c2.tenant_id AND client_id = c2.client_id
              AND minutes IS NOT NULL AND NOT cancelled
            GROUP BY visit_key
        ) v
    ) t
    CROSS JOIN LATERAL (
        SELECT count(*) AS reached FROM read.loyalty_reached m
        WHERE m.tenant_id = c2.tenant_id AND m.client_id = c2.client_id
    ) r
) s
WHERE c.tenant_id = s.tenant_id AND c.client_id = s.client_id
"""

RECOMPUTE_CLIENTS = RECOMPUTE.format(
    clients="unnest(%(t)s::text[], %(c)s::text[]) AS d (tenant_id, client_id)"
    " JOIN read.loyalty_clients c2"
    " ON c2.tenant_id = d.tenant_id AND c2.client_id = d.client_id"
)
RECOMPUTE_TENANTS = RECOMPUTE.format(
    clients="(SELECT * FROM read.loyalty_clients WHERE tenant_id = ANY(%(tenants)s::text[])) c2"
)

# One statement for a reward queued and for a reward issued, so a batch writes them in event order
# with one ``executemany``; issuing a queued reward keeps when it was queued.
UPSERT_REWARD = """
INSERT INTO read.loyalty_rewards AS r
    (tenant_id, client_id, milestone_id, message, discount_percent, code, status,
     queued_at, issued_at, expires_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (tenant_id, client_id, milestone_id) DO UPDATE SET
    message = excluded.message, discount_percent = excluded.discount_percent,
    code = excluded.code, status = excluded.status,
    queued_at = coalesce(excluded.queued_at, r.queued_at),
    issued_at = excluded.issued_at, expires_at = excluded.expires_at
"""

SETTLE_REWARD = """
UPDATE read.loyalty_rewards SET status = %s, redeemed_at = %s, booking_id = %s
WHERE tenant_id = %s AND client_id = %s AND code = %s
"""

# "Only one outstanding reward shows at a time": the latest issued code still outstanding.
SET_OUTSTANDING = """
UPDATE read.loyalty_clients c SET
    outstanding_code = o.code, outstanding_expires_at = o.expires_at
FROM unnest(%(t)s::text[], %(c)s::text[]) AS d (tenant_id, client_id)
LEFT JOIN LATERAL (
    SELECT r.code, r.expires_at FROM read.loyalty_rewards r
    WHERE r.tenant_id = d.tenant_id AND r.client_id = d.client_id AND r.status = 'outstanding'
    ORDER BY r.issued_at DESC LIMIT 1
) o ON true
WHERE c.tenant_id = d.tenant_id AND c.client_id = d.client_id
"""


class _RewardRow(NamedTuple):
    """A reward queued or issued: its aggregate, then ``UPSERT_REWARD``'s values after the
    owner's."""

    agg: UUID
    milestone_id: str
    message: str
    discount_percent: int | None
    code: str | None
    status: str
    queued_at: datetime | None
    issued_at: datetime | None
    expires_at: datetime | None


@dataclass
class _Changes:
    """What one batch of loyalty events changes, gathered so it is written set-wise."""

    clients: dict[UUID, tuple[str, str]]
    visits: dict[tuple[UUID, str], tuple[Any, ...]]
    cancellations: set[tuple[UUID, str]]
    reached: list[tuple[UUID, str, int, datetime]]
    labels: dict[UUID, bool]
    programme_ops: list[tuple[str, tuple[Any, ...]]]
    recount_tenants: set[UUID]
    rewards: list[_RewardRow] = field(default_factory=list)
    """Rewards queued or issued, in event order."""
    settled: list[tuple[UUID, str, datetime | None, str | None, str]] = field(default_factory=list)
    """Codes redeemed or expired: ``(aggregate, status, redeemed_at, booking_id, code)``."""

    @property
    def rewarded(self) -> set[UUID]:
        return {agg for agg, *_ in self.rewards} | {agg for agg, *_ in self.settled}


class LoyaltyProjection:
    """Keeps the ``read.loyalty_*`` tables from the loyalty service's events."""

    name = NAME
    ddl = DDL
    tables = TABLES
    aggregates = frozenset({"ClientLoyalty", "LoyaltyProgramme"})

    def __init__(self) -> None:
        self._owners: dict[UUID, tuple[str, str]] = {}

    def reset(self) -> None:
        self._owners.clear()

    def apply(self, conn: psycopg.Connection[Any], events: Sequence[Any]) -> None:
        """Apply a batch of domain events inside the caller's transaction."""
        changes = _Changes({}, {}, set(), [], {}, [], set())
        for event in events:
            self._gather(event, changes)
        with conn.cursor() as cur:
            for statement, params in changes.programme_ops:
                cur.execute(statement, params)
            if changes.clients:
                cur.executemany(
                    "INSERT INTO read.loyalty_clients (tenant_id, client_id, aggregate_id)"
                    " VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                    [(t, c, agg) for agg, (t, c) in changes.clients.items()],
                )
                self._owners.update(changes.clients)
            self._resolve_owners(cur, changes)
            cur.executemany(
                UPSERT_VISIT,
                [
                    (*self._owners[agg], booking, *rest)
                    for (agg, booking), rest in changes.visits.items()
                ],
            )
            cur.executemany(
                CANCEL_VISIT,
                [(*self._owners[agg], booking) for agg, booking in changes.cancellations],
            )
            cur.executemany(
                "INSERT INTO read.loyalty_reached VALUES (%s, %s, %s, %s, %s)"
                " ON CONFLICT DO NOTHING",
                [(*self._owners[agg], m, n, at) for agg, m, n, at in changes.reached],
            )
            cur.executemany(
                "UPDATE read.loyalty_clients SET label_discount = %s WHERE aggregate_id = %s",
                [(label, agg) for agg, label in changes.labels.items()],
            )
            cur.executemany(
                UPSERT_REWARD,
                [(*self._owners[reward.agg], *reward[1:]) for reward in changes.rewards],
            )
            cur.executemany(
                SETTLE_REWARD,
                [
                    (status, at, booking, *self._owners[agg], code)
                    for agg, status, at, booking, code in changes.settled
                ],
            )
            if rewarded := changes.rewarded:
                owners = [self._owners[agg] for agg in rewarded]
                cur.execute(
                    SET_OUTSTANDING, {"t": [t for t, _ in owners], "c": [c for _, c in owners]}
                )
            dirty = self._touched(changes)
            if dirty:
                owners = [self._owners[agg] for agg in dirty]
                cur.execute(
                    RECOMPUTE_CLIENTS,
                    {"t": [t for t, _ in owners], "c": [c for _, c in owners]},
                )
            if changes.recount_tenants:
                cur.execute(
                    "SELECT tenant_id FROM read.loyalty_programmes WHERE programme_id = ANY(%s)",
                    (list(changes.recount_tenants),),
                )
                tenants = [row[0] for row in cur.fetchall()]
                cur.execute(RECOMPUTE_TENANTS, {"tenants": tenants})

    @staticmethod
    def _touched(changes: _Changes) -> set[UUID]:
        touched = {agg for agg, _ in changes.visits} | {agg for agg, _ in changes.cancellations}
        return touched | {agg for agg, *_ in changes.reached} | set(changes.labels)

    def _resolve_owners(self, cur: psycopg.Cursor[Any], changes: _Changes) -> None:
        wanted = self._touched(changes) | changes.rewarded
        missing = [agg for agg in wanted if agg not in self._owners]
        if missing:
            cur.execute(
                "SELECT aggregate_id, tenant_id, client_id FROM read.loyalty_clients"
                " WHERE aggregate_id = ANY(%s)",
                (missing,),
            )
            for agg, tenant_id, client_id in cur.fetchall():
                self._owners[agg] = (tenant_id, client_id)

    @staticmethod
    def _gather_reward(kind: str, agg: UUID, event: Any, changes: _Changes) -> None:
        """A reward is queued, then issued (a code: outstanding; a message only: sent), then its
        code is redeemed or expires."""
        match kind:
            case "ClientLoyalty.RewardQueued":
                changes.rewards.append(
                    _RewardRow(
                        agg,
                        event.milestone_id,
                        event.message,
                        event.discount_percent,
                        code=None,
                        status="queued",
                        queued_at=event.queued_at,
                        issued_at=None,
                        expires_at=None,
                    )
                )
            case "ClientLoyalty.RewardIssued":
                changes.rewards.append(
                    _RewardRow(
                        agg,
                        event.milestone_id,
                        event.message,
                        event.discount_percent,
                        code=event.code,
                        status="sent" if event.code is None else "outstanding",
                        queued_at=None,
                        issued_at=event.issued_at,
                        expires_at=event.expires_at,
                    )
                )
            case "ClientLoyalty.RewardRedeemed":
                changes.settled.append(
                    (agg, "redeemed", event.redeemed_at, event.booking_id, event.code)
                )
            case "ClientLoyalty.RewardExpired":
                changes.settled.append((agg, "expired", None, None, event.code))

    def _gather(self, event: Any, changes: _Changes) -> None:
        kind = type(event).__qualname__
        agg: UUID = event.originator_id
        programme = "SELECT tenant_id FROM read.loyalty_programmes WHERE programme_id = %s"
        match kind:
            case "ClientLoyalty.Started":
                changes.clients[agg] = (event.tenant_id, event.client_id)
            case "ClientLoyalty.AppointmentRecorded":
                changes.visits[(agg, event.booking_id)] = (
                    event.visit_key,
                    event.minutes,
                    event.full_price,
                    event.occurred_at,
                )
            case "ClientLoyalty.BookingCancelled":
                changes.cancellations.add((agg, event.booking_id))
            case "ClientLoyalty.LabelsChanged":
                changes.labels[agg] = event.has_label_discount
            case "ClientLoyalty.MilestoneReached":
                changes.reached.append(
                    (agg, event.milestone_id, event.session_count, event.reached_at)
                )
            case (
                "ClientLoyalty.RewardQueued"
                | "ClientLoyalty.RewardIssued"
                | "ClientLoyalty.RewardRedeemed"
                | "ClientLoyalty.RewardExpired"
            ):
                self._gather_reward(kind, agg, event, changes)
            case "LoyaltyProgramme.Opened":
                changes.programme_ops.append(
                    (
                        "INSERT INTO read.loyalty_programmes (tenant_id, programme_id, name)"
                        " VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                        (event.tenant_id, agg, event.name),
                    )
                )
            case "LoyaltyProgramme.MilestoneAdded" | "LoyaltyProgramme.MilestoneEdited":
                changes.programme_ops.append(
                    (
                        "INSERT INTO read.loyalty_milestones"
                        " SELECT tenant_id, %s, %s, %s, %s, %s, true"
                        f" FROM ({programme}) p ON CONFLICT (tenant_id, milestone_id) DO UPDATE SET"
                        " session_count = excluded.session_count, message = excluded.message,"
                        " discount_percent = excluded.discount_percent,"
                        " min_minutes = excluded.min_minutes",
                        (
                            event.milestone_id,
                            event.session_count,
                            event.message,
                            event.discount_percent,
                            event.min_minutes,
                            agg,
                        ),
                    )
                )
            case "LoyaltyProgramme.MilestoneActivated" | "LoyaltyProgramme.MilestoneDeactivated":
                changes.programme_ops.append(
                    (
                        "UPDATE read.loyalty_milestones SET active = %s"
                        f" WHERE milestone_id = %s AND tenant_id = ({programme})",
                        (kind == "LoyaltyProgramme.MilestoneActivated", event.milestone_id, agg),
                    )
                )
            case "LoyaltyProgramme.MilestoneDeleted":
                changes.programme_ops.append(
                    (
                        f"DELETE FROM read.loyalty_milestones WHERE milestone_id = %s"
                        f" AND tenant_id = ({programme})",
                        (event.milestone_id, agg),
                    )
                )
            case "LoyaltyProgramme.CountingChanged":
                changes.programme_ops.append(
                    (
                        "UPDATE read.loyalty_programmes SET count_discounted_sessions = %s"
                        " WHERE programme_id = %s",
                        (event.count_discounted_sessions, agg),
                    )
                )
                changes.recount_tenants.add(agg)


# -- queries -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoyalClient:
    """A row of the most-loyal-clients list."""

    client_id: str
    stars: int
    sessions: int
    last_visit_at: datetime | None
    outstanding_reward: bool
    """The client holds an unused, unexpired code: "a client who might appreciate a personal
    nudge to come back and use it"."""


@dataclass(frozen=True)
class ClientSummary:
    """What the "X stars" pill on a client's profile needs."""

    client_id: str
    sessions: int
    stars: int
    show_stars_pill: bool


def most_loyal(
    conn: psycopg.Connection[Any],
    tenant_id: str,
    *,
    limit: int,
    offset: int,
    at: datetime | None = None,
) -> tuple[list[LoyalClient], int]:
    """Clients by stars, then sessions, most loyal first; and how many there are in all.

    A code is outstanding until it is redeemed or expires; ``at`` (now by default) is the moment
    its expiry is judged, so a code past its date is not flagged while the expiry is on its way.
    """
    with conn.cursor(row_factory=class_row(LoyalClient)) as cur:
        rows = cur.execute(
            "SELECT client_id, stars, sessions, last_visit_at,"
            " coalesce(outstanding_expires_at > %s, false) AS outstanding_reward"
            " FROM read.loyalty_clients"
            " WHERE tenant_id = %s ORDER BY stars DESC, sessions DESC, client_id"
            " LIMIT %s OFFSET %s",
            (at or datetime.now(UTC), tenant_id, limit, offset),
        ).fetchall()
    count = conn.execute(
        "SELECT count(*) FROM read.loyalty_clients WHERE tenant_id = %s", (tenant_id,)
    ).fetchone()
    return rows, count[0] if count else 0


def client_summary(
    conn: psycopg.Connection[Any], tenant_id: str, client_id: str
) -> ClientSummary | None:
    """The pill shows only while the tenant has at least one active milestone."""
    with conn.cursor(row_factory=class_row(ClientSummary)) as cur:
        return cur.execute(
            "SELECT client_id, sessions, stars, EXISTS (SELECT 1 FROM read.loyalty_milestones m"
            " WHERE m.tenant_id = c.tenant_id AND m.active) AS show_stars_pill"
            " FROM read.loyalty_clients c WHERE tenant_id = %s AND client_id = %s",
            (tenant_id, client_id),
        ).fetchone()


# -- the client's loyalty card --------------------------------------------------------------

REWARD_LABEL_LENGTH = 24
"""How much of a message-only reward's text fits on the card's last circle."""


def min_minutes_label(min_minutes: int) -> str | None:
    """The amber "60+ min" pill of a milestone with a minimum length; None when any length
    counts."""
    return f"{min_minutes}+ min" if min_minutes else None


def reward_label(discount_percent: int | None, message: str) -> str:
    """What sits on the card's final circle: "the reward (e.g. "10% off")", or the start of the
    message when the reward is a message only."""
    if discount_percent is not None:
        return f"{discount_percent}% off"
    if len(message) <= REWARD_LABEL_LENGTH:
        return message
    cut = message[:REWARD_LABEL_LENGTH]
    whole_words = cut.rsplit(" ", 1)[0] if " " in cut.strip() else cut[:-1]
    return whole_words.rstrip(" ,.;:!-") + "\u2026"


@dataclass(frozen=True)
class NextReward:
    """The reward a client is working toward: the first active milestone (fewest sessions, then
    shortest minimum) they have not reached, and how many of their visits count toward it."""

    milestone_id: str
    session_count: int
    min_minutes: int
    message: str
    discount_percent: int | None
    counted: int
    """Visits counting toward it: qualifying (the stars rule) and, summed back-to-back, at least
    its minimum length."""

    @property
    def stars(self) -> int:
        """Gold stars stamped toward this reward."""
        return min(self.counted, self.session_count)

    @property
    def circles(self) -> int:
        """Every place on the card, the reward's own last one included."""
        return self.session_count

    @property
    def to_go(self) -> int:
        return self.session_count - self.stars

    @property
    def reward_label(self) -> str:
        return reward_label(self.discount_percent, self.message)

    @property
    def min_minutes_label(self) -> str | None:
        return min_minutes_label(self.min_minutes)

    @property
    def sessions_to_go_text(self) -> str:
        """ "3 more 60+ min sessions to go", so a milestone's minimum "is visible to them too"."""
        if not self.to_go:
            # Counted but not yet reached (the milestone was added or eased since): the loyalty
            # service reaches it when it records the client's next appointment.
            return "Your reward comes with your next session"
        kind = f"{self.min_minutes_label} session" if self.min_minutes else "session"
        return f"{self.to_go} more {kind}{'' if self.to_go == 1 else 's'} to go"


@dataclass(frozen=True)
class OutstandingReward:
    """The code the card flips to show "until they use it"."""

    code: str
    discount_percent: int
    expires_at: datetime
    message: str


@dataclass(frozen=True)
class LoyaltyCard:
    """What a client sees on their dashboard."""

    client_id: str
    total_stars: int
    next_reward: NextReward | None
    """None once the client has reached every active milestone."""
    outstanding: OutstandingReward | None
    """The one unused code, when there is one: the card shows it instead of the stars."""

    @property
    def all_rewards_earned(self) -> bool:
        return self.next_reward is None


# One round trip: the tenant's programme (no row, no card), the client's row (absent before a
# first visit: an empty card), the next milestone with its count, and the outstanding code.
CARD = """
SELECT coalesce(c.stars, 0) AS total_stars, n.milestone_id, n.session_count, n.min_minutes,
       n.message, n.discount_percent, t.counted,
       o.code, o.discount_percent AS code_discount_percent, o.expires_at, o.message AS code_message
FROM read.loyalty_programmes p
LEFT JOIN read.loyalty_clients c ON c.tenant_id = p.tenant_id AND c.client_id = %(client)s
LEFT JOIN LATERAL (
    SELECT m.milestone_id, m.session_count, m.min_minutes, m.message, m.discount_percent
    FROM read.loyalty_milestones m
    WHERE m.tenant_id = p.tenant_id AND m.active AND NOT EXISTS (
        SELECT 1 FROM read.loyalty_reached r
        WHERE r.tenant_id = p.tenant_id AND r.client_id = %(client)s
          AND r.milestone_id = m.milestone_id
    )
    ORDER BY m.session_count, m.min_minutes, m.milestone_id
    LIMIT 1
) n ON true
LEFT JOIN LATERAL (
    SELECT count(*) FILTER (
               WHERE ((v.full_price AND NOT coalesce(c.label_discount, false))
                      OR p.count_discounted_sessions)
                 AND v.minutes >= n.min_minutes
           ) AS counted
    FROM (
        SELECT sum(minutes) AS minutes, bool_or(full_price) AS full_price
        FROM read.loyalty_visits
        WHERE tenant_id = p.tenant_id AND client_id = %(client)s
          AND minutes IS NOT NULL AND NOT cancelled
        GROUP BY visit_key
    ) v
) t ON n.milestone_id IS NOT NULL
LEFT JOIN LATERAL (
    SELECT w.code, w.discount_percent, w.expires_at, w.message
    FROM read.loyalty_rewards w
    WHERE w.tenant_id = p.tenant_id AND w.client_id = %(client)s
      AND w.status = 'outstanding' AND w.expires_at > %(at)s
    ORDER BY w.issued_at DESC
    LIMIT 1
) o ON true
WHERE p.tenant_id = %(tenant)s
  AND EXISTS (SELECT 1 FROM read.loyalty_milestones a WHERE a.tenant_id = p.tenant_id AND a.active)
"""


def client_card(
    conn: psycopg.Connection[Any], tenant_id: str, client_id: str, *, at: datetime | None = None
) -> LoyaltyCard | None:
    """The client's loyalty card, or None when the tenant runs no loyalty programme: "Clients with
    at least one milestone configured see a loyalty card on their dashboard."

    A client with no visit yet gets an empty card. ``at`` (now by default) judges whether the
    outstanding code has expired, as ``most_loyal`` does.
    """
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(
            CARD, {"tenant": tenant_id, "client": client_id, "at": at or datetime.now(UTC)}
        ).fetchone()
    if row is None:
        return None
    next_reward = (
        None
        if row["milestone_id"] is None
        else NextReward(
            row["milestone_id"],
            row["session_count"],
            row["min_minutes"],
            row["message"],
            row["discount_percent"],
            row["counted"],
        )
    )
    outstanding = (
        None
        if row["code"] is None
        else OutstandingReward(
            row["code"], row["code_discount_percent"], row["expires_at"], row["code_message"]
        )
    )
    return LoyaltyCard(client_id, row["total_stars"], next_reward, outstanding)
