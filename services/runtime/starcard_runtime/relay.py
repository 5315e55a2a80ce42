"""The outbox relay: a service's event store is its outbox.

The relay follows the service's notification log (a :class:`LogTailer`, position ``relay.<name>``
in the service's ``log_positions``), turns each domain event into zero or more Kafka records
(public facts, notification requests), publishes them with an idempotent producer, and only then
moves its position. A crash between publishing and moving the position publishes the same records
again: at least once. Every record carries an ``event_id`` derived from its aggregate event, so
consumers drop the copies.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import psycopg
import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from eventsourcing.application import Application
from eventsourcing.persistence import InterfaceError, OperationalError
from pydantic import ValidationError

from starcard_runtime.leadership import await_leadership
from starcard_runtime.outbound import Outbound, Translate
from starcard_runtime.settings import RuntimeSettings
from starcard_runtime.tailer import FormerPosition, LogTailer

log = structlog.get_logger(__name__)


class OutboxRelay:
    """Publishes what ``translate`` makes of each event of ``application``'s notification log."""

    def __init__(
        self,
        *,
        name: str,
        application: Application[Any],
        translate: Translate,
        database_url: str,
        bootstrap_servers: str,
        page_size: int = 1000,
        idle_seconds: float = 0.1,
        reads: Callable[[str], bool] | None = None,
    ) -> None:
        self.name = name
        self.application = application
        self.translate = translate
        self.reads = reads
        """Which stored topics `translate` makes anything of (None: every one); the others are
        never decoded."""
        self.database_url = database_url
        self.idle_seconds = idle_seconds
        self.tailer = LogTailer(
            application,
            f"relay.{name}",
            page_size=page_size,
            former=FormerPosition("ops", "relay_positions", name),
        )
        self._conn: psycopg.Connection[Any] | None = None
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers,
            enable_idempotence=True,
            acks="all",
            linger_ms=5,
        )

    @classmethod
    def deployed(
        cls,
        name: str,
        application: Application[Any],
        translate: Translate,
        settings: RuntimeSettings,
        reads: Callable[[str], bool] | None = None,
    ) -> OutboxRelay:
        """The relay of a service's process, on the database and brokers of its `settings`."""
        return cls(
            name=name,
            application=application,
            translate=translate,
            database_url=settings.database_url,
            bootstrap_servers=settings.kafka_bootstrap_servers,
            reads=reads,
        )

    def _connection(self) -> psycopg.Connection[Any]:
        """The relay's own connection for its position, kept between pages; a new one once it
        broke (a connection a page would cost more than the page's queries)."""
        if self._conn is None or self._conn.closed or self._conn.broken:
            if self._conn is not None:
                self._conn.close()
            self._conn = psycopg.connect(self.database_url)
        return self._conn

    def _position(self) -> int:
        return self.tailer.stored_position(self._connection())

    def _move_to(self, position: int) -> None:
        conn = self._connection()
        with conn.transaction():
            self.tailer.store(conn, position)

    def _next_page(self, position: int) -> tuple[int, list[Outbound]]:
        notifications = self.tailer.page_after(position)
        if not notifications:
            return position, []
        outbound: list[Outbound] = []
        for notification in notifications:
            if self.reads is not None and not self.reads(notification.topic):
                continue
            event = self.application.mapper.to_domain_event(notification)
            try:
                outbound += self.translate(event)
            except ValidationError as exc:
                # An event whose record would break the published contract is set aside, not
                # retried for ever: one bad event must not stop every fact and email behind it.
                log.error(
                    "event not publishable, skipped",
                    relay=self.name,
                    notification_id=notification.id,
                    event_type=notification.topic.rsplit(":", 1)[-1],
                    reason=str(exc.errors(include_url=False, include_input=False))[:500],
                )
        return notifications[-1].id, outbound

    async def _relay_page(self, position: int) -> int:
        reached, outbound = await asyncio.to_thread(self._next_page, position)
        if reached == position:
            await asyncio.sleep(self.idle_seconds)
            return position
        sent = [
            await self._producer.send(record.topic, record.value, key=record.key)
            for record in outbound
        ]
        await asyncio.gather(*sent)
        await asyncio.to_thread(self._move_to, reached)
        if outbound:
            log.debug("relayed", relay=self.name, records=len(outbound), position=reached)
        return reached

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until ``stop`` is set, while this instance holds the relay's lock."""
        leadership = await await_leadership(self.database_url, f"starcard.relay.{self.name}", stop)
        if leadership is None:
            return
        await self._producer.start()
        try:
            position = await asyncio.to_thread(self._position)
            while not stop.is_set():
                try:
                    position = await self._relay_page(position)
                except (OperationalError, InterfaceError, psycopg.OperationalError, KafkaError):
                    log.warning("relay fault, retrying", relay=self.name)
                    await asyncio.sleep(1.0)
        finally:
            await self._producer.stop()
            if self._conn is not None:
                self._conn.close()
            leadership.close()
