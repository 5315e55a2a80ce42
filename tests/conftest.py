"""Fixtures shared by every test tier: where Kafka and PostgreSQL are, and isolation within them.

Servers are found in this order:

1. ``KAFKA_BOOTSTRAP_SERVERS`` / ``DATABASE_URL`` from the environment (``make test`` sets them to
   what ``deploy/local/infra.sh up`` starts); they must answer, or the test fails saying so.
2. A reachable Docker engine: throwaway testcontainers Kafka (KRaft) and PostgreSQL for the session.
3. Otherwise the test fails at once, saying how to start the local servers.

Only integration and e2e tests may ask for the server fixtures; unit tests run with no servers, and
a unit test that asks for one is an error. Tests are also marked by folder (``tests/unit`` ->
``unit`` and so on), so ``pytest -m unit`` finds them even where the marker was forgotten.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.databases import throwaway_database

KAFKA_ENV = "KAFKA_BOOTSTRAP_SERVERS"
DATABASE_ENV = "DATABASE_URL"
KAFKA_IMAGE = "confluentinc/cp-kafka:7.6.0"
POSTGRES_IMAGE = "postgres:16-alpine"

TIERS = ("unit", "integration", "e2e")
SERVER_TIERS = frozenset({"integration", "e2e"})
SERVER_FIXTURES = frozenset({"kafka_bootstrap", "database_url", "fresh_database"})
HOW_TO_START = (
    "run `make infra` (deploy/local/infra.sh up) and export KAFKA_BOOTSTRAP_SERVERS / "
    'DATABASE_URL (eval "$(deploy/local/infra.sh env)"), or make a Docker engine reachable '
    "for testcontainers"
)
_TESTS_DIR = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with the tier of the folder it lives in (tests/unit, tests/integration...)."""
    for item in items:
        try:
            tier = item.path.relative_to(_TESTS_DIR).parts[0]
        except ValueError:
            continue
        if tier in TIERS and item.get_closest_marker(tier) is None:
            item.add_marker(getattr(pytest.mark, tier))


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Refuse the server fixtures to tests that are not integration or e2e tests."""
    wanted = SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ()))
    if wanted and not any(item.get_closest_marker(tier) for tier in SERVER_TIERS):
        pytest.fail(
            f"{item.nodeid} uses {', '.join(sorted(wanted))} but is not marked integration or "
            "e2e: unit tests must run with no servers",
            pytrace=False,
        )


def _answers(host: str, port: int, timeout: float = 3.0) -> str | None:
    """None if a TCP connection to host:port succeeds, else why it did not."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as error:
        return str(error)


def _check_kafka(bootstrap: str) -> None:
    errors: list[str] = []
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        host = host.strip("[]") or "127.0.0.1"
        error = _answers(host, int(port or 9092))
        if error is None:
            return
        errors.append(f"{server}: {error}")
    pytest.fail(
        f"{KAFKA_ENV}={bootstrap} does not answer ({'; '.join(errors)}): {HOW_TO_START}",
        pytrace=False,
    )


def _check_postgres(url: str) -> None:
    parts = urlsplit(url)
    error = _answers(parts.hostname or "127.0.0.1", parts.port or 5432)
    if error is not None:
        pytest.fail(
            f"{DATABASE_ENV} ({parts.hostname}:{parts.port}) does not answer ({error}): "
            f"{HOW_TO_START}",
            pytrace=False,
        )


@functools.cache
def _docker_engine_answers() -> bool:
    try:
        docker: Any = importlib.import_module("docker")
        client = docker.from_env(timeout=3)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # any failure means "no usable Docker engine"
        return False


def _server(
    env: str, check: Callable[[str], None], container: Callable[[], AbstractContextManager[str]]
) -> Iterator[str]:
    """The server the environment names (it must answer), else a throwaway container's."""
    configured = os.environ.get(env)
    if configured:
        check(configured)
        yield configured
        return
    if not _docker_engine_answers():
        pytest.fail(f"No Kafka/PostgreSQL: {HOW_TO_START}.", pytrace=False)
    with container() as address:
        yield address


@contextmanager
def _kafka_container() -> Iterator[str]:
    from testcontainers.community.kafka import KafkaContainer  # noqa: PLC0415

    with KafkaContainer(KAFKA_IMAGE).with_kraft() as kafka:
        yield str(kafka.get_bootstrap_server())


@contextmanager
def _postgres_container() -> Iterator[str]:
    from testcontainers.community.postgres import PostgresContainer  # noqa: PLC0415

    with PostgresContainer(POSTGRES_IMAGE, driver=None) as postgres:
        yield str(postgres.get_connection_url())


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """Bootstrap servers ("host:port[,host:port]") of a Kafka broker that answers."""
    yield from _server(KAFKA_ENV, _check_kafka, _kafka_container)


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """``postgresql://`` URL of a PostgreSQL database whose role may create databases."""
    yield from _server(DATABASE_ENV, _check_postgres, _postgres_container)


@pytest.fixture
def fresh_database(database_url: str) -> Iterator[str]:
    """URL of a new, empty database ``t_<hex>``, dropped (WITH (FORCE)) after the test."""
    with throwaway_database(database_url) as url:
        yield url


@pytest.fixture
def topic_prefix() -> str:
    """A prefix (``t<hex>.``) unique to this test, to keep its topics apart from all others'."""
    return f"t{uuid.uuid4().hex[:12]}."


@pytest.fixture(scope="session", autouse=True)
async def _threads_for_every_service() -> None:
    """Room in the session loop's thread pool for every service a test runs in it.

    Each service in the loop (its consumer, its relay, the projections) does its blocking work
    through ``asyncio.to_thread``, in the loop's default pool of ``min(32, cores + 4)`` threads: 6
    on a two-core machine, which a test running three services can exhaust, stalling them."""
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=32))
