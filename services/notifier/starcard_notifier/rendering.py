"""The words of a notification: a subject per kind, and Jinja2 templates
(``templates/<kind>.html`` and ``.txt``).

HTML is autoescaped, so a tenant's message can never inject markup into a client's inbox; the
plain-text part is not escaped, because it is not HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starcard_events.day_format import format_day
from starcard_events.money_format import format_money

from starcard_notifier.domain.notification import Content

_TEMPLATES = Environment(
    loader=PackageLoader("starcard_notifier", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


SUBJECTS = {
    "reward_issued": "A thank-you from {tenant_name}",
    "referral_welcome": "Welcome to {tenant_name}: {discount} off your first session",
    "referral_credit": "{discount} credit from {tenant_name}",
    "referral_alert": "Referral reward due: {client_id}",
    "points_expiring": "Your points at {tenant_name} expire soon",
    "tier_changed": "Your membership at {tenant_name}",
    "tier_ending": "Your membership status at {tenant_name}",
    "package_expiring": "Your package sessions at {tenant_name} expire soon",
    "birthday_reward": "Happy birthday from {tenant_name}: {discount} off your next visit",
}
"""The subject of each kind; the keys are also the template names."""

REQUIRED = {
    "referral_welcome": ("discount", "code"),
    "referral_credit": ("discount",),
    "birthday_reward": ("discount", "code"),
}
"""What the email of a kind is about, and makes no sense without."""


@dataclass(frozen=True)
class RenderedEmail:
    """A notification's subject and its two bodies."""

    subject: str
    text: str
    html: str


def valid_until(expires_at: datetime) -> str:
    """The expiry as a client reads it: "24 November 2027" (the date in UTC)."""
    return format_day(expires_at.date())


def one_line(text: str) -> str:
    """Collapse whitespace, so a name with a line break cannot break a header."""
    return " ".join(text.split())


def discount(content: Content) -> str | None:
    """The discount as the email states it: "10%" or "£10.00"; None when there is none.

    A percentage wins over an amount, should a request carry both.
    """
    if content.discount_percent is not None:
        return f"{content.discount_percent}%"
    if content.discount_amount_minor is not None and content.currency is not None:
        return format_money(content.discount_amount_minor, content.currency)
    return None


def render(kind: str, content: Content) -> RenderedEmail:
    """Render the subject and templates of `kind` (e.g. ``reward_issued``) for `content`.

    Raises ValueError for a kind without templates, or content lacking what the kind is about
    (see `REQUIRED`): composing fails, and the dispatcher records it as a failed attempt.
    """
    if kind not in SUBJECTS:
        msg = f"no templates for notifications of kind {kind!r}"
        raise ValueError(msg)
    context = {
        "tenant_name": one_line(content.tenant_name),
        "client_id": one_line(content.client_id),
        "message": content.message,
        "code": content.code,
        "discount": discount(content),
        "valid_until": valid_until(content.expires_at) if content.expires_at else None,
    }
    missing = [name for name in REQUIRED.get(kind, ()) if context[name] is None]
    if missing:
        msg = f"a {kind} notification needs {' and '.join(missing)}"
        raise ValueError(msg)
    return RenderedEmail(
        subject=one_line(SUBJECTS[kind].format_map(context)),
        text=_TEMPLATES.get_template(f"{kind}.txt").render(context),
        html=_TEMPLATES.get_template(f"{kind}.html").render(context),
    )
