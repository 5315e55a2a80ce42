"""Rendering pages: the Jinja2 templates, the headers every page carries, the error page, and
reading a posted form.

Every page is served with a Content-Security-Policy that allows only the gateway's own
stylesheet and script (no inline script, no other origin), is never framed, never sends a
``Referer`` to another site (a portal URL may hold its token) and is never cached, since it
shows one tenant's or one client's data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from starcard_events.day_format import format_day
from starcard_events.money_format import format_money

from starcard_gateway.errors import STATUS_OF
from starcard_gateway.models.tiers import benefit_texts

PACKAGE_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_VERSION = version("starcard-gateway")

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

MAX_FORM_BYTES = 64 * 1024
MAX_FORM_FIELDS = 50


def _static_url(path: str) -> str:
    """The file's address, with the gateway's version so a new release is never served stale."""
    return f"/static/{path}?v={STATIC_VERSION}"


def _date(value: date | None) -> str:
    """ "3 March 2026": a date as a person reads it, the same in every locale."""
    return "" if value is None else format_day(value)


def _money(amount: Any) -> str:
    return format_money(amount.amount_minor, amount.currency)


def _money_in(amount_minor: int, currency: str) -> str:
    """An amount kept in minor units beside its currency: ``1000|money_in("GBP")``."""
    return format_money(amount_minor, currency)


def _percent(rate: float | None) -> str:
    return "\u2013" if rate is None else f"{round(rate * 100)}%"


def _ordinal(number: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st..."""
    if 10 <= number % 100 <= 20:
        return f"{number}th"
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def _points(number: int) -> str:
    """1,200: a number of points as a person reads it."""
    return f"{number:,}"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.globals["static_url"] = _static_url
environment.globals["read_model_labels"] = {
    "loyalty": "Stars, rewards and the most-loyal list",
    "attendance": "Attendance counts and segments",
    "points": "Points balances and history",
    "tiers": "Tiers and tier history",
    "packages": "Packages, their liability and the visits needing attention",
    "referrals": "Referrals and credit",
}
environment.filters["date"] = _date
environment.filters["money"] = _money
environment.filters["money_in"] = _money_in
environment.filters["percent"] = _percent
environment.filters["ordinal"] = _ordinal
environment.filters["lower_first"] = _lower_first
environment.filters["points"] = _points
environment.filters["benefits"] = benefit_texts
templates = Jinja2Templates(env=environment)


def render(
    request: Request, template: str, context: Mapping[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """The template as a page, with the pages' security headers."""
    return templates.TemplateResponse(
        request, template, dict(context), status_code=status_code, headers=SECURITY_HEADERS
    )


def redirect(url: str) -> RedirectResponse:
    """After a POST: see the result with a GET (so a reload does not post again)."""
    return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)


# -- errors ------------------------------------------------------------------------------------


class PageError(Exception):
    """A request the page cannot serve, shown as a page saying what happened and what to do."""

    def __init__(
        self,
        status_code: int,
        title: str,
        message: str,
        *,
        action: tuple[str, str] | None = None,
        clear_cookie: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(title)
        self.status_code = status_code
        self.title = title
        self.message = message
        self.action = action
        """``(href, label)`` of the way forward, e.g. back to the login page."""
        self.clear_cookie = clear_cookie
        """``(name, path)`` of a cookie that no longer works and is removed."""


def error_page(request: Request, error: PageError) -> Response:
    response = render(
        request,
        "error.html",
        {"title": error.title, "message": error.message, "action": error.action},
        status_code=error.status_code,
    )
    if error.clear_cookie is not None:
        name, path = error.clear_cookie
        response.delete_cookie(name, path=path, httponly=True, samesite="strict")
    return response


def refusal_status(exc: Exception) -> int | None:
    """The status the JSON API gives this refusal (``errors.STATUS_OF``), or None if it is not
    one of the domain's refusals."""
    return next((STATUS_OF[kind] for kind in type(exc).__mro__ if kind in STATUS_OF), None)


REFUSALS: tuple[type[Exception], ...] = tuple(STATUS_OF)
"""The domain's refusals, whose messages already say what to change."""

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
NAMED_MILESTONE = re.compile(rf"^(Attendance milestone|Milestone) '{UUID}'")


def refusal_text(exc: Exception) -> str:
    """The refusal's own message, for a person: the other milestone is named by what it is (in
    the message already), not by its id."""
    return NAMED_MILESTONE.sub(lambda found: f"Another {found[1].lower()}", str(exc))


def field_errors(error: ValidationError, labels: Mapping[str, str]) -> dict[str, str]:
    """Each invalid field's first problem, as the form shows it next to the field."""
    found: dict[str, str] = {}
    for problem in error.errors():
        field = str(problem["loc"][0]) if problem["loc"] else "form"
        message = re.sub(r"^Value error, ", "", problem["msg"])
        found.setdefault(field, f"{labels.get(field, field)}: {message}.".replace("..", "."))
    return found


# -- forms -------------------------------------------------------------------------------------


class FormProblems(Exception):
    """Fields a page refuses before the API sees them, each with what to fix."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def submit_form(
    write: Callable[[], object],
    *,
    labels: Mapping[str, str],
    show_again: Callable[[Mapping[str, str], int], Response],
    then: str,
    refusal_field: str = "form",
) -> Response:
    """A dashboard form written through the API: on success see ``then``; if the fields or the
    domain refuse it, ``show_again(errors, status_code)`` shows the form with what to fix."""
    try:
        write()
    except FormProblems as exc:
        return show_again(exc.errors, 422)
    except ValidationError as exc:
        return show_again(field_errors(exc, labels), 422)
    except REFUSALS as exc:
        return show_again({refusal_field: refusal_text(exc)}, refusal_status(exc) or 422)
    return redirect(then)


async def read_form(request: Request) -> dict[str, str]:
    """The posted ``application/x-www-form-urlencoded`` fields (the pages' forms send nothing
    else); the first value of each. Refuses other bodies, large bodies and cross-site posts."""
    # Defence in depth beside the CSRF token: browsers say where a form came from.
    site = request.headers.get("sec-fetch-site")
    origin = request.headers.get("origin")
    expected = f"{request.url.scheme}://{request.url.netloc}"
    if site is not None:
        foreign = site not in {"same-origin", "none"}
    else:
        foreign = origin is not None and origin != expected
    if foreign:
        raise PageError(
            403, "Form refused", "This form was sent from another site, so it was not accepted."
        )
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise PageError(415, "Form refused", "The form was not sent as a web form.")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise PageError(413, "Form refused", "The form was too large.")
    try:
        fields = parse_qs(body.decode(), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise PageError(400, "Form refused", "The form could not be read.") from None
    return {name: values[0] for name, values in fields.items()}
