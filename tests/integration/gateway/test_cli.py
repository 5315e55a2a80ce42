"""The operator's ``starcard`` command: tenants, dead letters, read models."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re

import psycopg
import pytest
from aiokafka import AIOKafkaConsumer
from starcard_cli.main import app
from starcard_events.topics import BOOKING_EVENTS
from starcard_runtime import dead_letters
from typer.testing import CliRunner, Result

pytestmark = pytest.mark.integration

VALUE = {"event_id": "e-1", "type": "AppointmentCompleted", "tenant_id": "anna"}


@pytest.fixture
def starcard(
    fresh_database: str, kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", fresh_database)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)
    monkeypatch.setenv("COLUMNS", "250")
    return CliRunner()


def run(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(app, list(args))


# -- tenants ---------------------------------------------------------------------------------


def test_creating_a_tenant_prints_its_id_and_a_key_to_store(
    starcard: CliRunner, fresh_database: str
) -> None:
    result = run(starcard, "tenants", "create", "Anna's Massage")

    assert result.exit_code == 0, result.output
    assert "anna-s-massage" in result.output
    assert "only this once" in result.output
    [api_key] = re.findall(r"sc_[0-9a-f]{12}_[A-Za-z0-9_-]+", result.output)
    with psycopg.connect(fresh_database) as conn:
        stored = conn.execute("SELECT tenant_id, secret_hash FROM gateway.api_keys").fetchall()
    assert stored == [
        ("anna-s-massage", hashlib.sha256(api_key.split("_", 2)[2].encode()).hexdigest())
    ]


def test_a_tenant_created_with_an_explicit_id_is_listed(starcard: CliRunner) -> None:
    run(starcard, "tenants", "create", "Brook Spa", "--id", "brook")

    result = run(starcard, "tenants", "list")

    assert result.exit_code == 0, result.output
    assert re.search(r"brook\s.*Brook Spa", result.output)


def test_creating_a_tenant_twice_fails_saying_why(starcard: CliRunner) -> None:
    run(starcard, "tenants", "create", "Brook Spa", "--id", "brook")

    result = run(starcard, "tenants", "create", "Brook Again", "--id", "brook")

    assert result.exit_code == 1
    assert "already exists" in result.output


def test_another_key_can_be_issued_for_a_tenant(starcard: CliRunner) -> None:
    run(starcard, "tenants", "create", "Brook Spa", "--id", "brook")

    issued = run(starcard, "tenants", "issue-key", "brook")
    unknown = run(starcard, "tenants", "issue-key", "nobody")

    assert issued.exit_code == 0, issued.output
    assert re.search(r"sc_[0-9a-f]{12}_", issued.output)
    assert unknown.exit_code == 1
    assert "No tenant 'nobody'" in unknown.output


# -- dead letters ----------------------------------------------------------------------------


def dead_letter(database_url: str, topic: str, *, offset: int = 7) -> int:
    """A row as the consumer writes one for a record it refused."""
    dead_letters.migrate(database_url)
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            'INSERT INTO ops.dead_letters (service, topic, partition, "offset", key, value,'
            " headers, reason, record_timestamp)"
            " VALUES ('loyalty', %s, 2, %s, %s, %s, %s, %s, now()) RETURNING id",
            (
                topic,
                offset,
                b"anna:ada",
                json.dumps(VALUE).encode(),
                json.dumps([["traceparent", "00-abc-01"]]),
                "unknown tenant 'anna'",
            ),
        ).fetchone()
    assert row is not None
    dead_letter_id: int = row[0]
    return dead_letter_id


def test_dead_letters_are_listed_with_where_they_came_from_and_why(
    starcard: CliRunner, fresh_database: str, topic_prefix: str
) -> None:
    topic = topic_prefix + BOOKING_EVENTS
    dead_letter_id = dead_letter(fresh_database, topic)

    result = run(starcard, "dlq", "list", "--service", "loyalty")
    other = run(starcard, "dlq", "list", "--service", "referrals")

    assert result.exit_code == 0, result.output
    assert re.search(rf"{dead_letter_id}\s.*loyalty\s.*{re.escape(topic)} \[2\] @7", result.output)
    assert "unknown tenant 'anna'" in result.output
    assert "0 dead letter(s)" in other.output


def test_a_dead_letter_is_shown_with_its_value_and_headers(
    starcard: CliRunner, fresh_database: str, topic_prefix: str
) -> None:
    dead_letter_id = dead_letter(fresh_database, topic_prefix + BOOKING_EVENTS)

    result = run(starcard, "dlq", "show", str(dead_letter_id))

    assert result.exit_code == 0, result.output
    assert '"type": "AppointmentCompleted"' in result.output
    assert re.search(r"traceparent\s.*00-abc-01", result.output)
    assert "anna:ada" in result.output


def test_showing_an_unknown_dead_letter_fails(starcard: CliRunner) -> None:
    result = run(starcard, "dlq", "show", "404")

    assert result.exit_code == 1
    assert "No dead letter with id 404" in result.output


async def read_one(bootstrap: str, topic: str) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), timeout=30)
    finally:
        await consumer.stop()
    return record.key, record.value, list(record.headers)


def test_a_replayed_dead_letter_goes_back_to_its_original_topic_unchanged(
    starcard: CliRunner, fresh_database: str, kafka_bootstrap: str, topic_prefix: str
) -> None:
    topic = topic_prefix + BOOKING_EVENTS
    dead_letter_id = dead_letter(fresh_database, topic)

    result = run(starcard, "dlq", "replay", str(dead_letter_id))

    assert result.exit_code == 0, result.output
    assert f"Replayed {dead_letter_id} to {topic}" in result.output
    key, value, headers = asyncio.run(read_one(kafka_bootstrap, topic))
    assert (key, json.loads(value), headers) == (
        b"anna:ada",
        VALUE,
        [("traceparent", b"00-abc-01")],
    )
    [letter] = dead_letters.DeadLetterStore(fresh_database).get([dead_letter_id])
    assert letter.replayed_at is not None


def test_replaying_an_unknown_id_replays_nothing(
    starcard: CliRunner, fresh_database: str, topic_prefix: str
) -> None:
    known = dead_letter(fresh_database, topic_prefix + BOOKING_EVENTS)

    result = run(starcard, "dlq", "replay", str(known), "999")

    assert result.exit_code == 1
    assert "999" in result.output
    [letter] = dead_letters.DeadLetterStore(fresh_database).get([known])
    assert letter.replayed_at is None


# -- projections -----------------------------------------------------------------------------


def test_a_projection_is_rebuilt_from_its_event_store(starcard: CliRunner) -> None:
    run(starcard, "tenants", "create", "Brook Spa", "--id", "brook")

    result = run(starcard, "projections", "rebuild", "loyalty")

    assert result.exit_code == 0, result.output
    assert "Rebuilt loyalty: up to date with event 1 of its source." in result.output


def test_an_unknown_projection_is_refused_naming_the_known_ones(starcard: CliRunner) -> None:
    result = run(starcard, "projections", "rebuild", "nonsense")

    assert result.exit_code == 2
    assert "choose one of: loyalty" in result.output
