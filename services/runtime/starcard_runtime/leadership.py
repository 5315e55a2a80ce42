"""One active instance of a singleton task (an outbox relay, a dispatcher) across processes."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg


async def await_leadership(
    database_url: str, lock_name: str, stop: asyncio.Event, *, poll_seconds: float = 2.0
) -> psycopg.Connection[Any] | None:
    """Wait until this process holds the advisory lock ``lock_name``; None if stopped first.

    The lock lives as long as the returned connection: close it to step down. If the process
    dies, the lock goes with its connection and another instance takes over.
    """
    conn: psycopg.Connection[Any] = await asyncio.to_thread(
        lambda: psycopg.connect(database_url, autocommit=True)
    )
    while not stop.is_set():
        row = await asyncio.to_thread(
            lambda: conn.execute(
                "SELECT pg_try_advisory_lock(hashtext(%s))", (lock_name,)
            ).fetchone()
        )
        if row and row[0]:
            return conn
        try:
            await asyncio.wait_for(stop.wait(), timeout=poll_seconds)
        except TimeoutError:
            continue
    conn.close()
    return None
