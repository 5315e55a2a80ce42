"""Exactly-once batch processing of one partition's records on the event store.

A service application extends :class:`BatchApplication` and implements :meth:`apply_record`.
A batch of records from one partition becomes one PostgreSQL transaction holding the new
aggregate events, the dead letters, and the tracking row ``<topic>/<partition>`` = last offset.
The recorder refuses a tracking position at or below the stored one, so a re-delivered batch
writes nothing twice.
"""

from __future__ import annotations

from abc import abstractmethod
from collections import OrderedDict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from functools import singledispatchmethod
from typing import Any, ClassVar, TypeVar
from uuid import UUID

import structlog
from eventsourcing.application import AggregateNotFoundError, ProcessingEvent, project_aggregate
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError, Tracking
from eventsourcing.projection import EventSourcedProjection
from eventsourcing.utils import get_topic

from starcard_runtime.eventstore import select_stored_events
from starcard_runtime.recorder import BatchRecorder
from starcard_runtime.records import DeadLetter, InboundRecord, RecordRejected, tracking_name

log = structlog.get_logger(__name__)

TAggregate = TypeVar("TAggregate", bound=Aggregate)

TRANSIENT_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)
"""Faults of the database connection: retried with backoff, never dead-lettered."""


class WorkingSet:
    """The aggregates this process writes, kept between batches (least recently used dropped).

    Safe because one consumer owns a partition and so the aggregates keyed to it; a version
    conflict (another writer got there first) evicts the copies and the batch is re-run.
    """

    def __init__(self, maxsize: int) -> None:
        self._maxsize = maxsize
        self._items: OrderedDict[UUID, Aggregate] = OrderedDict()

    def get(self, aggregate_id: UUID) -> Aggregate | None:
        item = self._items.get(aggregate_id)
        if item is not None:
            self._items.move_to_end(aggregate_id)
        return item

    def put(self, aggregate: Aggregate) -> None:
        self._items[aggregate.id] = aggregate
        self._items.move_to_end(aggregate.id)
        while len(self._items) > self._maxsize:
            self._items.popitem(last=False)

    def evict(self, aggregate_ids: Sequence[UUID]) -> None:
        for aggregate_id in aggregate_ids:
            self._items.pop(aggregate_id, None)

    def clear(self) -> None:
        self._items.clear()


@dataclass
class UnitOfWork:
    """The aggregates one batch reads and changes; their new events are recorded together."""

    application: BatchApplication
    aggregates: dict[UUID, Aggregate] = field(default_factory=dict)
    _reads: dict[UUID, Aggregate | None] = field(default_factory=dict)
    _absent: set[UUID] = field(default_factory=set)

    def prefetch(self, aggregate_ids: Iterable[UUID]) -> None:
        """Load, in one query, the aggregates this batch will write that are not cached.

        A batch of new clients would otherwise cost one empty query each.
        """
        working_set = self.application.working_set
        wanted = {
            i for i in aggregate_ids if i not in self.aggregates and working_set.get(i) is None
        }
        if not wanted:
            return
        loaded = self.application.load_many(wanted)
        self.aggregates.update(loaded)
        self._absent |= wanted - loaded.keys()

    def get(
        self, aggregate_id: UUID, kind: type[TAggregate], *, fresh: bool = False
    ) -> TAggregate | None:
        """An aggregate this batch writes (cached between batches), or None if there is none.

        `fresh` loads it from the store, not the cache, the first time this batch asks: for an
        aggregate that other processes write too. A stale copy would be caught by the version
        check only if the batch writes it; a decision *not* to write (no credit left, say)
        taken on a stale copy would be recorded as if it were right.
        """
        found = self.aggregates.get(aggregate_id)
        if found is None and not fresh:
            found = self.application.working_set.get(aggregate_id)
            if found is None and aggregate_id in self._absent:
                return None
        if found is None:
            try:
                found = self.application.repository.get(aggregate_id)
            except AggregateNotFoundError:
                return None
        if not isinstance(found, kind):
            msg = f"aggregate {aggregate_id} is a {type(found).__name__}, not a {kind.__name__}"
            raise TypeError(msg)
        self.aggregates[aggregate_id] = found
        return found

    def read(self, aggregate_id: UUID, kind: type[TAggregate]) -> TAggregate | None:
        """An aggregate that other processes write: read fresh once per batch, never changed."""
        if aggregate_id not in self._reads:
            try:
                self._reads[aggregate_id] = self.application.repository.get(aggregate_id)
            except AggregateNotFoundError:
                self._reads[aggregate_id] = None
        found = self._reads[aggregate_id]
        if found is None:
            return None
        if not isinstance(found, kind):
            msg = f"aggregate {aggregate_id} is a {type(found).__name__}, not a {kind.__name__}"
            raise TypeError(msg)
        return found

    def add(self, aggregate: Aggregate) -> None:
        """Register a new aggregate created by this batch."""
        self.aggregates[aggregate.id] = aggregate


@dataclass
class RecordBatch:
    """Records of one partition, in offset order, and those already known to be poison."""

    records: Sequence[InboundRecord]
    poison: dict[int, str]
    unit: UnitOfWork


