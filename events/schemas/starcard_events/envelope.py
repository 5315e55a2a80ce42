"""The envelope every event travels in, and the ids it carries."""

from datetime import UTC, datetime
from typing import Annotated, Generic, Literal, TypeVar
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints

from starcard_events.limits import EARLIEST_MOMENT, LATEST_MOMENT
from starcard_events.wire import WireModel

TENANT_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
EXTERNAL_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"

TenantId = Annotated[str, StringConstraints(pattern=TENANT_ID_PATTERN)]
"""A tenant's id: lowercase, no ':' because it leads the Kafka key `tenant_id:...`."""

ExternalId = Annotated[str, StringConstraints(pattern=EXTERNAL_ID_PATTERN)]
"""An id the booking platform assigned (client, booking, service, provider, class, visitor)."""

ClientId = ExternalId
BookingId = ExternalId


def _in_utc_and_range(value: datetime) -> datetime:
    value = value.astimezone(UTC)
    if not EARLIEST_MOMENT <= value <= LATEST_MOMENT:
        msg = f"must be between {EARLIEST_MOMENT.year} and {LATEST_MOMENT.year} (got {value.year})"
        raise ValueError(msg)
    return value


Moment = Annotated[AwareDatetime, AfterValidator(_in_utc_and_range)]
"""A moment with its offset, read as UTC (the rules' days are UTC days), in a plausible range."""

DataT = TypeVar("DataT", bound=WireModel)


class Envelope(WireModel, Generic[DataT]):
    """What every event carries around its `data`. Each event type narrows `type` to its name."""

    event_id: UUID = Field(
        description=(
            "Unique id the producer gives the event; re-sending the same event must reuse it, "
            "because it is the idempotency key."
        )
    )
    type: str = Field(description="The event type; it decides the shape of `data`.")
    schema_version: Literal[1] = Field(description="Version of this event type's schema.")
    occurred_at: Moment = Field(
        description=(
            "When it happened, RFC 3339 with an offset (e.g. 2025-03-01T14:30:00Z); read as UTC. "
            "Starcard's rules use this time, never the time of receipt."
        )
    )
    tenant_id: TenantId = Field(
        description="The business whose programme this event belongs to (lowercase, no ':')."
    )
    data: DataT = Field(description="The facts of the event; their shape depends on `type`.")
