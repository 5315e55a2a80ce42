"""Logs never carry a client's email, phone or name, at any depth, from our code or a library's."""

import json
import logging
from collections.abc import Iterator

import pytest
import structlog
from starcard_runtime.logs import REDACTED, configure_logging

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """configure_logging binds to this test's captured stderr: undo it for the tests after."""
    handlers = logging.getLogger().handlers[:]
    yield
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()
    logging.getLogger().handlers[:] = handlers


def test_pii_is_redacted_from_structured_and_library_logs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("test", "INFO")
    log = structlog.get_logger("starcard.test")
    log.info(
        "client registered",
        client_id="c-17",
        email="ada@example.test",
        contact={"phone": "+44 7700 900123", "first_name": "Ada", "labels": ["VIP"]},
        recipients=[{"name": "Ada Lovelace"}],
    )
    logging.getLogger("aiokafka.test").warning("library line", extra={"email": "bo@example.test"})

    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    text = json.dumps(lines)
    for secret in ("ada@example.test", "+44 7700 900123", "Ada", "bo@example.test"):
        assert secret not in text
    assert lines[0]["client_id"] == "c-17"
    assert lines[0]["email"] == REDACTED
    assert lines[0]["contact"]["labels"] == ["VIP"]
    assert lines[0]["service"] == "test"
