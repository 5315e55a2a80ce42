"""Why a send failed, as stored on the notification and logged: never the recipient's address."""

import aiosmtplib
import pytest
from jinja2 import TemplateNotFound
from starcard_notifier.failure_reasons import failure_reason

pytestmark = pytest.mark.unit


def test_a_refused_recipient_is_reported_without_the_address() -> None:
    refused = aiosmtplib.SMTPRecipientsRefused(
        [aiosmtplib.SMTPRecipientRefused(550, "<ada@example.com> unknown", "ada@example.com")]
    )

    reason = failure_reason(refused)

    assert reason == "the SMTP server refused the recipient"
    assert "ada" not in reason


def test_a_server_answer_is_reported_by_its_code_not_its_text() -> None:
    busy = aiosmtplib.SMTPDataError(451, "try later, ada@example.com")

    assert failure_reason(busy) == "the SMTP server answered 451 (SMTPDataError)"


def test_an_unreachable_server_is_reported_as_such() -> None:
    assert failure_reason(ConnectionRefusedError(111, "Connection refused")) == (
        "the SMTP server could not be reached (ConnectionRefusedError)"
    )


def test_a_template_that_cannot_be_rendered_is_reported_as_such() -> None:
    assert failure_reason(TemplateNotFound("birthday.html")) == (
        "the email could not be composed (TemplateNotFound)"
    )
