"""Why an attempt failed, in words safe to store and log: never a server's text, which may
quote the recipient's address or number."""

from __future__ import annotations

import aiosmtplib

from starcard_notifier.messages import RENDER_ERRORS
from starcard_notifier.sms import SmsRefused

__all__ = ["failure_reason", "sms_failure_reason"]


def failure_reason(error: Exception) -> str:
    """Why an email was not sent."""
    if isinstance(error, RENDER_ERRORS):
        return f"the email could not be composed ({type(error).__name__})"
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused | aiosmtplib.SMTPRecipientRefused):
        return "the SMTP server refused the recipient"
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return f"the SMTP server answered {error.code} ({type(error).__name__})"
    return f"the SMTP server could not be reached ({type(error).__name__})"


def sms_failure_reason(error: Exception) -> str:
    """Why an SMS was not sent."""
    if isinstance(error, RENDER_ERRORS):
        return f"the SMS could not be composed ({type(error).__name__})"
    if isinstance(error, SmsRefused):
        return str(error)
    return f"the SMS provider could not be reached ({type(error).__name__})"
