"""The code stays as the project's rules say: ruff (lint and format), mypy --strict, and the import
contracts. The same commands as ``make lint``, so CI (which runs the suite) holds them too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PACKAGES = sorted(
    path.parent.name
    for pattern in (
        "events/schemas/starcard_*/__init__.py",
        "services/*/starcard_*/__init__.py",
        "projections/starcard_*/__init__.py",
    )
    for path in ROOT.glob(pattern)
)

COMMANDS = {
    "ruff check": ["ruff", "check", "."],
    "ruff format": ["ruff", "format", "--check", "."],
    "mypy packages": ["mypy", *(arg for p in PACKAGES for arg in ("-p", p))],
    "mypy tests and bench": ["mypy", "tests", *sorted(str(p) for p in ROOT.glob("bench/*.py"))],
    "import contracts": ["lint-imports"],
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_code_passes(name: str) -> None:
    tool, *args = COMMANDS[name]
    done = subprocess.run(  # noqa: S603 - the project's own tools, fixed arguments
        [str(BIN / tool), *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"{name} failed:\n{done.stdout}\n{done.stderr}"


def test_every_package_is_checked() -> None:
    assert {"starcard_kernel", "starcard_loyalty", "starcard_gateway"} <= set(PACKAGES)
