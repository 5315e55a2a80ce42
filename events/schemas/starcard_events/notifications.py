"""Messages the services ask the notifier to send (`starcard.notifications.v1`).

Published by a service's outbox relay, keyed ``tenant_id:client_id``. The notifier holds the
clients' contact details itself (from the booking topic), so no request carries a client's
address; a message for the business itself (a referral alert) carries the business's address.
"""

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, HttpUrl, StringConstraints, TypeAdapter, ValidationError

from starcard_events.envelope import ClientId, Envelope
from starcard_events.limits import (
    MAX_ADD_ON_LENGTH,
    MAX_EMAIL_LENGTH,
    MAX_MESSAGE_LENGTH,
    MAX_NAME_LENGTH,
    MAX_PERCENT,
    MIN_PERCENT,
    PLAIN_TEXT_PATTERN,
    TEXT_PATTERN,
)
from starcard_events.money import Money
from starcard_events.wire import WireModel

NoticeKind = Literal[
    "reward_issued",
    "referral_welcome",
    "referral_credit",
    "referral_alert",
    "points_expiring",
    "tier_changed",
    "tier_ending",
    "package_expiring",
    "birthday_reward",
    "anniversary_offer",
    "reengagement_offer",
]
"""Which message it is, and so which template renders it:

- ``reward_issued``: a loyalty milestone's reward, to the client;
- ``referral_welcome``: the referred client's single-use code for their first session;
- ``referral_credit``: credit added to the referring client's account;
- ``referral_alert``: to the business, a referral earned a reward for them to give by hand;
- ``points_expiring``: points of the client expire soon (``expires_at``: the day they do);
- ``tier_changed``: the client's membership tier went up or down;
- ``tier_ending``: the client's tier drops on a day unless they spend an amount before it
  (``expires_at``: the day it drops);
- ``package_expiring``: unused sessions of the client's pre-paid package expire soon
  (``expires_at``: the day they do);
- ``birthday_reward``: the client's birthday reward, sent in the days before their birthday: a
  single-use code (``expires_at``: when it stops working) worth a percentage off
  (``discount_percent``) or a complimentary add-on (``add_on``), or, with neither a code nor a
  discount, bonus points added to the client's account;
- ``anniversary_offer``: the same, on the anniversary of the client's first treatment;
- ``reengagement_offer``: a time-limited single-use code for a client who has not been back for a
  while, with the link to book.

Campaign messages (the last three) may also go by SMS, to a client who consented to it.
"""

MAX_BOOKING_URL_LENGTH = 500

_BOOKING_URL = TypeAdapter(HttpUrl)


def is_booking_url(text: str) -> bool:
    """Whether `text` can be a notice's `booking_url`: an https address (of at most 500
    characters) that the notice's own type accepts, so a link a business sets is never one that
    makes its messages unpublishable."""
    if len(text) > MAX_BOOKING_URL_LENGTH or not text.startswith("https://"):
        return False
    try:
        _BOOKING_URL.validate_python(text)
    except ValidationError:
        return False
    return True


BusinessEmail = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=MAX_EMAIL_LENGTH, pattern=r"^[^@\s]+@[^@\s]+$"
    ),
]


class Notice(WireModel):
    """Something to tell a client (or the business about a client), with what the email shows."""

    notification_id: UUID = Field(
        description=(
            "Derived from the cause (the aggregate event), so a re-published request is the same "
            "notification; also the email's Message-ID."
        )
    )
    client_id: ClientId = Field(description="The client the message is to, or about.")
    kind: NoticeKind = Field(description="Which message it is; decides the template.")
    tenant_name: Annotated[
        str, StringConstraints(min_length=1, max_length=MAX_NAME_LENGTH, pattern=PLAIN_TEXT_PATTERN)
    ] = Field(description="The business's name, as the client knows it.")
    message: Annotated[
        str, StringConstraints(min_length=1, max_length=MAX_MESSAGE_LENGTH, pattern=TEXT_PATTERN)
    ] = Field(description="The personal note or the sentence the email is built around.")
    discount_percent: int | None = Field(
        default=None,
        ge=MIN_PERCENT,
        le=MAX_PERCENT,
        description="Percentage off, when the code or credit is one.",
    )
    discount_amount: Money | None = Field(
        default=None, description="Amount off, when the code or credit is a fixed amount."
    )
    code: Annotated[str, StringConstraints(pattern=r"^[A-Z]+-[A-Z0-9]{8}$")] | None = Field(
        default=None, description="The single-use discount code, when there is one."
    )
    add_on: (
        Annotated[
            str,
            StringConstraints(min_length=1, max_length=MAX_ADD_ON_LENGTH, pattern=TEXT_PATTERN),
        ]
        | None
    ) = Field(
        default=None,
        description=(
            "The complimentary add-on the code is worth (e.g. 'Scalp massage, 15 min'), when it "
            "is worth one rather than a discount: the code takes nothing off the bill and the "
            "add-on comes free with the visit."
        ),
    )
    expires_at: AwareDatetime | None = Field(
        default=None, description="When the code stops working."
    )
    business_email: BusinessEmail | None = Field(
        default=None,
        description=(
            "Where a message for the business goes (``referral_alert``); never a client's address."
        ),
    )
    booking_url: HttpUrl | None = Field(
        default=None,
        description="The business's booking page, to book straight from the message.",
    )
    valid_until: dt.date | None = Field(
        default=None,
        description=(
            "The last day the code works, in the business's time zone (it stops at midnight "
            "after it); when absent, the client is shown the date of ``expires_at``."
        ),
    )
    send_after: AwareDatetime | None = Field(
        default=None,
        description=(
            "Not to be sent before this instant: the end of the business's quiet hours, for a "
            "message decided at night (a campaign's, on the tick of the tenant's day)."
        ),
    )


class NotificationRequested(Envelope[Notice]):
    """A service asks the notifier to tell a client (or the business) something."""

    type: Literal["NotificationRequested"] = Field(description="Always 'NotificationRequested'.")
