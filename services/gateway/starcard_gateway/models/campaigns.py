"""The campaigns router's models: the birthday campaign's settings a tenant reads and changes."""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from starcard_campaigns.api import MAX_DAYS_BEFORE, MAX_VALID_DAYS, BirthdaySettings
from starcard_events.limits import MAX_MESSAGE_LENGTH, MAX_PERCENT, MIN_PERCENT, TEXT_PATTERN

from starcard_gateway.models.common import never_null


def _text_never_null(schema: dict[str, Any]) -> None:
    """Document the message as written text (not blank, no control characters), never null;
    the campaigns domain checks it and names the problem (422)."""
    never_null(schema)
    schema["pattern"] = TEXT_PATTERN


class BirthdaySettingsChange(BaseModel):
    """Only the fields sent change; the rest stay as they are. None can be unset: null is
    refused."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool | None = Field(
        default=None,
        json_schema_extra=never_null,
        description="Whether clients get a birthday reward: off (the default) until the tenant "
        "opts in. Rewards already sent stay valid.",
    )
    days_before: int | None = Field(
        default=None,
        ge=0,
        le=MAX_DAYS_BEFORE,
        json_schema_extra=never_null,
        description=f"How many days before the birthday the reward is sent (0 to "
        f"{MAX_DAYS_BEFORE}; 0: on the day).",
        examples=[7],
    )
    discount_percent: int | None = Field(
        default=None,
        ge=MIN_PERCENT,
        le=MAX_PERCENT,
        json_schema_extra=never_null,
        description=f"What the single-use `BDAY-` code takes off a booking, in percent "
        f"({MIN_PERCENT} to {MAX_PERCENT}).",
        examples=[10],
    )
    valid_days: int | None = Field(
        default=None,
        ge=1,
        le=MAX_VALID_DAYS,
        json_schema_extra=never_null,
        description=f"How many days the code works after it is sent (1 to {MAX_VALID_DAYS}).",
        examples=[30],
    )
    message: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_MESSAGE_LENGTH,
        json_schema_extra=_text_never_null,
        description=f"The note that comes with the reward: up to {MAX_MESSAGE_LENGTH} "
        "characters, not blank, no control characters (line breaks are fine).",
        examples=["Happy birthday! Here is a treat from us for your birthday week."],
    )

    @model_validator(mode="after")
    def _no_null(self) -> Self:
        for name in sorted(self.model_fields_set):
            if getattr(self, name) is None:
                msg = f"{name} cannot be null: leave it out to keep it as it is."
                raise ValueError(msg)
        return self

    def changes(self) -> dict[str, Any]:
        """The fields sent, as `BirthdaySettings` values (the domain refuses what breaks a rule
        with `InvalidSettings`)."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class BirthdaySettingsPublic(BaseModel):
    enabled: bool = Field(description="Whether clients get a birthday reward.")
    days_before: int = Field(description="How many days before the birthday it is sent.")
    discount_percent: int = Field(description="What the `BDAY-` code takes off, in percent.")
    valid_days: int = Field(description="How many days the code works after it is sent.")
    message: str = Field(description="The note that comes with the reward.")

    @classmethod
    def from_settings(cls, settings: BirthdaySettings) -> BirthdaySettingsPublic:
        return cls(**settings.to_record())
