"""The largest (and smallest) values Starcard accepts wherever a number or a text enters.

One home for each limit: the wire contract, the loyalty and referral domains' ``check_*``
invariants and the gateway's request models all import them from here, so an HTTP request, a
command and an event refuse the same values. Constants and one predicate on the standard library
only: importing this module costs a domain nothing but the numbers.

The limits are those a business would expect, with room to spare, and far below what any store
or reader on the way (PostgreSQL ``integer`` columns, JavaScript numbers) can hold.
"""

import re
from datetime import UTC, datetime
from typing import Final

MAX_AMOUNT_MINOR: Final = 2**53 - 1
"""The largest amount a JSON number carries exactly in every language (JavaScript included)."""

MINUTES_PER_DAY: Final = 24 * 60
"""A session lasts at most a day; a milestone's minimum length is at most a day too."""

MAX_COUNT: Final = 100_000
"""The largest session or class count a milestone fires at, or a client's original count: a
class a day for over 270 years. Counts stay far inside a 32-bit integer."""

MIN_PERCENT: Final = 1
MAX_PERCENT: Final = 100
"""A whole percentage off: at least 1, at most the whole price."""

MAX_MESSAGE_LENGTH: Final = 2000
"""A tenant's personal note to a client (a milestone's, an automation's email)."""

MAX_NAME_LENGTH: Final = 200
"""A business's or a service's name, a client's name or phone number."""

MAX_LABEL_LENGTH: Final = 100
"""A service's category or a client label's name."""

MAX_REASON_LENGTH: Final = 500
"""A platform's free-text reason (why a booking was cancelled)."""

MAX_EMAIL_LENGTH: Final = 254
"""An email address (RFC 5321's path limit less the angle brackets)."""

MAX_URL_LENGTH: Final = 2048
"""A booking page's address, or the page a referral link landed on."""

MAX_CODE_LENGTH: Final = 64
"""A discount code as typed at a till."""

MAX_ADD_ON_LENGTH: Final = 80
"""A complimentary add-on's name ("Scalp massage, 15 min"): one line of a message's subject."""

CONTROL_CHARACTERS: Final = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
"""Characters no text of a business carries (NUL and other C0/C1 controls); tab, line feed and
carriage return are text. A regular expression character range, for patterns and checks alike."""

TEXT_PATTERN: Final = (
    rf"^[^{CONTROL_CHARACTERS}]*[^\s{CONTROL_CHARACTERS}][^{CONTROL_CHARACTERS}]*$"
)
"""Written text: something other than blanks, and no control characters."""

PLAIN_TEXT_PATTERN: Final = rf"^[^{CONTROL_CHARACTERS}]*$"
"""Text that may be blank, with no control characters (what a platform sends, e.g. a reason)."""

_CONTROL: Final = re.compile(f"[{CONTROL_CHARACTERS}]")


def has_control_characters(text: str) -> bool:
    """Whether the text carries a character no business text does (`CONTROL_CHARACTERS`)."""
    return _CONTROL.search(text) is not None


MAX_ORDER_LINES: Final = 200
"""Lines of one retail order (or of one refund of it): a basket, not a warehouse."""

MAX_POINTS: Final = 10**12
"""The most points one movement or one setting carries: far beyond any clinic's programme, and
well inside a 64-bit integer (PostgreSQL ``bigint``) and a JSON number."""

MAX_RATE_HUNDREDTHS: Final = 100_000
"""The highest earning rate, in hundredths of a point per currency unit: 1,000 points per unit."""

MAX_DAYS: Final = 3660
"""The longest window in days (points expiry, a rebooking window, a notice): ten years."""

MAX_PACKAGE_SESSIONS: Final = 1000
"""The most sessions one pre-paid package holds (a session a week for nearly twenty years)."""

EARLIEST_MOMENT: Final = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_MOMENT: Final = datetime(2999, 12, 31, tzinfo=UTC)
"""The moments an event or a request may name: a typo of a year is refused before any rule adds
days or months to it (and before date arithmetic near year 9999 could overflow)."""
