"""The words of a notification: a subject per kind, and Jinja2 templates
(``templates/<kind>.html`` and ``.txt``; a campaign's offers extend ``templates/parts/offer.*``),
and the SMS of a campaign's offer (``templates/sms/<kind>.txt``).

HTML is autoescaped, so a tenant's message can never inject markup into a client's inbox; the
plain-text part and the SMS are not escaped, because they are not HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

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
    "anniversary_offer": "Happy anniversary from {tenant_name}: {discount} off your next visit",
    "reengagement_offer": (
        "We miss you at {tenant_name}: {discount} off if you book by {valid_until}"
    ),
}
"""The subject of each kind; the keys are also the template names."""

CELEBRATIONS = frozenset({"birthday_reward", "anniversary_offer"})
"""The kinds whose reward may be a discount code, a code worth a complimentary add-on, or bonus
points (no code: the loyalty service grants them)."""

REWARD_SUBJECTS = {
    ("birthday_reward", "add_on"): "Happy birthday from {tenant_name}: a complimentary {add_on}",
    ("birthday_reward", "points"): "Happy birthday from {tenant_name}: bonus points for you",
    ("anniversary_offer", "add_on"): (
        "Happy anniversary from {tenant_name}: a complimentary {add_on}"
    ),
    ("anniversary_offer", "points"): "Happy anniversary from {tenant_name}: bonus points for you",
}
"""The subject of a celebration whose reward is not a discount."""

REQUIRED = {
    "referral_welcome": ("discount", "code"),
    "referral_credit": ("discount",),
    "birthday_reward": ("discount", "code"),
    "anniversary_offer": ("discount", "code"),
    "reengagement_offer": ("discount", "code", "valid_until"),
}
"""What the email of a kind is about, and makes no sense without (a celebration's, when its
reward is a discount)."""

REWARD_REQUIRED = {"add_on": ("add_on", "code"), "points": ()}
"""What a celebration's email makes no sense without when its reward is an add-on, or points."""


OPT_OUT = "Reply STOP to opt out"
"""How every SMS ends: the client can always stop them."""


@dataclass(frozen=True)
class RenderedEmail:
    """A notification's subject and its two bodies."""

    subject: str
    text: str
    html: str


def last_day(content: Content) -> date | None:
    """The code's last day as the client reads it: the one the sender named (in the business's
    time zone), else the date of its expiry."""
    if content.valid_until is not None:
        return content.valid_until
    return None if content.expires_at is None else content.expires_at.date()


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


def reward(kind: str, content: Content) -> str:
    """What the offer of `kind` gives, as the request tells it: ``add_on`` (a code worth the
    complimentary `add_on`), ``points`` (a celebration with neither a code nor a discount: the
    points are on the client's account, the number is the points programme's), else
    ``discount``."""
    if kind in CELEBRATIONS:
        if content.add_on is not None:
            return "add_on"
        if (
            content.code is None
            and discount(content) is None
            and content.expires_at is None
            and content.valid_until is None
        ):
            return "points"
    return "discount"


def short_day(day: date) -> str:
    """A day as a text message says it: "2 Jan"."""
    return f"{day.day} {day:%b}"


def context_of(kind: str, content: Content) -> dict[str, str | None]:
    """What the templates of `kind` may say about `content`.

    Raises ValueError for content lacking what the kind is about (see `REQUIRED`): composing
    fails, and the dispatcher records it as a failed attempt.
    """
    until = last_day(content)
    given = reward(kind, content)
    context = {
        "tenant_name": one_line(content.tenant_name),
        "client_id": one_line(content.client_id),
        "message": content.message,
        "code": content.code,
        "discount": discount(content),
        "valid_until": format_day(until) if until else None,
        "until": short_day(until) if until else None,
        "booking_url": content.booking_url,
        "reward": given,
        "add_on": None if content.add_on is None else one_line(content.add_on),
    }
    required = REQUIRED.get(kind, ()) if given == "discount" else REWARD_REQUIRED[given]
    missing = [name for name in required if context[name] is None]
    if missing:
        msg = f"a {kind} notification needs {' and '.join(missing)}"
        raise ValueError(msg)
    return context


def render(kind: str, content: Content) -> RenderedEmail:
    """Render the subject and templates of `kind` (e.g. ``reward_issued``) for `content`.

    Raises ValueError for a kind without templates, or content lacking what it is about.
    """
    if kind not in SUBJECTS:
        msg = f"no templates for notifications of kind {kind!r}"
        raise ValueError(msg)
    context = context_of(kind, content)
    subject = REWARD_SUBJECTS.get((kind, str(context["reward"])), SUBJECTS[kind])
    return RenderedEmail(
        subject=one_line(subject.format_map(context)),
        text=_TEMPLATES.get_template(f"{kind}.txt").render(context),
        html=_TEMPLATES.get_template(f"{kind}.html").render(context),
    )


def render_sms(kind: str, content: Content) -> str:
    """The SMS of `kind` for `content`: one short line, the booking link, and `OPT_OUT` last.

    The template says the offer; the link and the way to stop are added here, so that no
    template can leave them out. Raises ValueError as `render` does.
    """
    context = context_of(kind, content)
    parts = [one_line(_TEMPLATES.get_template(f"sms/{kind}.txt").render(context))]
    if content.booking_url:
        parts.append(f"Book: {content.booking_url}")
    parts.append(OPT_OUT)
    return " ".join(parts)
