"""How the CLI shows tenants, dead letters, read model failures and lags, and points balances
that disagree (Rich renderables, no I/O)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from rich.console import Group, RenderableType
from rich.json import JSON
from rich.table import Table
from rich.text import Text
from starcard_gateway.tenants import Tenant
from starcard_projections.failures import Failure
from starcard_projections.health import ReadModelHealth
from starcard_runtime.dead_letters import StoredDeadLetter
from starcard_runtime.lag import PartitionLag

from starcard_cli.reconcile import BalanceDifference


def _when(moment: datetime | None) -> str:
    return moment.isoformat(sep=" ", timespec="seconds") if moment else "-"


def _source(letter: StoredDeadLetter) -> str:
    record = letter.record
    return f"{record.topic} [{record.partition}] @{record.offset}"


def tenants_table(tenants: Sequence[Tenant]) -> Table:
    table = Table("tenant id", "name", "created", title=f"{len(tenants)} tenant(s)")
    for tenant in tenants:
        table.add_row(tenant.tenant_id, tenant.name, _when(tenant.created_at))
    return table


def dead_letters_table(letters: Sequence[StoredDeadLetter]) -> Table:
    table = Table(
        "id",
        "service",
        "tenant",
        "topic [partition] @offset",
        "reason",
        "dead-lettered",
        "published",
        "replayed",
        title=f"{len(letters)} dead letter(s), newest first",
    )
    for letter in letters:
        table.add_row(
            str(letter.id),
            letter.service,
            letter.record.tenant_id or "-",
            _source(letter),
            letter.reason,
            _when(letter.dead_lettered_at),
            _when(letter.published_at),
            _when(letter.replayed_at),
        )
    return table


def _bytes(value: bytes | None) -> RenderableType:
    """JSON pretty-printed; anything else as text, undecodable bytes escaped."""
    if value is None:
        return Text("(null)", style="dim")
    try:
        return JSON.from_data(json.loads(value))
    except ValueError:
        return Text(value.decode("utf-8", "backslashreplace"))


def dead_letter_detail(letter: StoredDeadLetter) -> Group:
    record = letter.record
    fields = Table.grid(padding=(0, 2))
    fields.add_column(style="bold")
    fields.add_column()
    fields.add_row("id", str(letter.id))
    fields.add_row("service", letter.service)
    fields.add_row("tenant", letter.record.tenant_id or "-")
    fields.add_row("source", _source(letter))
    fields.add_row("reason", Text(letter.reason, style="red"))
    fields.add_row(
        "record timestamp", _when(datetime.fromtimestamp(record.timestamp_ms / 1000, UTC))
    )
    fields.add_row("dead-lettered", _when(letter.dead_lettered_at))
    fields.add_row("published to DLQ", _when(letter.published_at))
    fields.add_row("replayed", _when(letter.replayed_at))
    fields.add_row("key", _bytes(record.key))
    headers = Table("header", "value", title="headers")
    for name, value in record.headers:
        headers.add_row(name, value.decode("utf-8", "backslashreplace"))
    return Group(fields, headers, Text("value", style="bold"), _bytes(record.value))


def failures_table(found: Sequence[Failure]) -> Table:
    table = Table(
        "id",
        "read model",
        "tenant",
        "event",
        "error",
        "failed",
        "resolved",
        title=f"{len(found)} read model failure(s), newest first",
    )
    for failure in found:
        table.add_row(
            str(failure.id),
            failure.projection,
            failure.tenant_id or "(unknown)",
            f"#{failure.notification_id} {failure.event_type}",
            Text(failure.error, style="red"),
            _when(failure.failed_at),
            _when(failure.resolved_at),
        )
    return table


def _age(seconds: float | None) -> str:
    return "never" if seconds is None else f"{seconds:.0f}s ago"


def lag_table(read_models: Sequence[ReadModelHealth], partitions: Sequence[PartitionLag]) -> Group:
    models = Table(
        "read model",
        "position",
        "source head",
        "lag",
        "heartbeat",
        "stale tenants",
        title="Read models (events behind their source)",
    )
    for model in read_models:
        models.add_row(
            model.name,
            str(model.position),
            str(model.head),
            str(model.lag),
            _age(model.heartbeat_age_seconds),
            str(model.stale_tenants),
        )
    consumers = Table(
        "consumer group",
        "topic [partition]",
        "committed",
        "end",
        "lag",
        title="Consumer partitions (records behind the topic's end)",
    )
    for lag in partitions:
        consumers.add_row(
            lag.group,
            f"{lag.topic} [{lag.partition}]",
            "-" if lag.committed is None else str(lag.committed),
            str(lag.end),
            str(lag.lag),
        )
    return Group(models, consumers)


def _points(balance: int | None) -> str:
    return "(none)" if balance is None else f"{balance:,}"


def balance_differences_table(found: Sequence[BalanceDifference]) -> Table:
    table = Table(
        "tenant",
        "client",
        "store balance",
        "read balance",
        title=f"{len(found)} points balance(s) differ",
    )
    for difference in found:
        table.add_row(
            difference.tenant_id,
            difference.client_id,
            _points(difference.store),
            Text(_points(difference.read), style="red"),
        )
    return table
