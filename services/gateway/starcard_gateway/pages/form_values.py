"""What the settings pages' forms share: the hidden field saying which version of the settings a
form was shown with, and an id made from what a person named a thing."""

from __future__ import annotations

import re
from collections.abc import Mapping

VERSION_FIELD = "settings_version"
"""The hidden field carrying which settings a form was shown with."""


def shown_version(form: Mapping[str, str]) -> int | None:
    """The settings version the form was filled against (None: the form did not say)."""
    text = form.get(VERSION_FIELD, "").strip()
    return int(text) if text.isdigit() else None


def id_from_name(name: str, taken: set[str], fallback: str) -> str:
    """A new id from a name: "Gold Plus" -> "gold-plus", "gold-plus-2" when taken; `fallback`
    when the name has no letter or digit to make one of."""
    base = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")[:90] or fallback
    found, n = base, 1
    while found in taken:
        n += 1
        found = f"{base}-{n}"
    return found
