"""A notification as an email: multipart/alternative, text first, deterministic Message-ID."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from jinja2 import TemplateError

from starcard_notifier.domain.notification import Notification
from starcard_notifier.rendering import render

RENDER_ERRORS: tuple[type[Exception], ...] = (TemplateError, ValueError)
"""What composing an email raises when a template or a header cannot be made: a failed attempt
like any other, so a broken template is given up on, not retried forever."""


def compose(notification: Notification, *, to: str, mail_from: str, at: datetime) -> EmailMessage:
    """The email for `notification`, addressed to `to`, dated `at`."""
    rendered = render(notification.kind, notification.content)
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = to
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(at)
    message["Message-ID"] = notification.message_id
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    return message
