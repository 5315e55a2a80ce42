"""The time settings router's models: the tenant's time zone and quiet hours, read and changed.

Times are local ``HH:MM`` strings, as a tenant writes them. The loyalty service reads them and
the zone, and refuses what is wrong with every problem named (422), so the schema documents the
shapes it expects without refusing them first.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from starcard_loyalty.api import (
    MAX_TIME_ZONE_LENGTH,
    QuietHours,
    QuietHoursRecord,
    TimeSettings,
    TimeSettingsChanges,
    quiet_hours_record,
)

from starcard_gateway.models.common import never_null

LOCAL_TIME_PATTERN = r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]$"
ZONE_PATTERN = r"^[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+)*$"
MAX_LOCAL_TIME_LENGTH = 16
"""Longer than ``HH:MM``, so a time written another way is refused in words, not by length."""


def _zone_never_null(schema: dict[str, Any]) -> None:
    """Document the zone's shape, never null; the loyalty service says which zones exist."""
    never_null(schema)
    schema["pattern"] = ZONE_PATTERN


def _local_time(description: str, example: str) -> Any:
    return Field(
        max_length=MAX_LOCAL_TIME_LENGTH,
        json_schema_extra={"pattern": LOCAL_TIME_PATTERN},
        description=description,
        examples=[example],
    )


class QuietHoursFields(BaseModel):
    """When no campaign message is sent, in the tenant's local time; may run past midnight."""

    model_config = ConfigDict(extra="forbid")

    start: str = _local_time("When quiet hours begin, local time (HH:MM).", "21:00")
    end: str = _local_time(
        "When quiet hours end, local time (HH:MM): a day's campaign messages wait until then.",
        "09:00",
    )

    def to_record(self) -> QuietHoursRecord:
        return {"start": self.start, "end": self.end}

    @classmethod
    def from_hours(cls, hours: QuietHours) -> QuietHoursFields:
        return cls(**quiet_hours_record(hours))


class TimeSettingsChange(BaseModel):
    """Only the fields sent change. `time_zone` cannot be unset (null is refused); `quiet_hours`
    null means none."""

    model_config = ConfigDict(extra="forbid")

    time_zone: str | None = Field(
        default=None,
        max_length=MAX_TIME_ZONE_LENGTH,
        json_schema_extra=_zone_never_null,
        description="The tenant's IANA time zone, e.g. Europe/London: its days (the clock's "
        "ticks, birthdays, expiries) begin at midnight there.",
        examples=["Europe/London"],
    )
    quiet_hours: QuietHoursFields | None = Field(
        default=None,
        description="When no campaign message is sent, local time, e.g. 21:00 to 09:00; null: "
        "none. Start and end must differ.",
    )

    @model_validator(mode="after")
    def _zone_not_null(self) -> Self:
        if "time_zone" in self.model_fields_set and self.time_zone is None:
            msg = "time_zone cannot be null: leave it out to keep it as it is."
            raise ValueError(msg)
        return self

    def changes(self) -> TimeSettingsChanges:
        """The fields sent, as the loyalty service takes them."""
        changes: TimeSettingsChanges = {}
        if self.time_zone is not None:
            changes["time_zone"] = self.time_zone
        if "quiet_hours" in self.model_fields_set:
            changes["quiet_hours"] = (
                None if self.quiet_hours is None else self.quiet_hours.to_record()
            )
        return changes


class TimeSettingsPublic(BaseModel):
    time_zone: str = Field(description="The tenant's IANA time zone.", examples=["Europe/London"])
    quiet_hours: QuietHoursFields | None = Field(
        description="When no campaign message is sent, local time; null: none."
    )

    @classmethod
    def from_settings(cls, settings: TimeSettings) -> TimeSettingsPublic:
        hours = settings.quiet_hours
        return cls(
            time_zone=settings.time_zone,
            quiet_hours=None if hours is None else QuietHoursFields.from_hours(hours),
        )
