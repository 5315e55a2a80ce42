"""Running a consuming service as a process: build it, consume until SIGTERM, stop cleanly."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

import structlog

from starcard_runtime.batching import BatchApplication
from starcard_runtime.consumer import PartitionConsumer
from starcard_runtime.dead_letters import migrate
from starcard_runtime.eventstore import open_event_store
from starcard_runtime.logs import configure_logging
from starcard_runtime.settings import RuntimeSettings

log = structlog.get_logger(__name__)

TApp = TypeVar("TApp", bound=BatchApplication)


def build_application(kind: type[TApp], settings: RuntimeSettings, schema: str) -> TApp:
    """The service's application on its own schema, with the tables it needs created."""
    migrate(settings.database_url)
    return open_event_store(kind, settings.database_url, schema)


async def consume(
    application: BatchApplication,
    settings: RuntimeSettings,
    *,
    topics: Sequence[str],
    group_id: str,
    stop: asyncio.Event,
) -> None:
    consumer = PartitionConsumer(
        application=application,
        topics=[settings.topic(t) for t in topics],
        group_id=settings.topic_prefix + group_id,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        database_url=settings.database_url,
        max_records=settings.batch_max_records,
    )
    await consumer.run(stop)


class Companion(Protocol):
    """Something a service process runs beside its consumer (an outbox relay, a scheduler)."""

    async def run(self, stop: asyncio.Event) -> None: ...


def run_service(
    kind: type[TApp],
    *,
    schema: str,
    topics: Sequence[str],
    group_id: str,
    companions: Callable[[TApp, RuntimeSettings], Sequence[Companion]] = lambda _a, _s: (),
) -> None:
    """Entry point of a service process; SIGTERM and SIGINT stop it after the current batch."""
    settings = RuntimeSettings()
    configure_logging(kind.service_name, settings.log_level)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        application = await asyncio.to_thread(build_application, kind, settings, schema)
        log.info("service started", topics=list(topics))
        try:
            await asyncio.gather(
                consume(application, settings, topics=topics, group_id=group_id, stop=stop),
                *(companion.run(stop) for companion in companions(application, settings)),
            )
        finally:
            application.close()
            log.info("service stopped")

    asyncio.run(main())
