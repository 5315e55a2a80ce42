"""The words of a notification: Jinja2 templates (``templates/<kind>.html`` and ``.txt``).

HTML is autoescaped, so a tenant's message can never inject markup into a client's inbox; the
plain-text part is not escaped, because it is not HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from starcard_notifier.domain.notification import RewardContent

_TEMPLATES = Environment(
    loader=PackageLoader("starcard_notifier", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class RenderedEmail:
    """A notification's subject and its two bodies."""

    subject: str
    text: str
    html: str


def valid_until(expires_at: datetime) -> str:
    """The expiry as a client reads it: "24 November 2027" (the date in UTC)."""
    return f"{expires_at.day} {expires_at:%B %Y}"


def one_line(text: str) -> str:
    """Collapse whitespace, so a name with a line break cannot break a header."""
    return " ".join(text.split())


def render(kind: str, content: RewardContent) -> RenderedEmail:
    """Render the templates of `kind` (e.g. ``reward_issued``) for `content`."""
    context = {
        "tenant_name": one_line(content.tenant_name),
        "message": content.message,
        "code": content.code,
        "discount_percent": content.discount_percent,
        "valid_until": valid_until(content.expires_at) if content.expires_at else None,
    }
    return RenderedEmail(
        subject=f"A thank-you from {context['tenant_name']}",
        text=_TEMPLATES.get_template(f"{kind}.txt").render(context),
        html=_TEMPLATES.get_template(f"{kind}.html").render(context),
    )
