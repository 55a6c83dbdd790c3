"""Run a CLI command's body with a database engine; every failure is one line on stderr.

Kept apart from the schema commands so that commands which only read and write rows do not
load the migration machinery (alembic) at start-up.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from ai.backend.manager.cli.context import CLIContext, fail
from ai.backend.manager.config.local import DatabaseConfig
from ai.backend.manager.repositories.db import create_engine

# Turns an error a command knows into its one-line message (None: not one of its errors).
type ErrorMessage = Callable[[Exception], str | None]


def describe_location(db: DatabaseConfig) -> str:
    return f"{db.addr.host}:{db.addr.port}/{db.name}"


def first_line(exc: BaseException) -> str:
    orig = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    lines = str(orig).strip().splitlines()
    return lines[0] if lines else type(orig).__name__


def run_with_engine[T](
    cli_ctx: CLIContext,
    body: Callable[[AsyncEngine], Awaitable[T]],
    *,
    message: ErrorMessage | None = None,
) -> T:
    """Run `body` with an engine on the configured database."""
    db = cli_ctx.config.db

    async def _main() -> T:
        engine = create_engine(db, application_name="backend.ai-manager-cli")
        try:
            return await body(engine)
        finally:
            await engine.dispose()

    try:
        return cli_ctx.run(_main)
    except DBAPIError as e:
        fail(f"database error on {describe_location(db)}: {first_line(e)}")
    except Exception as e:
        text = message(e) if message is not None else None
        if text is None:
            raise
        fail(text)
