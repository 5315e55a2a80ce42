"""What a consumer hands to a service, and what comes back when a record cannot be processed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class InboundRecord:
    """One Kafka record, detached from the client library."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp_ms: int
    headers: tuple[tuple[str, bytes], ...] = ()

    @property
    def tenant_id(self) -> str | None:
        """The tenant its key names (every Starcard key is ``tenant_id:...``), if it names one."""
        if not self.key:
            return None
        tenant, colon, _rest = self.key.decode("utf-8", "replace").partition(":")
        return tenant if colon and tenant else None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A record set aside with the reason it could not be processed."""

    service: str
    record: InboundRecord
    reason: str


class RecordRejected(Exception):
    """A record that can never be processed as it is: it goes to the dead-letter topic.

    Raise it before changing any aggregate; the batch is re-run without the record anyway.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def tracking_name(topic: str, partition: int) -> str:
    """The tracking row's name for one partition: ``<topic>/<partition>``."""
    return f"{topic}/{partition}"
