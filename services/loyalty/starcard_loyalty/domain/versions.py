"""Settings kept as versions in time: each in force from the moment it was made.

A movement computed from settings (points earned, a tier reached) uses the version in force at
its own moment, so a change never rewrites the past, however late the events of before it arrive.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class Versions(Generic[T]):
    """The versions of one kind of settings, in time order, and the one before any (`off`)."""

    off: T
    history: list[tuple[datetime, T]] = field(default_factory=list)

    @property
    def now(self) -> T:
        """The settings in force now: the last version, else `off`."""
        return self.history[-1][1] if self.history else self.off

    def at(self, moment: datetime) -> T:
        """The settings in force at `moment`."""
        in_force = self.off
        for since, settings in self.history:
            if since > moment:
                break
            in_force = settings
        return in_force

    def since_for(self, moment: datetime) -> datetime:
        """When a change made at `moment` takes effect: not before the last change, so the
        versions stay in time order."""
        return max(moment, self.history[-1][0]) if self.history else moment

    @property
    def changes(self) -> list[datetime]:
        """The moments the settings changed."""
        return [since for since, _ in self.history]

    @property
    def version(self) -> int:
        """How many times they changed."""
        return len(self.history)

    def is_stale(self, expected_version: int | None) -> bool:
        """Whether a change made against `expected_version` (None: not said) would undo a
        change made since."""
        return expected_version is not None and expected_version != self.version

    def add(self, since: datetime, settings: T) -> None:
        self.history.append((since, settings))

    def ever(self, test: Callable[[T], bool]) -> bool:
        return any(test(settings) for _, settings in self.history)


STALE_SETTINGS = (
    "changed by someone else since they were read: reload them and make your change again."
)
"""Why a settings change made against an older version is refused (after 'The tier settings
were ...')."""
