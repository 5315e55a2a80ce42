"""The local stack keeps itself running: `deploy/local/stack.sh` restarts a process that dies,
and /readyz tells the truth while it is down.

The whole stack runs as `make up` runs it (every process under its supervisor), on the test's own
database, topics, ports and run folder.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starcard_events import examples
from starcard_runtime.settings import RuntimeSettings

from tests.e2e.conftest import ADMIN_KEY, Platform
from tests.integration.gateway.conftest import START
from tests.support.processes import free_port
from tests.support.stack import until

pytestmark = pytest.mark.e2e

STACK = Path(__file__).resolve().parents[2] / "deploy" / "local" / "stack.sh"
HEARTBEAT_SECONDS = 2.5
"""Readiness gives up on the read models this soon after their process stops beating (it beats
about once a second: room for a slow beat on a loaded machine)."""
RESTART_DELAY = 5
"""Long enough after the heartbeat threshold that the test sees /readyz say not ready."""


def stack(env: dict[str, str], command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [str(STACK), command],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
async def supervised(settings: RuntimeSettings, tmp_path: Path) -> AsyncIterator[dict[str, str]]:
    """`stack.sh up` on the test's servers, `stack.sh down` afterwards; yields its environment."""
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "STARCARD_TOPIC_PREFIX": settings.topic_prefix,
        "STARCARD_RUN_DIR": str(tmp_path / "stack"),
        "STARCARD_MAILBOX_DIR": str(tmp_path / "mailbox"),
        "STARCARD_SMTP_PORT": str(free_port()),
        "STARCARD_GATEWAY_PORT": str(free_port()),
        "STARCARD_ADMIN_KEY": ADMIN_KEY,
        "STARCARD_RESTART_DELAY": str(RESTART_DELAY),
        "STARCARD_READY_HEARTBEAT_SECONDS": str(HEARTBEAT_SECONDS),
        "STARCARD_READY_TIMEOUT": "90",
    }
    started = await asyncio.to_thread(stack, env, "up")
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        yield env
    finally:
        stopped = await asyncio.to_thread(stack, env, "down")
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr


def visit(tenant_id: str, n: int) -> dict[str, Any]:
    return examples.appointment_completed(
        tenant_id,
        START.replace(day=1 + n),
        booking_id=f"ada-b{n}",
        client_id="ada",
    )


async def test_a_killed_projections_process_is_restarted_and_catches_up(
    supervised: dict[str, str], platform: Platform
) -> None:
    run_dir = Path(supervised["STARCARD_RUN_DIR"])
    base = f"http://127.0.0.1:{supervised['STARCARD_GATEWAY_PORT']}"
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        created = await http.post(
            "/v1/operator/tenants",
            json={"name": "Anna Massage"},
            headers={"Authorization": f"Bearer {ADMIN_KEY}"},
        )
        assert created.status_code == 201, created.text
        tenant = created.json()["tenant"]["tenant_id"]
        headers = {"Authorization": f"Bearer {created.json()['api_key']}"}

        async def sessions(expected: int) -> None:
            listed = (await http.get("/v1/loyalty/clients", headers=headers)).json()
            assert [row["sessions"] for row in listed["data"]] == [expected]

        await platform.publish(visit(tenant, 0))
        await until(lambda: sessions(1))

        killed = int((run_dir / "projections.pid").read_text())
        os.kill(killed, signal.SIGKILL)
        await platform.publish(visit(tenant, 1))

        async def not_ready() -> None:
            answer = await http.get("/readyz")
            assert answer.status_code == 503, answer.text
            assert "read model loyalty is not being followed" in answer.json()["detail"]

        await until(not_ready, within=RESTART_DELAY + HEARTBEAT_SECONDS)

        async def ready() -> None:
            assert (await http.get("/readyz")).status_code == 200

        await until(ready)
        await until(lambda: sessions(2))

    restarted = int((run_dir / "projections.pid").read_text())
    assert restarted != killed
    log = (run_dir / "projections.log").read_text()
    assert '"event": "process exited, restarting"' in log
    assert '"exit_status": 137' in log
    status = await asyncio.to_thread(stack, supervised, "status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert re.search(r"^projections: running \(pid \d+, restarts 1\)", status.stdout, re.M)
    assert re.search(r"^gateway: running \(pid \d+, restarts 0\)", status.stdout, re.M)
    assert "Read models" in status.stdout
