"""`backend.ai mgr schema`: create, inspect and migrate the database schema."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import click
from alembic.util.exc import CommandError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from ai.backend.manager.cli.context import CLIContext, fail
from ai.backend.manager.cli.engine import (
    ErrorMessage,
    describe_location,
    first_line,
    run_with_engine,
)
from ai.backend.manager.repositories.schema import (
    DatabaseNotFound,
    SchemaAlreadyExists,
    SchemaError,
    create_database,
    current_revision,
    database_exists,
    head_revision,
    schema_oneshot,
    upgrade,
)

NO_REVISION = "(none)"
_CREATE_HINT = "create it (e.g. `createdb`), then run `backend.ai mgr schema oneshot`"

alembic_config_option = click.option(
    "-f",
    "--alembic-config",
    "alembic_ini",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="An alembic.ini to use instead of the bundled migration scripts "
    "(its sqlalchemy.url is ignored: the database is the one in manager.toml).",
)


def _schema_errors(missing_db_hint: str) -> ErrorMessage:
    def message(e: Exception) -> str | None:
        if isinstance(e, DatabaseNotFound):
            return f"{e}; {missing_db_hint}"
        if isinstance(e, SchemaAlreadyExists):
            return f"{e}; use `backend.ai mgr schema upgrade`"
        if isinstance(e, SchemaError):
            return str(e)
        if isinstance(e, CommandError):
            return f"alembic: {e}"
        return None

    return message


def run_schema_command[T](
    cli_ctx: CLIContext,
    body: Callable[[AsyncEngine], Awaitable[T]],
    *,
    missing_db_hint: str = _CREATE_HINT,
) -> T:
    """`run_with_engine`, with the schema's own failures as one-line messages."""
    return run_with_engine(cli_ctx, body, message=_schema_errors(missing_db_hint))


def _head(alembic_ini: Path | None) -> str:
    try:
        return head_revision(alembic_ini)
    except SchemaError as e:
        fail(str(e))
    except CommandError as e:
        fail(f"alembic: {e}")


@click.group()
def schema() -> None:
    """Create, inspect and migrate the database schema."""


@schema.command()
@alembic_config_option
@click.option("--create-db", is_flag=True, help="Create the database first if it does not exist.")
@click.pass_obj
def oneshot(cli_ctx: CLIContext, alembic_ini: Path | None, create_db: bool) -> None:
    """Create every table in an empty database and stamp it with the newest revision."""
    db = cli_ctx.config.db
    _head(alembic_ini)  # fail early, before touching the database, if the scripts are missing
    if create_db:

        async def _ensure_database() -> bool:
            if await database_exists(db):
                return False
            await create_database(db)
            return True

        try:
            if cli_ctx.run(_ensure_database):
                click.echo(f"Created the database {db.name}.")
        except SchemaError as e:
            fail(str(e))
        except DBAPIError as e:
            fail(f"cannot create the database {db.name}: {first_line(e)}")

    async def _create(engine: AsyncEngine) -> str:
        return await schema_oneshot(engine, alembic_ini=alembic_ini)

    revision = run_schema_command(
        cli_ctx, _create, missing_db_hint="create it (e.g. `createdb`) or pass --create-db"
    )
    click.echo(f"Created the schema in {describe_location(db)} (revision {revision}).")


@schema.command("upgrade")
@alembic_config_option
@click.argument("revision", default="head")
@click.pass_obj
def upgrade_command(cli_ctx: CLIContext, alembic_ini: Path | None, revision: str) -> None:
    """Apply the migrations up to REVISION (default: head)."""
    db = cli_ctx.config.db
    _head(alembic_ini)

    async def _upgrade(engine: AsyncEngine) -> tuple[str | None, str | None]:
        before = await current_revision(engine)
        await upgrade(engine, revision, alembic_ini=alembic_ini)
        return before, await current_revision(engine)

    before, after = run_schema_command(cli_ctx, _upgrade)
    where = describe_location(db)
    if before == after:
        click.echo(f"{where} is already at revision {after or NO_REVISION}; nothing to do.")
    else:
        click.echo(f"Upgraded {where} from {before or NO_REVISION} to {after or NO_REVISION}.")


@schema.command()
@alembic_config_option
@click.pass_obj
def current(cli_ctx: CLIContext, alembic_ini: Path | None) -> None:
    """Print the database's revision, or `(none)` when it has no schema."""
    revision = run_schema_command(cli_ctx, current_revision)
    click.echo(revision or NO_REVISION)


@schema.command()
@alembic_config_option
@click.pass_obj
def show(cli_ctx: CLIContext, alembic_ini: Path | None) -> None:
    """Show the database's revision next to the newest one of the migration scripts."""
    db = cli_ctx.config.db
    head = _head(alembic_ini)
    revision = run_schema_command(cli_ctx, current_revision)
    if revision is None:
        state = "no schema; run `backend.ai mgr schema oneshot`"
    elif revision == head:
        state = "up to date"
    else:
        state = "behind or unknown; run `backend.ai mgr schema upgrade`"
    click.echo(f"database: {describe_location(db)}")
    click.echo(f"current:  {revision or NO_REVISION}")
    click.echo(f"head:     {head}")
    click.echo(f"status:   {state}")
