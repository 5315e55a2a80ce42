"""``starcard``: the operator's command line for tenants, dead letters, read models and points."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import Annotated

import psycopg
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from starcard_gateway.resources import open_resources
from starcard_gateway.tenants import TenantError, TenantRegistry
from starcard_projections import failures, health
from starcard_projections.runner import (
    PROJECTION_NAMES,
    CannotRebuild,
    Follower,
    migrate,
    rebuild,
    rebuild_tenant,
)
from starcard_runtime import dead_letters
from starcard_runtime.lag import GROUP_PREFIX, consumer_lags
from starcard_runtime.settings import RuntimeSettings

from starcard_cli.demo import demo
from starcard_cli.reconcile import reconcile
from starcard_cli.render import (
    balance_differences_table,
    dead_letter_detail,
    dead_letters_table,
    failures_table,
    lag_table,
    tenants_table,
)
from starcard_cli.replay import UnknownDeadLetters, replay_dead_letters

app = typer.Typer(
    name="starcard",
    help="Operate Starcard: tenants and API keys, dead letters, read models, points, the demo.",
    no_args_is_help=True,
)
tenants_app = typer.Typer(help="Tenants and their API keys.", no_args_is_help=True)
dlq_app = typer.Typer(
    help="Records the services set aside, and replaying them.", no_args_is_help=True
)
projections_app = typer.Typer(help="The read models (schema read).", no_args_is_help=True)
points_app = typer.Typer(help="Clients' points accounts.", no_args_is_help=True)
app.add_typer(tenants_app, name="tenants")
app.add_typer(dlq_app, name="dlq")
app.add_typer(projections_app, name="projections")
app.add_typer(points_app, name="points")
app.command("demo")(demo)

console = Console()
errors = Console(stderr=True)


def fail(message: str) -> typer.Exit:
    errors.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(1)


@contextmanager
def tenant_registry() -> Iterator[TenantRegistry]:
    """The registry on the database of ``DATABASE_URL``; its refusals end the command."""
    with open_resources(RuntimeSettings(), pool_size=1) as resources:
        try:
            yield resources.tenants
        except TenantError as exc:
            raise fail(str(exc)) from exc


def dead_letter_store() -> dead_letters.DeadLetterStore:
    settings = RuntimeSettings()
    dead_letters.migrate(settings.database_url)
    return dead_letters.DeadLetterStore(settings.database_url)


# -- tenants ---------------------------------------------------------------------------------


@tenants_app.command("create")
def create_tenant(
    name: Annotated[str, typer.Argument(help="The business's name, e.g. \"Anna's Massage\".")],
    tenant_id: Annotated[
        str | None,
        typer.Option("--id", help="The tenant id; a slug of the name when omitted."),
    ] = None,
) -> None:
    """Register a tenant, open its loyalty and referral programmes, print its first API key."""
    with tenant_registry() as tenants:
        tenant, api_key = tenants.create_tenant(name, tenant_id)
    console.print(f"Created tenant [bold]{tenant.tenant_id}[/bold] ({tenant.name}).")
    console.print(f"API key: [bold]{api_key}[/bold]", highlight=False, soft_wrap=True)
    console.print("Store the key now: it is shown only this once, and only its hash is kept.")


@tenants_app.command("list")
def list_tenants() -> None:
    """Every tenant."""
    with tenant_registry() as tenants:
        console.print(tenants_table(tenants.list_tenants()))


@tenants_app.command("issue-key")
def issue_key(tenant_id: Annotated[str, typer.Argument(help="The tenant's id.")]) -> None:
    """Issue another API key for a tenant (e.g. to rotate one) and print it (once)."""
    with tenant_registry() as tenants:
        api_key = tenants.issue_key(tenant_id)
    console.print(f"API key for [bold]{tenant_id}[/bold]: [bold]{api_key}[/bold]", soft_wrap=True)
    console.print("Store the key now: it is shown only this once, and only its hash is kept.")


# -- dead letters ----------------------------------------------------------------------------


@dlq_app.command("list")
def list_dead_letters(
    service: Annotated[str | None, typer.Option(help="Only this service's, e.g. loyalty.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 50,
) -> None:
    """Dead letters, newest first: where each came from, why, and what became of it."""
    console.print(dead_letters_table(dead_letter_store().list(service=service, limit=limit)))


@dlq_app.command("show")
def show_dead_letter(dead_letter_id: Annotated[int, typer.Argument(help="The id.")]) -> None:
    """One dead letter in full: reason, source, headers and the raw value."""
    found = dead_letter_store().get([dead_letter_id])
    if not found:
        raise fail(f"No dead letter with id {dead_letter_id}.")
    console.print(dead_letter_detail(found[0]))


@dlq_app.command("replay")
def replay(
    dead_letter_ids: Annotated[list[int], typer.Argument(help="The ids to replay.")],
) -> None:
    """Re-publish records to their original topic, with their original key, value and headers."""
    try:
        replayed = asyncio.run(
            replay_dead_letters(
                dead_letter_store(), RuntimeSettings().kafka_bootstrap_servers, dead_letter_ids
            )
        )
    except UnknownDeadLetters as exc:
        raise fail(str(exc)) from exc
    for letter in replayed:
        record = letter.record
        console.print(
            f"Replayed {letter.id} to {record.topic} "
            f"(was partition {record.partition} offset {record.offset}): {letter.reason}",
            highlight=False,
        )


# -- projections -----------------------------------------------------------------------------


def known_projection(name: str) -> str:
    if name not in PROJECTION_NAMES:
        msg = f"unknown projection {name!r}; choose one of: {', '.join(PROJECTION_NAMES)}"
        raise typer.BadParameter(msg)
    return name


@projections_app.command("rebuild")
def rebuild_projection(
    name: Annotated[
        str,
        typer.Argument(
            help=f"The projection: {', '.join(PROJECTION_NAMES)}.", callback=known_projection
        ),
    ],
    tenant_id: Annotated[
        str | None,
        typer.Option(
            "--tenant",
            help="Rebuild only this tenant's rows (after fixing what stopped them); the other "
            "tenants' rows and the running projections are left as they are.",
        ),
    ] = None,
) -> None:
    """Empty a read model and replay its source's whole event store into it, or one tenant's."""
    database_url = RuntimeSettings().database_url
    what = name if tenant_id is None else f"{name} for {tenant_id}"
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task(f"rebuilding {what}", total=None)

        def report(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        try:
            if tenant_id is None:
                position = rebuild(database_url, name, report)
            else:
                position = rebuild_tenant(database_url, name, tenant_id, report)
        except CannotRebuild as exc:
            raise fail(f"{exc}; nothing was changed, fix the cause first") from exc
    console.print(f"Rebuilt {what}: up to date with event {position} of its source.")


@projections_app.command("failures")
def list_failures(
    show_all: Annotated[
        bool, typer.Option("--all", help="Resolved failures too, not only the open ones.")
    ] = False,
) -> None:
    """Events a read model could not apply: which read model, event and tenant, and the error.

    A tenant with an open failure has a stale read model (its dashboard says so) until its rows
    are rebuilt with `starcard projections rebuild NAME --tenant TENANT`.
    """
    settings = RuntimeSettings()
    migrate(settings.database_url)
    with psycopg.connect(settings.database_url) as conn:
        found = failures.failures(conn, include_resolved=show_all)
    if not found:
        console.print("No read model failures." if show_all else "No open read model failures.")
        return
    console.print(failures_table(found))


@projections_app.command("lag")
def show_lag() -> None:
    """How far each read model and each consumer partition is behind."""
    settings = RuntimeSettings()
    migrate(settings.database_url)
    with psycopg.connect(settings.database_url) as conn:
        read_models = health.read_model_health(conn, PROJECTION_NAMES)
    partitions = asyncio.run(
        consumer_lags(settings.kafka_bootstrap_servers, settings.topic_prefix + GROUP_PREFIX)
    )
    console.print(lag_table(read_models, partitions))


# -- points ----------------------------------------------------------------------------------


@points_app.command("reconcile")
def reconcile_points(
    tenant_id: Annotated[
        str | None, typer.Option("--tenant", help="Only this tenant's clients.")
    ] = None,
) -> None:
    """Check every client's points balance in the read model against their account in the
    loyalty service; list those that differ (and exit 1), after catching the read model up."""
    settings = RuntimeSettings()
    with (
        open_resources(settings, pool_size=1) as resources,
        resources.pool.connection() as conn,
        closing(Follower(settings.database_url, "points")) as follower,
    ):
        result = reconcile(resources.loyalty, conn, follower.catch_up, tenant_id)
    if result.differences:
        console.print(balance_differences_table(result.differences))
        raise typer.Exit(1)
    console.print(f"All {result.checked} balances agree.")
