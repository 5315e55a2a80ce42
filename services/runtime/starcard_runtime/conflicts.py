"""Retrying a use case that lost a race with another writer of the same aggregates.

A client's record is written by its partition's consumer and also by the gateway (a checkout, an
original milestone count), a referrer's credit account by several partitions: writers meet as
version conflicts in the event store. The loser must not try again on the copies it holds, which
are the stale ones, nor leave them in the application's working set for the next batch to build
on: it evicts them, reloads and runs again. Every use case that saves outside a partition batch
goes through :func:`retry_on_conflict`, so that rule and its limit live in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import structlog
from eventsourcing.persistence import IntegrityError

from starcard_runtime.batching import BatchApplication, UnitOfWork

log = structlog.get_logger(__name__)

T = TypeVar("T")


def retry_on_conflict(application: BatchApplication, work: Callable[[UnitOfWork], T]) -> T:
    """Run `work` on a fresh :class:`UnitOfWork` and save every aggregate it got or added.

    On a version conflict the aggregates of that run are evicted from the working set and `work`
    runs again on fresh copies, at most ``application.max_conflict_retries`` more times; then the
    conflict is raised. Whatever else `work` raises is raised at once, after the same eviction:
    an aggregate it changed before failing holds events that were never saved.
    """
    retries = 0
    while True:
        unit = UnitOfWork(application)
        try:
            result = work(unit)
            application.save(*unit.aggregates.values())
        except IntegrityError:
            application.working_set.evict(list(unit.aggregates))
            retries += 1
            if retries > application.max_conflict_retries:
                raise
            log.info("version conflict, retrying", service=application.service_name, retry=retries)
            continue
        except BaseException:
            application.working_set.evict(list(unit.aggregates))
            raise
        return result
