"""Client events: who a tenant's clients are and how to reach them.

Contact fields are personal data: they carry `x-pii` in the JSON Schema so that logs and
exports know what to redact.
"""

import calendar
from typing import Annotated, Any, Literal, Self

from pydantic import BeforeValidator, Field, StringConstraints, model_validator

from starcard_events.envelope import ClientId, Envelope
from starcard_events.limits import (
    MAX_EMAIL_LENGTH,
    MAX_LABEL_LENGTH,
    MAX_NAME_LENGTH,
    PLAIN_TEXT_PATTERN,
)
from starcard_events.money import Money, Percentage
from starcard_events.wire import WireModel

_PII: dict[str, Any] = {"x-pii": True}
_LEAP_YEAR = 2000


def _blank_is_absent(value: object) -> object:
    """Read an empty contact field as missing: platforms often send "" for "not on file"."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


_Contact = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=MAX_NAME_LENGTH, pattern=PLAIN_TEXT_PATTERN
    ),
]
_EmailAddress = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=MAX_EMAIL_LENGTH, pattern=r"^[^@\s]+@[^@\s]+$"
    ),
]
ContactText = Annotated[_Contact | None, BeforeValidator(_blank_is_absent)]
Email = Annotated[_EmailAddress | None, BeforeValidator(_blank_is_absent)]


class Birthday(WireModel):
    """A day of the year; no year, because the rules need only the day and less PII is kept."""

    month: int = Field(ge=1, le=12, description="Month, 1 to 12.")
    day: int = Field(ge=1, le=31, description="Day of the month; 29 February is allowed.")

    @model_validator(mode="after")
    def _day_exists(self) -> Self:
        if self.day > calendar.monthrange(_LEAP_YEAR, self.month)[1]:
            msg = f"{calendar.month_name[self.month]} has no day {self.day}"
            raise ValueError(msg)
        return self


class ClientLabel(WireModel):
    """A tag on a client's record (e.g. Friend, VIP, Staff), possibly with a standing discount.

    A label with a percentage or an amount is a label discount: none of that client's bookings are
    full price.
    """

    name: Annotated[
        str,
        StringConstraints(min_length=1, max_length=MAX_LABEL_LENGTH, pattern=PLAIN_TEXT_PATTERN),
    ] = Field(description="The label's name as the tenant wrote it.")
    percentage: Percentage | None = Field(
        default=None, description="Percentage off every booking this label gives, if any."
    )
    amount: Money | None = Field(
        default=None, description="Fixed amount off every booking this label gives, if any."
    )

    @property
    def is_discount(self) -> bool:
        """Whether the label takes money off the client's bookings."""
        return self.percentage is not None or self.amount is not None


class ClientDetails(WireModel):
    """A client's full current record at the tenant."""

    client_id: ClientId = Field(description="The platform's id of the client at this tenant.")
    email: Email = Field(
        default=None,
        description='Email address for notifications; absent or "" when none is on file.',
        json_schema_extra=_PII,
    )
    phone: ContactText = Field(
        default=None,
        description="Phone number for SMS, as the platform holds it.",
        json_schema_extra=_PII,
    )
    sms_consent: bool = Field(
        default=False,
        description=(
            "The client agreed to receive marketing SMS at `phone` (campaign offers). Without it, "
            "no SMS is sent; a STOP reply withdraws it whatever the platform says later."
        ),
    )
    first_name: ContactText = Field(
        default=None, description="Given name, used to greet the client.", json_schema_extra=_PII
    )
    last_name: ContactText = Field(default=None, description="Family name.", json_schema_extra=_PII)
    birthday: Birthday | None = Field(
        default=None, description="Birthday, for birthday rewards.", json_schema_extra=_PII
    )
    labels: list[ClientLabel] = Field(
        default_factory=list, description="Labels on the client's record, with their discounts."
    )


class ClientRegistered(Envelope[ClientDetails]):
    """A client was added to the tenant's records."""

    type: Literal["ClientRegistered"] = Field(description="Always 'ClientRegistered'.")


class ClientUpdated(Envelope[ClientDetails]):
    """A client's record changed.

    `data` is the full current record, not a patch: a field left out is a field the client no
    longer has (e.g. an email removed).
    """

    type: Literal["ClientUpdated"] = Field(description="Always 'ClientUpdated'.")