class PoisonRecord(Exception):
    """One record of a batch failed; the batch is re-run without it."""

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(reason)
        self.offset = offset
        self.reason = reason


class BatchApplication(EventSourcedProjection[UUID]):
    """An event-sourced service that consumes Kafka partitions exactly once."""

    service_name: ClassVar[str] = "service"
    working_set_size: ClassVar[int] = 200_000
    max_conflict_retries: ClassVar[int] = 5
    """How many times a batch, or a use case run through ``retry_on_conflict``, is run again
    after losing a version conflict to another writer before the conflict is raised."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        env = dict(env or {})
        env.setdefault("PROCESS_RECORDER_TOPIC", get_topic(BatchRecorder))
        super().__init__(env)
        self.working_set = WorkingSet(self.working_set_size)

    @abstractmethod
    def apply_record(self, record: InboundRecord, unit: UnitOfWork) -> None:
        """Validate one record and apply it to the aggregates it concerns.

        Raise :class:`RecordRejected` (before changing anything) for a record that can never be
        processed; it is dead-lettered with the reason.
        """

    def prefetch_ids(self, records: Sequence[InboundRecord]) -> Iterable[UUID]:
        """The aggregates a batch of records will write, when the keys tell (optional)."""
        return ()

    def load_many(self, aggregate_ids: Collection[UUID]) -> dict[UUID, Aggregate]:
        """Reconstruct many aggregates from one query on the events table."""
        events: dict[UUID | str, list[Any]] = {}
        for stored in select_stored_events(self, aggregate_ids):
            events.setdefault(stored.originator_id, []).append(self.mapper.to_domain_event(stored))
        loaded: dict[UUID, Aggregate] = {}
        for history in events.values():
            aggregate = project_aggregate(None, history)
            if isinstance(aggregate, Aggregate):
                loaded[aggregate.id] = aggregate
        return loaded

    def tracked_offset(self, topic: str, partition: int) -> int | None:
        """The last offset of this partition recorded in the event store, if any."""
        return self.recorder.max_tracking_id(tracking_name(topic, partition))

    def process_batch(self, records: Sequence[InboundRecord]) -> list[DeadLetter] | None:
        """Apply and record a batch of one partition's records in one transaction.

        Returns the records dead-lettered, or None when the batch had already been recorded
        (by this process before a restart, or by another one that owned the partition).
        """
        last = records[-1]
        tracking = Tracking(tracking_name(last.topic, last.partition), last.offset)
        poison: dict[int, str] = {}
        conflicts = 0
        while True:
            batch = RecordBatch(records, poison, UnitOfWork(self))
            try:
                # The policy dispatches on RecordBatch, which is not a domain event.
                self.process_event(batch, tracking)  # type: ignore[arg-type]
            except PoisonRecord as exc:
                self.working_set.evict(list(batch.unit.aggregates))
                poison[exc.offset] = exc.reason
                continue
            except IntegrityError:
                self.working_set.evict(list(batch.unit.aggregates))
                tracked = self.tracked_offset(last.topic, last.partition)
                if tracked is not None and tracked >= last.offset:
                    return None
                conflicts += 1
                if conflicts > self.max_conflict_retries:
                    raise
                log.info(
                    "version conflict, retrying batch",
                    topic=last.topic,
                    partition=last.partition,
                    attempt=conflicts,
                )
                continue
            except BaseException:
                self.working_set.evict(list(batch.unit.aggregates))
                raise
            for aggregate in batch.unit.aggregates.values():
                self.working_set.put(aggregate)
            return [
                DeadLetter(self.service_name, record, poison[record.offset])
                for record in records
                if record.offset in poison
            ]

    @singledispatchmethod
    def policy(self, domain_event: Any, processing_event: ProcessingEvent[UUID]) -> None:
        """Batches are the only thing this application processes."""
        raise NotImplementedError(type(domain_event))

    @policy.register
    def _(self, batch: RecordBatch, processing_event: ProcessingEvent[UUID]) -> None:
        batch.unit.prefetch(self.prefetch_ids(batch.records))
        for record in batch.records:
            if record.offset in batch.poison:
                continue
            try:
                self.apply_record(record, batch.unit)
            except RecordRejected as exc:
                raise PoisonRecord(record.offset, exc.reason) from exc
            except TRANSIENT_ERRORS:
                raise
            except Exception as exc:
                log.exception(
                    "record failed",
                    tenant_id=record.tenant_id,
                    topic=record.topic,
                    partition=record.partition,
                    offset=record.offset,
                )
                reason = f"processing failed: {type(exc).__name__}: {exc}"
                raise PoisonRecord(record.offset, reason[:500]) from exc
        letters = [
            DeadLetter(self.service_name, record, batch.poison[record.offset])
            for record in batch.records
            if record.offset in batch.poison
        ]
        # What ProcessingEvent.collect_events does, without its runtime Protocol checks, which
        # cost more than the rest of the batch once thousands of aggregates are involved.
        for aggregate in batch.unit.aggregates.values():
            processing_event.events.extend(aggregate.collect_events())
            processing_event.aggregates[aggregate.id] = aggregate
        processing_event.saved_kwargs["dead_letters"] = letters
