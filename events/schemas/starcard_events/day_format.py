"""Days as a client reads them: "10 March 2027", one way on every page, email and message."""

from __future__ import annotations

from datetime import date

__all__ = ["format_day"]


def format_day(day: date) -> str:
    """`day` as written in an email or on a page: "10 March 2027" (no leading zero)."""
    return f"{day.day} {day:%B %Y}"
