"""Re-publishing dead letters to the topic they came from, once an operator has fixed the cause."""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from starcard_runtime.dead_letters import DeadLetterStore, StoredDeadLetter


class UnknownDeadLetters(LookupError):
    def __init__(self, ids: Sequence[int]) -> None:
        super().__init__(f"No dead letter with id {', '.join(map(str, ids))}; nothing replayed.")
        self.ids = tuple(ids)


async def replay_dead_letters(
    store: DeadLetterStore, bootstrap_servers: str, ids: Sequence[int]
) -> list[StoredDeadLetter]:
    """Publish each record's original key, value and headers to its original topic, then stamp
    ``replayed_at``. All ids must exist, or nothing is published.

    The consumers dedupe by event id, so replaying a letter twice changes nothing twice.
    """
    letters = store.get(ids)
    missing = sorted(set(ids) - {letter.id for letter in letters})
    if missing:
        raise UnknownDeadLetters(missing)
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers, enable_idempotence=True, acks="all"
    )
    await producer.start()
    try:
        for letter in letters:
            record = letter.record
            await producer.send_and_wait(
                record.topic, record.value, key=record.key, headers=list(record.headers)
            )
    finally:
        await producer.stop()
    store.mark("replayed_at", [letter.id for letter in letters])
    return letters
