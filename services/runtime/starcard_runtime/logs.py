"""Structured JSON logs that never carry a client's email, phone or name.

Every process calls :func:`configure_logging` once. Library loggers (aiokafka, psycopg, uvicorn)
are routed through the same processors, so redaction applies to them too.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

PII_KEYS = frozenset(
    {
        "email",
        "phone",
        "name",
        "first_name",
        "last_name",
        "full_name",
        "client_name",
        "to",
        "recipient",
        "birthday",
    }
)
REDACTED = "[redacted]"


def _redact(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: REDACTED if k in PII_KEYS else _redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact(v) for v in value]
    return value


def redact_pii(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Replace the value of any PII-named key, at any depth, before a line is written."""
    for key, value in list(event_dict.items()):
        event_dict[key] = REDACTED if key in PII_KEYS else _redact(value)
    return event_dict


def configure_logging(service: str, level: str = "INFO") -> None:
    """Send structlog and stdlib logging to stderr as one JSON object a line."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_pii,
    ]
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer(),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiokafka").setLevel(max(logging.WARNING, root.level))
