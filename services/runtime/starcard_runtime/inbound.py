"""What every Kafka handler does before its event type's reaction: read the record to its contract.

A record is parsed against its topic's contract and its key checked against the event, and a
record that fails either can never be processed: the topic's owner dead-letters it with a reason
an operator can act on (:func:`accept`), and any other service reading the same topic skips it
(:func:`accept_or_skip`), so one bad record is set aside once. A domain refusal met while
reacting (an unknown tenant, say) becomes a dead letter through :func:`rejecting`. Each service's
handlers keep only the dispatch from event type to application call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Generic, TypeVar

import structlog
from pydantic import BaseModel, ValidationError
from starcard_events import InvalidEvent

from starcard_runtime.records import InboundRecord, RecordRejected

log = structlog.get_logger(__name__)

E = TypeVar("E")
M = TypeVar("M", bound=BaseModel)

MAX_REASON_LENGTH = 500


@dataclass(frozen=True)
class Contract(Generic[E]):
    """How the records of one topic are read."""

    parse: Callable[[bytes | None], E]
    """The record's value as an event; raises `InvalidEvent` with the reason if it is not one."""
    key: Callable[[E], bytes] | None = None
    """The key the event must travel under (it decides the partition, and so the order)."""
    key_shape: str = ""
    """The key's shape in words, for the reason a record with another key is refused."""
    key_is_secret: bool = False
    """Leave the expected key out of the reason (a referral code unlocks someone's link)."""

    def read(self, record: InboundRecord) -> E:
        """The record's event; `InvalidEvent` if its value or its key breaks the contract."""
        event = self.parse(record.value)
        if self.key is None:
            return event
        expected = self.key(event)
        if record.key != expected:
            if self.key_is_secret:
                raise InvalidEvent(f"record key must be '{self.key_shape}' of the event")
            raise InvalidEvent(f"record key must be '{expected.decode()}' ({self.key_shape})")
        return event


def accept(record: InboundRecord, contract: Contract[E]) -> E:
    """The record's event, for the topic's owner: a record that breaks the contract is refused
    with `RecordRejected`, and so dead-lettered."""
    try:
        return contract.read(record)
    except InvalidEvent as exc:
        raise RecordRejected(exc.reason) from exc


def accept_or_skip(record: InboundRecord, contract: Contract[E]) -> E | None:
    """The record's event, for a service that reads a topic another one owns: a record that
    breaks the contract is skipped (None), since the owner dead-letters it."""
    try:
        return contract.read(record)
    except InvalidEvent as exc:
        log.debug(
            "record skipped",
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            reason=exc.reason,
        )
        return None


@contextmanager
def rejecting(*refusals: type[Exception]) -> Iterator[None]:
    """Turn the domain's refusals of a record (raised before anything changed) into dead letters,
    the exception's text the reason."""
    try:
        yield
    except refusals as exc:
        raise RecordRejected(str(exc)) from exc


def model_parser(kind: type[M]) -> Callable[[bytes | None], M]:
    """A contract's parser for a topic whose records are all one model (a Starcard topic)."""

    def parse(raw: bytes | None) -> M:
        try:
            return kind.model_validate_json(raw or b"")
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(part) for part in first["loc"]) or "record"
            reason = f"invalid {kind.__name__}: {where}: {first['msg']}"
            raise InvalidEvent(reason[:MAX_REASON_LENGTH]) from None

    return parse
